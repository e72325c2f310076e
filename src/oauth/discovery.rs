//! `/.well-known/jwks.json`, `/.well-known/openid-configuration` and
//! `/.well-known/oauth-authorization-server`.

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// The well-known routes (never faulted by the server-wide knobs).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
