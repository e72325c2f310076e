//! The shared application state: one `Arc` of everything handlers need,
//! cheap to clone into every request.

use std::ops::Deref;
use std::sync::{Arc, OnceLock};

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
    /// `http://HOST:PORT` as bound (127.0.0.1 for an unspecified host), set
    /// by `Server::bind` once it listens: the default of `PUBLIC_URL`.
    pub bound_url: OnceLock<String>,
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

impl App {
    /// `PUBLIC_URL`, or `http://HOST:PORT` as bound: the base of every URL
    /// in the discovery metadata, as given (a trailing slash kept).
    pub fn public_url(&self) -> String {
        if let Some(url) = &self.config.keys.public_url {
            return url.clone();
        }
        if let Some(url) = self.bound_url.get() {
            return url.clone();
        }
        // Not bound yet (a state built without a server): the configured address.
        crate::server::http_url(std::net::SocketAddr::new(
            self.config.host,
            self.config.port,
        ))
    }

    /// A URL of this server: the public URL without its trailing slash,
    /// then `path` (which starts with `/`), so no URL gets a double slash.
    pub fn public_url_of(&self, path: &str) -> String {
        format!("{}{path}", self.public_url().trim_end_matches('/'))
    }

    /// The OpenID issuer (the metadata's `issuer`, ID tokens' `iss`):
    /// `JWT_ISSUER` when it is an absolute http(s) URL, else the public URL.
    /// Either keeps a trailing slash it was given with.
    pub fn oidc_issuer(&self) -> String {
        if self.config.issuer_is_url() {
            self.config.jwt_issuer.clone()
        } else {
            self.public_url()
        }
    }
}

impl Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}
