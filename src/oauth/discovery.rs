//! `/.well-known/jwks.json`, `/.well-known/openid-configuration` and
//! `/.well-known/oauth-authorization-server` (RFC 7517, OpenID Connect
//! Discovery 1.0, RFC 8414).
//!
//! The metadata lists only what the server really implements: a client
//! that reads it must never be sent to an endpoint that answers 404. It is
//! built in one place, [`metadata`], which the OAuth endpoints extend as
//! they are built. Both documents are cacheable for a short while (keys
//! rotate through the control plane, so not for long), answer CORS like
//! every route, and are faulted only by the per-request knobs.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::keys::alg_name;
use crate::error::ApiResult;
use crate::extract::Json;
use crate::state::{App, AppState};

/// Path of the JWKS.
pub const JWKS: &str = "/.well-known/jwks.json";
/// Path of the OpenID Connect discovery document.
pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";
/// Path of the RFC 8414 authorization server metadata (the same document).
pub const OAUTH_AUTHORIZATION_SERVER: &str = "/.well-known/oauth-authorization-server";

/// Five minutes: long enough to spare a verifier a fetch per token, short
/// enough that a key rotated in a test shows up soon in a cached JWKS.
const CACHE_CONTROL: HeaderValue = HeaderValue::from_static("public, max-age=300");

/// The well-known routes (never faulted by the server-wide knobs).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(jwks))
        .routes(routes!(openid_configuration))
        .routes(routes!(oauth_authorization_server))
}

/// The discovery metadata: every URL on the public URL, the issuer as
/// computed by [`App::oidc_issuer`].
pub fn metadata(app: &App) -> Value {
    let id_token_alg = alg_name(app.tokens.key_set().algorithm());
    let mut document = json!({
        "issuer": app.oidc_issuer(),
        "jwks_uri": app.public_url_of(JWKS),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [id_token_alg],
        // Not a registered name: what access and refresh tokens are signed
        // with (JWT_ALGORITHM), for a client that wants to pin it.
        "token_signing_alg_values_supported": [alg_name(app.tokens.algorithm())],
    });
    // ---- OAuth 2.0 / OpenID Connect (contract section 9) ----------------
    // Add each endpoint, grant, response type, PKCE method, scope, claim
    // and client authentication method here when it is implemented, and
    // not before (`app.public_url_of("/oauth2/token")` for the URLs).
    // Nothing is listed yet: no /oauth2/* endpoint answers.
    let oauth: [(&str, Value); 0] = [];
    // ---- end of the OAuth block -------------------------------------------
    if let Some(members) = document.as_object_mut() {
        members.extend(
            oauth
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value)),
        );
    }
    document
}

/// One public key of the JWKS (RFC 7517); which parameters it has depends on `kty`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Jwk {
    /// Key id: the RFC 7638 thumbprint, as in the `kid` of token headers.
    #[schema(example = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")]
    pub kid: String,
    /// `RSA`, `EC` or `OKP`.
    #[schema(example = "RSA")]
    pub kty: String,
    /// The algorithm the key signs with.
    #[schema(example = "RS256")]
    pub alg: String,
    /// Always `sig`.
    #[schema(example = "sig")]
    pub r#use: String,
    /// RSA modulus (base64url).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA exponent (base64url).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "AQAB")]
    pub e: Option<String>,
    /// Curve: `P-256`, `P-384` or `Ed25519`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// EC or OKP public x coordinate (base64url).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC public y coordinate (base64url).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

/// The JWK Set: the current key and the retired-but-still-valid ones.
#[derive(Debug, Serialize, ToSchema)]
pub struct Jwks {
    /// Public keys only; an HMAC secret never appears here.
    pub keys: Vec<Jwk>,
}

/// Authorization server metadata (OpenID Connect Discovery 1.0, RFC 8414):
/// only what the server implements.
#[derive(Debug, Serialize, ToSchema)]
pub struct Metadata {
    /// `JWT_ISSUER` when it is an absolute http(s) URL, otherwise `PUBLIC_URL`.
    #[schema(example = "http://127.0.0.1:8000")]
    pub issuer: String,
    /// Where the signing keys are.
    #[schema(example = "http://127.0.0.1:8000/.well-known/jwks.json")]
    pub jwks_uri: String,
    /// Always `["public"]`.
    pub subject_types_supported: Vec<String>,
    /// The asymmetric key's algorithm (`ID_TOKEN_ALGORITHM`, or `JWT_ALGORITHM` when asymmetric).
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// `JWT_ALGORITHM`: what access and refresh tokens are signed with.
    pub token_signing_alg_values_supported: Vec<String>,
}

/// The public signing keys (JWKS).
///
/// The keys that verify this server's asymmetric tokens, found by the `kid`
/// of a token's header. Cacheable for five minutes.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "discovery",
    responses((status = 200, description = "The JWK Set (RFC 7517)", body = Jwks,
        content_type = "application/json",
        headers(("Cache-Control" = String, description = "public, max-age=300")))))]
async fn jwks(State(app): State<AppState>) -> ApiResult<Response> {
    Ok(cacheable(app.keys().jwks().await?))
}

/// OpenID Connect discovery.
///
/// The issuer, the JWKS URL and the signing algorithms; every endpoint
/// listed is implemented. Cacheable for five minutes.
#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "discovery",
    responses((status = 200, description = "OpenID Provider metadata", body = Metadata,
        headers(("Cache-Control" = String, description = "public, max-age=300")))))]
async fn openid_configuration(State(app): State<AppState>) -> Response {
    cacheable(metadata(&app))
}

/// OAuth 2.0 authorization server metadata (RFC 8414).
///
/// The same document as `/.well-known/openid-configuration`.
#[utoipa::path(get, path = "/.well-known/oauth-authorization-server", tag = "discovery",
    responses((status = 200, description = "Authorization server metadata", body = Metadata,
        headers(("Cache-Control" = String, description = "public, max-age=300")))))]
async fn oauth_authorization_server(State(app): State<AppState>) -> Response {
    cacheable(metadata(&app))
}

fn cacheable(document: Value) -> Response {
    let mut response = Json(document).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, CACHE_CONTROL);
    response
}
