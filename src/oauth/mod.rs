//! OAuth 2.0 and OpenID Connect: discovery, authorize (+ login page and
//! session cookie), token (one file per grant), userinfo, introspection,
//! revocation, logout.

pub mod authorize;
pub mod clients;
pub mod discovery;
pub mod form;
pub mod grants;
pub mod introspect;
pub mod logout;
pub mod revoke;
pub mod sessions;
pub mod token;
pub mod userinfo;

use axum::http::HeaderMap;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config::Config;
use crate::state::AppState;

/// The scopes this server understands (OIDC Core 5.4 plus `roles`).
pub const SCOPES: [&str; 5] = ["openid", "profile", "email", "roles", "offline_access"];

/// OAuth clients, authorization codes and sessions.
pub struct OAuthState {
    /// The registered clients (strict) or the permissive rules.
    pub clients: clients::Clients,
    /// Authorization codes and login sessions.
    pub sessions: sessions::Sessions,
}

impl OAuthState {
    /// Loads `OAUTH_CLIENTS_FILE` if set; the message names the setting.
    pub fn new(config: &Config) -> Result<Self, String> {
        Ok(Self {
            clients: clients::Clients::load(config.oauth.oauth_clients_file.as_deref())?,
            sessions: sessions::Sessions::default(),
        })
    }
}

/// The `/oauth2/*` routes (faulted like `/api/auth/*`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(authorize::authorize_get, authorize::authorize_post))
        .routes(routes!(token::token))
        .routes(routes!(userinfo::userinfo_get, userinfo::userinfo_post))
        .routes(routes!(introspect::introspect))
        .routes(routes!(revoke::revoke))
        .routes(routes!(logout::logout))
}

/// The OpenID issuer, exactly as the discovery metadata names it.
pub fn oidc_issuer(app: &AppState, _headers: &HeaderMap) -> String {
    app.oidc_issuer()
}

/// The OAuth part of the discovery metadata (RFC 8414 / OIDC Discovery):
/// exactly what this module implements. discovery.rs merges it.
pub fn metadata(base: &str) -> Value {
    let base = base.trim_end_matches('/');
    json!({
        "authorization_endpoint": format!("{base}/oauth2/authorize"),
        "token_endpoint": format!("{base}/oauth2/token"),
        "userinfo_endpoint": format!("{base}/oauth2/userinfo"),
        "introspection_endpoint": format!("{base}/oauth2/introspect"),
        "revocation_endpoint": format!("{base}/oauth2/revoke"),
        "end_session_endpoint": format!("{base}/oauth2/logout"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "password", "client_credentials"],
        "code_challenge_methods_supported": ["S256", "plain"],
        "scopes_supported": SCOPES,
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
            "email", "email_verified", "name", "roles"],
        "prompt_values_supported": ["none", "login"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
    })
}
