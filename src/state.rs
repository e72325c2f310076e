//! The shared application state: one `Arc` of everything handlers need,
//! cheap to clone into every request.

use std::ops::Deref;
use std::sync::Arc;

use crate::auth::keys::KeySet;
use crate::auth::revocation::RevocationList;
use crate::auth::tokens::TokenKeys;
use crate::clock::Clock;
use crate::config::Config;
use crate::dev::DevState;
use crate::faults::FaultEngine;
use crate::journal::Journal;
use crate::metrics::Metrics;
use crate::oauth::OAuthState;
use crate::store::UserStore;

/// Handle to the application, passed to handlers with `State`.
#[derive(Clone)]
pub struct AppState(Arc<App>);

/// Everything the server holds in memory.
pub struct App {
    /// Validated configuration.
    pub config: Config,
    /// The one clock: every read of the time goes through it.
    pub clock: Arc<Clock>,
    /// Users, seeded at start.
    pub users: UserStore,
    /// JWT issue and verification (the one verifier).
    pub tokens: TokenKeys,
    /// Tokens that must be refused.
    pub revoked: RevocationList,
    /// Request counters and latency histograms.
    pub metrics: Metrics,
    /// A bcrypt hash of nothing anyone knows, verified against when the email
    /// is unknown so that a login costs the same whether the user exists.
    pub dummy_hash: String,
    /// The fault engine: request knobs, rules, global knobs.
    pub faults: FaultEngine,
    /// OAuth clients, codes and sessions.
    pub oauth: OAuthState,
    /// Control-plane state: settings, refresh families.
    pub dev: DevState,
    /// The request journal and token lineage.
    pub journal: Journal,
}

impl AppState {
    /// Wraps a fully built [`App`].
    pub fn new(app: App) -> Self {
        Self(Arc::new(app))
    }

    /// The asymmetric key set (ID tokens, JWKS, rotation).
    pub fn keys(&self) -> &Arc<KeySet> {
        self.tokens.key_set()
    }
}

impl Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}
