//! The test control plane, `/api/dev/*`: clock, tokens on demand and the
//! bad-token catalogue, users, fault rules, keys, settings, reset.

use utoipa_axum::router::OpenApiRouter;

pub mod requests;

use crate::config::Config;
use crate::state::AppState;

/// Control-plane state: run-time settings and refresh-token families.
#[derive(Debug, Default)]
pub struct DevState {}

impl DevState {
    /// The state of the start.
    pub fn new(_config: &Config) -> Self {
        Self {}
    }
}

/// The `/api/dev/*` routes (only with `ENABLE_DEV_ENDPOINTS`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().merge(requests::router())
}
