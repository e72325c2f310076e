//! The bad-token catalogue (`GET /api/dev/tokens/bad`) and the per-request
//! token faults (`X-Mock-Token-Fault` / `mock_token_fault`) built from it:
//! one place knows how to give a token each defect.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderName};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::keys::{b64url, is_hmac};
use crate::auth::tokens::{IssuedPair, Signer};
use crate::dev::tokens::{find_user, to_map};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Query};
use crate::journal::Note;
use crate::metrics::control::Action;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(bad_tokens))
}

/// Every case name with its description and who can refuse it.
const CASES: &[(&str, &str, &str)] = &[
    ("expired", "exp is 15 minutes in the past", "offline"),
    (
        "not_yet_valid",
        "nbf is 15 minutes in the future",
        "offline",
    ),
    ("bad_signature", "the signature does not match", "offline"),
    ("alg_none", "alg: none, no signature", "offline"),
    (
        "wrong_algorithm",
        "the right key material under another algorithm",
        "offline",
    ),
    ("wrong_issuer", "iss is not this server", "offline"),
    (
        "wrong_audience",
        "aud is not the configured audience",
        "offline",
    ),
    ("missing_exp", "no exp claim", "offline"),
    (
        "wrong_type",
        "type: refresh where an access token is expected",
        "offline",
    ),
    (
        "unknown_kid",
        "signed by a key the JWKS does not hold",
        "offline",
    ),
    (
        "malformed",
        "not three base64url segments of JSON",
        "offline",
    ),
    ("revoked", "revoked on this server", "online"),
    ("deleted_user", "its user was deleted", "online"),
];

/// The case names that apply to this configuration.
pub fn case_names(app: &AppState) -> Vec<&'static str> {
    CASES
        .iter()
        .map(|(name, _, _)| *name)
        .filter(|name| match *name {
            "unknown_kid" => !is_hmac(app.tokens.algorithm()),
            "wrong_audience" => app.tokens.audience().is_some(),
            _ => true,
        })
        .collect()
}

/// Query of the catalogue.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BadQuery {
    /// Id or email of the user (default: the first seed user).
    #[param(example = "alice@example.com")]
    pub user: Option<String>,
}

/// The valid token.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ValidCase {
    /// An access token this server accepts.
    pub token: String,
    /// `accepted`.
    pub expect: String,
}

/// One bad token.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BadCase {
    /// Case name (also a `X-Mock-Token-Fault` value).
    pub name: String,
    /// The one defect.
    pub description: String,
    /// The token.
    pub token: String,
    /// `rejected`.
    pub expect: String,
    /// `offline` (any verifier must refuse it) or `online`.
    pub checked_by: String,
}

/// The catalogue.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Catalogue {
    /// The valid token every case differs from.
    pub valid: ValidCase,
    /// The cases of this configuration.
    pub cases: Vec<BadCase>,
}

/// Signs `claims` as the server's own access token (header alg/kid of the server).
async fn sign_valid(app: &AppState, claims: &Map<String, Value>) -> ApiResult<String> {
    app.tokens
        .sign_as(
            app.tokens.algorithm(),
            None,
            &Value::Object(claims.clone()),
            Signer::Server,
        )
        .await
}

/// The token of `claims` with the defect `name`. `None`: no such case here.
pub async fn make_case(
    app: &AppState,
    name: &str,
    claims: &Map<String, Value>,
) -> ApiResult<Option<String>> {
    if !case_names(app).contains(&name) {
        return Ok(None);
    }
    let alg = app.tokens.algorithm();
    let now = app.clock.unix();
    let with = |key: &str, value: Value| {
        let mut claims = claims.clone();
        claims.insert(key.to_owned(), value);
        claims
    };
    let token = match name {
        "expired" => sign_valid(app, &with("exp", Value::from(now - 900))).await?,
        "not_yet_valid" => sign_valid(app, &with("nbf", Value::from(now + 900))).await?,
        "wrong_issuer" => {
            sign_valid(
                app,
                &with("iss", Value::from("https://wrong-issuer.example")),
            )
            .await?
        }
        "wrong_audience" => sign_valid(app, &with("aud", Value::from("wrong-audience"))).await?,
        "wrong_type" => sign_valid(app, &with("type", Value::from("refresh"))).await?,
        "missing_exp" => {
            let mut claims = claims.clone();
            claims.remove("exp");
            sign_valid(app, &claims).await?
        }
        "bad_signature" => {
            let valid = sign_valid(app, claims).await?;
            corrupt_signature(&valid)
        }
        "alg_none" => {
            let kid = current_kid(app).await?;
            app.tokens
                .sign_as(
                    alg,
                    kid.as_deref(),
                    &Value::Object(claims.clone()),
                    Signer::Unsigned,
                )
                .await?
        }
        "wrong_algorithm" => {
            let value = Value::Object(claims.clone());
            if is_hmac(alg) {
                let secret = app.config.jwt_secret.as_bytes();
                let other = if alg == jsonwebtoken::Algorithm::HS384 {
                    jsonwebtoken::Algorithm::HS256
                } else {
                    jsonwebtoken::Algorithm::HS384
                };
                app.tokens
                    .sign_as(other, None, &value, Signer::Hmac(secret))
                    .await?
            } else {
                let key = app.keys().current().await?;
                app.tokens
                    .sign_as(
                        jsonwebtoken::Algorithm::HS256,
                        Some(&key.kid),
                        &value,
                        Signer::Hmac(key.public_pem.as_bytes()),
                    )
                    .await?
            }
        }
        "unknown_kid" => {
            app.tokens
                .sign_as(alg, None, &Value::Object(claims.clone()), Signer::Foreign)
                .await?
        }
        "malformed" => {
            let valid = sign_valid(app, claims).await?;
            let mut segments = valid.split('.');
            let header = segments.next().unwrap_or_default();
            format!("{header}.!not-base64!.{}", b64url(b"x"))
        }
        "revoked" => {
            let token = sign_valid(app, claims).await?;
            let jti = claims
                .get("jti")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let exp = claims
                .get("exp")
                .and_then(Value::as_i64)
                .unwrap_or(now + 3600);
            app.revoked.revoke_access(jti, exp);
            token
        }
        "deleted_user" => {
            let sub = format!("user-deleted-{}", uuid::Uuid::new_v4());
            sign_valid(app, &with("sub", Value::from(sub))).await?
        }
        _ => return Ok(None),
    };
    Ok(Some(token))
}

async fn current_kid(app: &AppState) -> ApiResult<Option<String>> {
    if is_hmac(app.tokens.algorithm()) {
        Ok(None)
    } else {
        Ok(Some(app.keys().current().await?.kid.clone()))
    }
}

/// The token with one bit of its signature flipped.
fn corrupt_signature(token: &str) -> String {
    use base64::Engine as _;
    let (input, signature) = token.rsplit_once('.').unwrap_or((token, ""));
    let mut bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(signature)
        .unwrap_or_default();
    if let Some(first) = bytes.first_mut() {
        *first ^= 0x01;
    } else {
        bytes.push(1);
    }
    format!("{input}.{}", b64url(&bytes))
}

/// Every bad token that applies, each differing from the valid one by one defect (dev).
#[utoipa::path(get, path = "/api/dev/tokens/bad", tag = "dev", params(BadQuery),
    responses(
        (status = 200, description = "The valid token and the cases", body = Catalogue),
        (status = 404, description = "`not_found`: no such user", body = ErrorBody),
    ))]
async fn bad_tokens(
    State(app): State<AppState>,
    Query(query): Query<BadQuery>,
) -> ApiResult<Json<Catalogue>> {
    let user = match &query.user {
        Some(key) => find_user(&app, key)?,
        None => app
            .users
            .page(0, 1)
            .0
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::NotFound("No user to make tokens for".into()))?,
    };
    let claims = to_map(&app.tokens.access_claims(&user))?;
    let valid = sign_valid(&app, &claims).await?;
    let mut cases = Vec::new();
    for (name, description, checked_by) in CASES {
        // Each case its own jti: revoking one must not revoke the valid token.
        let mut own = claims.clone();
        own.insert("jti".into(), Value::from(uuid::Uuid::new_v4().to_string()));
        if let Some(token) = make_case(&app, name, &own).await? {
            cases.push(BadCase {
                name: (*name).to_owned(),
                description: (*description).to_owned(),
                token,
                expect: "rejected".to_owned(),
                checked_by: (*checked_by).to_owned(),
            });
        }
    }
    Ok(Json(Catalogue {
        valid: ValidCase {
            token: valid,
            expect: "accepted".to_owned(),
        },
        cases,
    }))
}

/// The name of the token fault asked for: `mock_token_fault` in the query
/// wins over the `X-Mock-Token-Fault` header.
pub fn requested_fault(query: Option<&str>, headers: &HeaderMap) -> Option<String> {
    // Looked up by name: a lookup by string parses the name on every call.
    static TOKEN_FAULT: HeaderName = HeaderName::from_static("x-mock-token-fault");
    let from_query = query.and_then(|query| {
        query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (key == "mock_token_fault").then(|| value.to_owned())
        })
    });
    from_query.or_else(|| {
        headers
            .get(&TOKEN_FAULT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    })
}

/// Checks a requested fault name before anything runs: 422 for a name the
/// catalogue does not have here (the token endpoint maps it to 400).
pub fn check_fault(app: &AppState, name: Option<&str>) -> ApiResult<()> {
    match name {
        Some(name) if !case_names(app).contains(&name) => Err(ApiError::validation(
            "X-Mock-Token-Fault",
            format!(
                "unknown token fault '{name}'; one of {}",
                case_names(app).join(", ")
            ),
        )),
        _ => Ok(()),
    }
}

/// Gives the pair's access token the defect `name` (when given); the rest
/// of the response stays normal. Records the fault in the journal.
pub async fn apply_token_fault(
    app: &AppState,
    name: Option<&str>,
    pair: &mut IssuedPair,
    note: &Note,
) -> ApiResult<()> {
    let Some(name) = name else {
        return Ok(());
    };
    check_fault(app, Some(name))?;
    let claims = to_map(&pair.access)?;
    if let Some(token) = make_case(app, name, &claims).await? {
        pair.access_token = token;
        app.metrics.count_simulated_error();
        app.metrics.count(Action::TokenFault);
        tracing::info!(token_fault = name, "simulated token fault");
        let name = name.to_owned();
        note.fault(|f| f.token_fault = Some(name));
    }
    Ok(())
}

/// The token fault a request asked for (`X-Mock-Token-Fault` or
/// `mock_token_fault`), checked against the catalogue before the handler
/// runs: an unknown name is 422 and nothing happens.
#[derive(Debug, Clone, Default)]
pub struct TokenFault(pub Option<String>);

impl axum::extract::FromRequestParts<AppState> for TokenFault {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        app: &AppState,
    ) -> Result<Self, ApiError> {
        let name = requested_fault(parts.uri.query(), &parts.headers);
        if name.is_some() && !app.config.enable_dev_endpoints {
            // Token faults are a control-plane feature: off with the dev endpoints.
            return Ok(Self(None));
        }
        check_fault(app, name.as_deref())?;
        Ok(Self(name))
    }
}
