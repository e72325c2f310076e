//! `POST /api/dev/tokens`: any token, made exactly as asked.

use std::str::FromStr;

use axum::extract::State;
use jsonwebtoken::Algorithm;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::keys::{alg_name, b64url};
use crate::auth::tokens::Signer;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::metrics::control::Action;
use crate::state::AppState;
use crate::store::User;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(make_token))
}

/// What to make. Everything optional but a user or a sub.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DevTokenRequest, example = json!({"user": "alice@example.com", "type": "access", "expires_in": -60}))]
pub struct TokenRequest {
    /// A user's id or email (their claims are used).
    pub user: Option<String>,
    /// A bare subject (no user needed).
    pub sub: Option<String>,
    /// `access` (default), `refresh` or `id`.
    #[serde(rename = "type")]
    #[schema(pattern = "^(?:access|refresh|id)$")]
    pub token_type: Option<String>,
    /// Seconds until `exp` (negative: already expired).
    pub expires_in: Option<i64>,
    /// `nbf` this many seconds from now.
    pub not_before: Option<i64>,
    /// Claims added or overriding.
    pub claims: Option<Map<String, Value>>,
    /// Claims removed (after `claims`).
    pub remove_claims: Option<Vec<String>>,
    /// `iss` instead of the server's.
    pub issuer: Option<String>,
    /// `aud`.
    pub audience: Option<String>,
    /// Header `alg` (default: the algorithm of the token type).
    #[schema(
        example = "HS256",
        pattern = "^(?:HS256|HS384|HS512|RS256|RS384|RS512|PS256|PS384|PS512|ES256|ES384|EdDSA)$"
    )]
    pub alg: Option<String>,
    /// Header `kid` instead of the key's own.
    pub kid: Option<String>,
    /// `server` (default), `foreign` (a key never published) or `none`.
    #[schema(pattern = "^(?:server|foreign|none)$")]
    pub sign: Option<String>,
}

/// A token made on demand.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MadeToken {
    /// The JWT.
    pub token: String,
    /// Its decoded header.
    pub header: Value,
    /// Its decoded claims.
    pub claims: Value,
}

/// The user named by id or email, or 404.
pub fn find_user(app: &AppState, key: &str) -> ApiResult<std::sync::Arc<User>> {
    app.users
        .find_by_id(key)
        .or_else(|| app.users.find_by_email(&key.trim().to_ascii_lowercase()))
        .ok_or_else(|| ApiError::NotFound(format!("No user with id or email '{key}'")))
}

/// Decodes the header and claims of a JWT (no checks).
pub fn parts(token: &str) -> (Value, Value) {
    use base64::Engine as _;
    let decode = |part: Option<&str>| {
        part.and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(Value::Null)
    };
    let mut split = token.split('.');
    let header = decode(split.next());
    let claims = decode(split.next());
    (header, claims)
}

/// Make a token exactly as asked (dev).
///
/// `foreign` signs with a key the server never publishes; `none` is an
/// unsigned JWT.
#[utoipa::path(post, path = "/api/dev/tokens", tag = "dev", request_body = TokenRequest,
    responses(
        (status = 200, description = "The token, its header and claims", body = MadeToken),
        (status = 404, description = "`not_found`: no such user", body = ErrorBody),
        (status = 422, description = "`validation_error` naming the field", body = ErrorBody),
    ))]
async fn make_token(
    State(app): State<AppState>,
    Json(request): Json<TokenRequest>,
) -> ApiResult<Json<MadeToken>> {
    let kind = request.token_type.as_deref().unwrap_or("access");
    let mut claims = match (&request.user, &request.sub) {
        (Some(key), _) => {
            let user = find_user(&app, key)?;
            let access = app.tokens.access_claims(&user);
            match kind {
                "refresh" => to_map(&app.tokens.refresh_claims(&user.id))?,
                _ => to_map(&access)?,
            }
        }
        (None, Some(sub)) => match kind {
            "refresh" => to_map(&app.tokens.refresh_claims(sub))?,
            _ => {
                let mut claims = to_map(&app.tokens.refresh_claims(sub))?;
                claims.insert(
                    "exp".into(),
                    Value::from(app.clock.unix() + app.tokens.access_ttl()),
                );
                claims
            }
        },
        (None, None) => return Err(ApiError::validation("user", "give user or sub")),
    };
    match kind {
        "access" | "refresh" | "id" => {
            claims.insert("type".into(), Value::from(kind));
        }
        _ => {
            return Err(ApiError::validation(
                "type",
                "must be access, refresh or id",
            ));
        }
    }
    let now = app.clock.unix();
    if let Some(seconds) = request.expires_in {
        claims.insert("exp".into(), Value::from(now.saturating_add(seconds)));
    }
    if let Some(seconds) = request.not_before {
        claims.insert("nbf".into(), Value::from(now.saturating_add(seconds)));
    }
    if let Some(issuer) = request.issuer {
        claims.insert("iss".into(), Value::from(issuer));
    }
    if let Some(audience) = request.audience {
        claims.insert("aud".into(), Value::from(audience));
    }
    for (name, value) in request.claims.unwrap_or_default() {
        claims.insert(name, value);
    }
    for name in request.remove_claims.unwrap_or_default() {
        claims.remove(&name);
    }
    let default_alg = if kind == "id" {
        app.keys().algorithm()
    } else {
        app.tokens.algorithm()
    };
    let alg = match request.alg.as_deref() {
        None => default_alg,
        Some(name) => Algorithm::from_str(name)
            .map_err(|_| ApiError::validation("alg", format!("unknown algorithm '{name}'")))?,
    };
    let signer = match request.sign.as_deref().unwrap_or("server") {
        "server" => Signer::Server,
        "foreign" => Signer::Foreign,
        "none" => Signer::Unsigned,
        other => {
            return Err(ApiError::validation(
                "sign",
                format!("must be server, foreign or none, got '{other}'"),
            ));
        }
    };
    let token = match (&signer, crate::auth::keys::is_hmac(alg)) {
        (Signer::Server, true) if alg != app.tokens.algorithm() => {
            return Err(ApiError::validation(
                "alg",
                format!(
                    "the server's secret is for {}; use sign: foreign for {}",
                    alg_name(app.tokens.algorithm()),
                    alg_name(alg)
                ),
            ));
        }
        _ => {
            app.tokens
                .sign_as(alg, request.kid.as_deref(), &Value::Object(claims), signer)
                .await?
        }
    };
    let (header, claims) = parts(&token);
    app.metrics.count(Action::TokenMinted);
    tracing::info!(kind, alg = alg_name(alg), "dev token made");
    Ok(Json(MadeToken {
        token,
        header,
        claims,
    }))
}

/// A serialisable value as a JSON object.
pub fn to_map(value: &impl Serialize) -> ApiResult<Map<String, Value>> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(ApiError::Internal("claims are not an object".into())),
    }
}

/// Unused helper kept for symmetric encoding in the catalogue.
pub fn encode_part(value: &Value) -> String {
    b64url(value.to_string().as_bytes())
}
