//! `POST /oauth2/token`: one `enum Grant` parsed from the form, one `match`
//! dispatching to `grants/` (the navikt/mock-oauth2-server shape).

use std::sync::Arc;

use aws_lc_rs::digest;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use jsonwebtoken::Algorithm;
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::auth::tokens::push_json_text;
use crate::error::{ApiError, ApiResult};
use crate::journal::Note;
use crate::oauth::clients::{self, Client};
use crate::oauth::form::Form;
use crate::oauth::grants::{self, Grant};
use crate::state::AppState;
use crate::store::User;

/// The answer of the token endpoint (RFC 6749 5.1, OIDC Core 3.1.3.3).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// The access JWT.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Access token lifetime in seconds.
    pub expires_in: i64,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// Refresh JWT (every grant but client credentials).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// ID token (with the `openid` scope).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl TokenResponse {
    /// The JSON of `Serialize`, byte for byte, written directly: the tokens
    /// (most of the answer) need no escaping, which serde_json would scan
    /// them for byte by byte.
    pub fn to_json(&self) -> Vec<u8> {
        let tokens = [
            Some(&self.access_token),
            self.refresh_token.as_ref(),
            self.id_token.as_ref(),
        ];
        let mut out =
            Vec::with_capacity(tokens.iter().flatten().map(|t| t.len()).sum::<usize>() + 192);
        out.extend_from_slice(b"{\"access_token\":");
        push_json_text(&mut out, &self.access_token);
        out.extend_from_slice(b",\"token_type\":");
        push_json_text(&mut out, self.token_type);
        out.extend_from_slice(b",\"expires_in\":");
        out.extend_from_slice(self.expires_in.to_string().as_bytes());
        out.extend_from_slice(b",\"scope\":");
        push_json_text(&mut out, &self.scope);
        if let Some(refresh) = &self.refresh_token {
            out.extend_from_slice(b",\"refresh_token\":");
            push_json_text(&mut out, refresh);
        }
        if let Some(id) = &self.id_token {
            out.extend_from_slice(b",\"id_token\":");
            push_json_text(&mut out, id);
        }
        out.push(b'}');
        out
    }
}

/// A form-encoded token request (the fields depend on `grant_type`).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct TokenRequest {
    /// `authorization_code`, `refresh_token`, `password` or `client_credentials`.
    grant_type: String,
    /// authorization_code: the code.
    code: Option<String>,
    /// authorization_code: the redirect URI of the authorization request.
    redirect_uri: Option<String>,
    /// authorization_code: the PKCE verifier.
    code_verifier: Option<String>,
    /// refresh_token: the refresh token.
    refresh_token: Option<String>,
    /// password: the user's email.
    username: Option<String>,
    /// password: the password.
    password: Option<String>,
    /// Space-separated scopes.
    scope: Option<String>,
    /// The client (or HTTP Basic).
    client_id: Option<String>,
    /// client_secret_post (or HTTP Basic).
    client_secret: Option<String>,
}

/// Exchange a grant for tokens.
///
/// Client authentication: `client_secret_basic`, `client_secret_post`, or
/// none for public clients. Errors are RFC 6749 5.2 JSON.
#[utoipa::path(post, path = "/oauth2/token", tag = "oauth",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Tokens issued", body = TokenResponse),
        (status = 400, description = "`invalid_request`, `invalid_grant`, `unsupported_grant_type`, `invalid_scope`, `unauthorized_client`", body = crate::error::ErrorBody),
        (status = 401, description = "`invalid_client`", body = crate::error::ErrorBody),
    ))]
pub async fn token(
    State(app): State<AppState>,
    uri: axum::http::Uri,
    note: Note,
    Form { headers, params }: Form,
) -> ApiResult<Response> {
    // Checked before the grant runs, so a bad name consumes no code.
    let fault = token_fault(&app, &uri, &headers)?;
    let creds = clients::credentials(&headers, &params)?;
    if let Some(id) = &creds.client_id {
        note.client(id);
    }
    let grant = Grant::parse(&params)?;
    let client = app.oauth.clients.authenticate(&creds)?;
    if !client.allows_grant(grant.name()) {
        return Err(ApiError::oauth(
            "unauthorized_client",
            format!("This client may not use the {} grant", grant.name()),
        ));
    }
    let ctx = Ctx {
        app: &app,
        client: &client,
        headers: &headers,
        note: &note,
    };
    let answer = match grant {
        Grant::AuthorizationCode(g) => grants::authorization_code::exchange(&ctx, g).await?,
        Grant::RefreshToken(g) => grants::refresh_token::exchange(&ctx, g).await?,
        Grant::Password(g) => grants::password::exchange(&ctx, g).await?,
        Grant::ClientCredentials(g) => grants::client_credentials::exchange(&ctx, g).await?,
    };
    let answer = apply_token_fault(&app, fault.as_deref(), answer, &note).await?;
    Ok(json_bytes_no_store(answer.to_json()))
}

/// The token fault asked for (`X-Mock-Token-Fault` / `mock_token_fault`);
/// a name the catalogue lacks is `invalid_request` here (RFC 6749), not 422.
fn token_fault(
    app: &AppState,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
) -> ApiResult<Option<String>> {
    if !app.config.enable_dev_endpoints {
        return Ok(None);
    }
    let name = crate::dev::catalogue::requested_fault(uri.query(), headers);
    crate::dev::catalogue::check_fault(app, name.as_deref())
        .map_err(|error| ApiError::oauth("invalid_request", error.to_string()))?;
    Ok(name)
}

/// THE call site of the token faults (contract section 10): the access
/// token (and the ID token) of the answer get the catalogue's defect.
async fn apply_token_fault(
    app: &AppState,
    name: Option<&str>,
    mut answer: TokenResponse,
    note: &Note,
) -> ApiResult<TokenResponse> {
    let Some(name) = name else {
        return Ok(answer);
    };
    let access: serde_json::Map<String, serde_json::Value> =
        jsonwebtoken::dangerous::insecure_decode_claims(&answer.access_token)
            .map_err(|error| ApiError::Internal(format!("own token does not decode: {error}")))?;
    if let Some(token) = crate::dev::catalogue::make_case(app, name, &access).await? {
        answer.access_token = token;
        app.metrics.count_simulated_error();
        tracing::info!(token_fault = name, "simulated token fault");
        let name = name.to_owned();
        note.fault(|f| f.token_fault = Some(name));
    }
    Ok(answer)
}

/// `body` as a JSON answer with `Cache-Control: no-store` (RFC 6749 5.1),
/// written once into a buffer of its final size: axum's `Json` starts at
/// 128 bytes and regrows twice for a token answer, and the header map
/// regrows for each header the layers add on the way out.
pub fn json_no_store(body: &impl Serialize) -> Response {
    let mut bytes = Vec::with_capacity(2048);
    if let Err(error) = serde_json::to_writer(&mut bytes, body) {
        return ApiError::Internal(format!("answer does not serialise: {error}")).into_response();
    }
    json_bytes_no_store(bytes)
}

/// [`json_no_store`] of a body already serialised.
fn json_bytes_no_store(bytes: Vec<u8>) -> Response {
    let mut response = Response::new(axum::body::Body::from(bytes));
    let mut headers = HeaderMap::with_capacity(16);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    *response.headers_mut() = headers;
    no_store(response)
}

/// Adds `Cache-Control: no-store` (RFC 6749 5.1).
pub fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// What every grant needs.
pub struct Ctx<'a> {
    /// The app.
    pub app: &'a AppState,
    /// The authenticated client.
    pub client: &'a Client,
    /// Request headers (issuer URL).
    pub headers: &'a HeaderMap,
    /// The journal note.
    pub note: &'a Note,
}

/// The granted scopes: known ones the client may ask; unknown is `invalid_scope`.
pub fn scopes(client: &Client, asked: Option<&str>) -> Result<Vec<String>, ApiError> {
    let asked = asked.unwrap_or("");
    let mut out: Vec<String> = Vec::new();
    for scope in asked.split(' ').filter(|s| !s.is_empty()) {
        if !crate::oauth::SCOPES.contains(&scope) || !client.allows_scope(scope) {
            return Err(ApiError::oauth(
                "invalid_scope",
                format!("Unknown or forbidden scope '{scope}'"),
            ));
        }
        if !out.iter().any(|s| s == scope) {
            out.push(scope.to_owned());
        }
    }
    Ok(out)
}

/// A user login to turn into tokens.
pub struct Login<'a> {
    /// The user.
    pub user: &'a User,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Extra claims of the login page.
    pub extra: Arc<Map<String, Value>>,
    /// OIDC nonce.
    pub nonce: Option<String>,
    /// When the user authenticated.
    pub auth_time: i64,
}

/// Issues access + refresh (+ ID) tokens for a user login.
pub async fn issue_for_user(ctx: &Ctx<'_>, login: Login<'_>) -> ApiResult<TokenResponse> {
    let app = ctx.app;
    let scope = login.scopes.join(" ");
    let audience = app
        .tokens
        .audience()
        .map_or_else(|| ctx.client.id.clone(), str::to_owned);
    let mut access = app.tokens.access_claims(login.user);
    access.client_id = Some(ctx.client.id.clone());
    access.scope = Some(scope.clone());
    access.aud = Some(audience.clone());
    access
        .extra
        .extend(login.extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    let mut refresh = app.tokens.refresh_claims(&login.user.id);
    refresh.client_id = Some(ctx.client.id.clone());
    refresh.scope = Some(scope.clone());
    refresh.aud = Some(audience);
    refresh.extra = (*login.extra).clone();
    refresh
        .extra
        .insert("auth_time".into(), json!(login.auth_time));
    let pair = app.tokens.sign_pair(access, refresh).await?;
    ctx.note.user(&login.user.id);
    ctx.note.issued(&pair.access);
    ctx.note.issued(&pair.refresh);
    let parent = ctx.note.read(|data| data.parent.clone());
    crate::routes::auth::track_family(
        app,
        parent.as_deref(),
        &[(&pair.access).into(), (&pair.refresh).into()],
    );
    let id_token = if login.scopes.iter().any(|s| s == "openid") {
        Some(id_token(ctx, &login, &pair.access_token).await?)
    } else {
        None
    };
    Ok(TokenResponse {
        access_token: pair.access_token,
        token_type: "Bearer",
        expires_in: pair.expires_in,
        scope,
        refresh_token: Some(pair.refresh_token),
        id_token,
    })
}

/// The claims a scope set releases (ID token and userinfo).
pub fn scoped_claims(
    user: &User,
    scopes: &[String],
    extra: &Map<String, Value>,
) -> Map<String, Value> {
    let has = |s: &str| scopes.iter().any(|x| x == s);
    let mut out: Map<String, Value> = user.claims.as_ref().clone();
    out.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    out.insert("sub".into(), json!(user.id.as_ref()));
    if has("email") {
        out.insert("email".into(), json!(user.email.as_ref()));
        out.insert("email_verified".into(), json!(user.email_verified));
    }
    if has("profile") {
        out.insert("name".into(), json!(user.name));
    }
    if has("roles") {
        out.insert("roles".into(), json!(user.roles.as_ref()));
    }
    out
}

async fn id_token(ctx: &Ctx<'_>, login: &Login<'_>, access_token: &str) -> ApiResult<String> {
    let now = ctx.app.clock.unix();
    let mut claims = scoped_claims(login.user, &login.scopes, &login.extra);
    claims.insert(
        "iss".into(),
        json!(crate::oauth::oidc_issuer(ctx.app, ctx.headers)),
    );
    claims.insert("aud".into(), json!(ctx.client.id));
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now + ctx.app.tokens.access_ttl()));
    claims.insert("auth_time".into(), json!(login.auth_time));
    claims.insert(
        "at_hash".into(),
        json!(at_hash(ctx.app.keys().algorithm(), access_token)),
    );
    claims.insert("jti".into(), json!(uuid::Uuid::now_v7().to_string()));
    claims.insert("type".into(), json!("id"));
    if let Some(nonce) = &login.nonce {
        claims.insert("nonce".into(), json!(nonce));
    }
    ctx.app.tokens.sign_asymmetric(&Value::Object(claims)).await
}

/// OIDC Core 3.1.3.6: the left half of the hash of the access token, with
/// the hash of the ID token's algorithm (SHA-512 for EdDSA/Ed25519).
pub fn at_hash(alg: Algorithm, access_token: &str) -> String {
    let hash = match alg {
        Algorithm::RS384 | Algorithm::PS384 | Algorithm::ES384 | Algorithm::HS384 => {
            &digest::SHA384
        }
        Algorithm::RS512 | Algorithm::PS512 | Algorithm::HS512 | Algorithm::EdDSA => {
            &digest::SHA512
        }
        _ => &digest::SHA256,
    };
    let d = digest::digest(hash, access_token.as_bytes());
    let bytes = d.as_ref();
    crate::auth::keys::b64url(&bytes[..bytes.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(scope: &str, refresh: Option<&str>, id: Option<&str>) -> TokenResponse {
        TokenResponse {
            access_token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln-_".into(),
            token_type: "Bearer",
            expires_in: -3600,
            scope: scope.into(),
            refresh_token: refresh.map(str::to_owned),
            id_token: id.map(str::to_owned),
        }
    }

    #[test]
    fn the_token_answer_is_byte_for_byte_what_serde_writes() {
        for case in [
            answer("", None, None),
            answer("openid profile", Some("a.b.c"), Some("d.e.f")),
            answer("we\"ird\\ \u{1}é", Some("not \"a\" jws"), None),
        ] {
            let ours = String::from_utf8(case.to_json()).unwrap();
            assert_eq!(ours, serde_json::to_string(&case).unwrap());
        }
    }
}
