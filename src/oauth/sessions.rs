//! Authorization codes (single use, 60 s) and login sessions (the cookie).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use dashmap::DashMap;
use serde_json::{Map, Value};

/// Lifetime of an authorization code, by our clock.
pub const CODE_TTL: i64 = 60;
/// Lifetime of a login session, by our clock.
pub const SESSION_TTL: i64 = 8 * 3600;
/// The session cookie's name.
pub const COOKIE: &str = "mock_auth_session";
/// Most codes and sessions kept; past it the expired ones are swept.
const MAX_ENTRIES: usize = 10_000;

/// What a code was issued for.
#[derive(Debug, Clone)]
pub struct Code {
    /// The client it was issued to.
    pub client_id: String,
    /// The redirect URI of the authorization request.
    pub redirect_uri: String,
    /// PKCE challenge and method (`S256` or `plain`).
    pub challenge: Option<(String, String)>,
    /// The user who logged in.
    pub user_id: String,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// The OIDC nonce, returned in the ID token.
    pub nonce: Option<String>,
    /// When the user logged in (unix).
    pub auth_time: i64,
    /// Extra claims typed on the login page.
    pub extra: Arc<Map<String, Value>>,
    /// Expiry (unix).
    pub exp: i64,
}

/// A code's state: unused, or used with the tokens it gave (jti, exp, is_refresh).
enum CodeState {
    Fresh(Code),
    Used(Vec<(String, i64, bool)>),
}

/// A logged-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    /// The user.
    pub user_id: String,
    /// When they logged in (unix).
    pub auth_time: i64,
    /// Extra claims of that login.
    pub extra: Arc<Map<String, Value>>,
    /// Expiry (unix).
    pub exp: i64,
}

/// The redemption of a code.
pub enum Redeem {
    /// First use: the code.
    Fresh(Code),
    /// Second use: the tokens the first use gave (to revoke).
    Reused(Vec<(String, i64, bool)>),
    /// Unknown or expired.
    Unknown,
}

/// Codes and sessions, bounded and swept by expiry.
#[derive(Default)]
pub struct Sessions {
    codes: DashMap<String, (i64, CodeState)>,
    sessions: DashMap<String, Session>,
    /// The second of the last sweep of each map: past `MAX_ENTRIES` a sweep
    /// on every insert scanned the whole map each time (quadratic in the
    /// codes a second), so it runs at most once a second.
    swept: [AtomicI64; 2],
}

/// Whether a map of `len` entries is due a sweep at `now`; claims it if so.
fn sweep_due(len: usize, last: &AtomicI64, now: i64) -> bool {
    len >= MAX_ENTRIES && last.fetch_max(now, Ordering::Relaxed) < now
}

fn random_id() -> String {
    let bytes: [u8; 32] = rand::random();
    crate::auth::keys::b64url(&bytes)
}

impl Sessions {
    /// Stores a code and returns its value.
    pub fn insert_code(&self, code: Code, now: i64) -> String {
        if sweep_due(self.codes.len(), &self.swept[0], now) {
            self.codes.retain(|_, (exp, _)| *exp + CODE_TTL > now);
        }
        let id = random_id();
        self.codes
            .insert(id.clone(), (code.exp, CodeState::Fresh(code)));
        id
    }

    /// Takes a code: the first call gets it, later calls see `Reused`.
    pub fn redeem(&self, id: &str, now: i64) -> Redeem {
        let Some(mut entry) = self.codes.get_mut(id) else {
            return Redeem::Unknown;
        };
        let (exp, state) = &mut *entry;
        match state {
            CodeState::Used(tokens) => Redeem::Reused(std::mem::take(tokens)),
            CodeState::Fresh(_) if *exp <= now => Redeem::Unknown,
            CodeState::Fresh(_) => match std::mem::replace(state, CodeState::Used(Vec::new())) {
                CodeState::Fresh(code) => Redeem::Fresh(code),
                CodeState::Used(_) => Redeem::Unknown,
            },
        }
    }

    /// Remembers the tokens a code gave, so a reuse can revoke them.
    pub fn record_issued(&self, id: &str, tokens: Vec<(String, i64, bool)>) {
        if let Some(mut entry) = self.codes.get_mut(id)
            && let CodeState::Used(list) = &mut entry.1
        {
            *list = tokens;
        }
    }

    /// Starts a session and returns its id (the cookie value).
    pub fn start(&self, session: Session, now: i64) -> String {
        if sweep_due(self.sessions.len(), &self.swept[1], now) {
            self.sessions.retain(|_, s| s.exp > now);
        }
        let id = random_id();
        self.sessions.insert(id.clone(), session);
        id
    }

    /// The live session of that id.
    pub fn find(&self, id: &str, now: i64) -> Option<Session> {
        self.sessions
            .get(id)
            .map(|s| s.clone())
            .filter(|s| s.exp > now)
    }

    /// Ends a session.
    pub fn end(&self, id: &str) {
        self.sessions.remove(id);
    }

    /// Forgets every code and session.
    pub fn reset(&self) {
        self.codes.clear();
        self.sessions.clear();
    }
}

/// The session id of the request's cookie header.
pub fn cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_map_is_swept_once_a_second_not_on_every_insert() {
        let last = AtomicI64::new(0);
        assert!(!sweep_due(MAX_ENTRIES - 1, &last, 100));
        assert!(sweep_due(MAX_ENTRIES, &last, 100));
        assert!(!sweep_due(MAX_ENTRIES + 5, &last, 100));
        assert!(sweep_due(MAX_ENTRIES, &last, 101));
    }
}
