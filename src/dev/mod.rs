//! The test control plane, `/api/dev/*`: clock, tokens on demand and the
//! bad-token catalogue, users, fault rules, keys, settings, reset. One file
//! per concern; this one holds the state and the router.

use std::sync::atomic::{AtomicBool, Ordering};

use utoipa_axum::router::OpenApiRouter;

use crate::config::{Config, RefreshReuse};
use crate::state::AppState;

pub mod access;
pub mod actions;
pub mod catalogue;
pub mod clock;
pub mod faults;
pub mod keys;
pub mod requests;
pub mod reset;
pub mod settings;
pub mod tokens;
pub mod users;

/// Control-plane state: run-time settings.
#[derive(Debug, Default)]
pub struct DevState {
    /// `refresh_reuse == revoke-family` now.
    revoke_family: AtomicBool,
    /// `REFRESH_REUSE` of the start.
    start_revoke_family: bool,
}

impl DevState {
    /// The state of the start.
    pub fn new(config: &Config) -> Self {
        let family = config.dev.refresh_reuse == RefreshReuse::RevokeFamily;
        Self {
            revoke_family: AtomicBool::new(family),
            start_revoke_family: family,
        }
    }

    /// The refresh reuse policy now.
    pub fn refresh_reuse(&self) -> RefreshReuse {
        if self.revoke_family.load(Ordering::Acquire) {
            RefreshReuse::RevokeFamily
        } else {
            RefreshReuse::Reject
        }
    }

    /// Sets the refresh reuse policy.
    pub fn set_refresh_reuse(&self, policy: RefreshReuse) {
        self.revoke_family
            .store(policy == RefreshReuse::RevokeFamily, Ordering::Release);
    }

    /// Back to `REFRESH_REUSE`.
    pub fn reset(&self) {
        self.revoke_family
            .store(self.start_revoke_family, Ordering::Release);
    }
}

/// The `/api/dev/*` routes (only with `ENABLE_DEV_ENDPOINTS`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(clock::router())
        .merge(tokens::router())
        .merge(catalogue::router())
        .merge(users::router())
        .merge(faults::router())
        .merge(keys::router())
        .merge(settings::router())
        .merge(reset::router())
        .merge(requests::router())
}
