//! The shared application state: one `Arc` of everything handlers need,
//! cheap to clone into every request.

use std::ops::Deref;
use std::sync::Arc;

use crate::auth::revocation::RevocationList;
use crate::auth::tokens::TokenKeys;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::store::UserStore;

/// Handle to the application, passed to handlers with `State`.
#[derive(Clone)]
pub struct AppState(Arc<App>);

/// Everything the server holds in memory.
pub struct App {
    /// Validated configuration.
    pub config: Config,
    /// Users, seeded at start.
    pub users: UserStore,
    /// JWT keys and validation rules.
    pub tokens: TokenKeys,
    /// Refresh tokens that must be refused.
    pub revoked: RevocationList,
    /// Request counters and latency histograms.
    pub metrics: Metrics,
    /// A bcrypt hash of nothing anyone knows, verified against when the email
    /// is unknown so that a login costs the same whether the user exists.
    pub dummy_hash: String,
}

impl AppState {
    /// Wraps a fully built [`App`].
    pub fn new(app: App) -> Self {
        Self(Arc::new(app))
    }
}

impl Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}
