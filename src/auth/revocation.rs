//! Revocation of refresh tokens. Refresh tokens are stateless JWTs, so the
//! server only remembers the ones it must refuse:
//!
//! - single jtis, revoked by a refresh (rotation) or a logout, kept until the
//!   token's own `exp` and then swept, so the set is bounded by the tokens
//!   still alive;
//! - a reset marker: a UUID v7 taken at the last reset. Every jti is a UUID v7
//!   too, and v7 values of one process sort in creation order, so "issued
//!   before the reset" is a comparison, exact even within the same second.

use std::sync::RwLock;

use dashmap::DashMap;
use uuid::Uuid;

use crate::auth::families::Families;
use crate::auth::tokens::Claims;
use crate::error::ApiError;
use crate::journal::IssuedToken;

/// The refresh tokens that must be refused.
#[derive(Default)]
pub struct RevocationList {
    /// Revoked jti -> the token's `exp`, for sweeping.
    revoked: DashMap<String, i64>,
    /// The latest reset; tokens whose jti sorts before it are revoked.
    reset_marker: RwLock<Option<Uuid>>,
    /// Revoked access jtis -> the token's `exp` (RFC 7009 revocation, family
    /// revocation), swept like the refresh ones.
    revoked_access: DashMap<String, i64>,
    /// Refresh-token families, for `REFRESH_REUSE=revoke-family`.
    families: Families,
}

impl RevocationList {
    /// Revokes the token and succeeds only for the first caller: a second
    /// use, even a concurrent one, gets `TokenRevoked`.
    pub fn consume(&self, claims: &Claims) -> Result<(), ApiError> {
        if self.issued_before_reset(claims) {
            return Err(ApiError::TokenRevoked);
        }
        match self.revoked.insert(claims.jti.clone(), claims.exp) {
            None => Ok(()),
            Some(_) => Err(ApiError::TokenRevoked),
        }
    }

    /// Revokes every token issued so far. The jtis older than the new marker
    /// are dropped (the marker refuses them now); a token issued after it and
    /// consumed before this sweep must stay revoked, so `clear()` would not do.
    pub fn revoke_all_issued(&self) {
        let marker = Uuid::now_v7();
        match self.reset_marker.write() {
            Ok(mut guard) => *guard = Some(marker),
            Err(poisoned) => *poisoned.into_inner() = Some(marker),
        }
        self.drop_older_than(marker);
    }

    fn drop_older_than(&self, marker: Uuid) {
        self.revoked.retain(|jti, _| match Uuid::parse_str(jti) {
            Ok(jti) if jti.get_version_num() == 7 => jti >= marker,
            _ => true,
        });
    }

    /// Drops revoked jtis whose token has expired anyway; returns how many remain.
    pub fn sweep(&self, now: i64) -> usize {
        self.revoked.retain(|_, exp| *exp >= now);
        self.revoked_access.retain(|_, exp| *exp >= now);
        self.families.sweep(now);
        self.revoked.len() + self.revoked_access.len()
    }

    /// Records tokens issued together, in the family of `parent` (the
    /// refresh token they were exchanged for) or in a new one.
    pub fn record_family(&self, parent: Option<&str>, issued: &[IssuedToken]) {
        self.families.record(parent, issued);
    }

    /// A rotated refresh token was used again: revokes every token of its
    /// family (RFC 9700 4.14). Returns how many were revoked.
    pub fn revoke_family_of(&self, jti: &str) -> usize {
        let tokens = self.families.take_family_of(jti);
        for token in &tokens {
            if token.token_type == "refresh" {
                self.revoked.insert(token.jti.clone(), token.exp);
            } else {
                self.revoked_access.insert(token.jti.clone(), token.exp);
            }
        }
        tokens.len()
    }

    /// Refuses an access token from now on (until its `exp`).
    pub fn revoke_access(&self, jti: &str, exp: i64) {
        self.revoked_access.insert(jti.to_owned(), exp);
    }

    /// Revokes a refresh token without consuming it (RFC 7009, families);
    /// returns whether it was live before.
    pub fn revoke_refresh(&self, jti: &str, exp: i64) -> bool {
        self.revoked.insert(jti.to_owned(), exp).is_none()
    }

    /// Whether a refresh token is revoked (used, logged out, revoked, or
    /// issued before the latest reset).
    pub fn is_refresh_revoked(&self, claims: &Claims) -> bool {
        self.issued_before_reset(claims) || self.revoked.contains_key(&claims.jti)
    }

    /// `token_revoked` for a revoked access token. An empty set is the
    /// common case, checked without hashing the jti.
    pub fn check_access(&self, jti: &str) -> Result<(), ApiError> {
        if !self.revoked_access.is_empty() && self.revoked_access.contains_key(jti) {
            return Err(ApiError::TokenRevoked);
        }
        Ok(())
    }

    /// Forgets every revoked access jti (the control plane's reset).
    pub fn clear_access(&self) {
        self.revoked_access.clear();
        self.families.clear();
    }

    /// Number of individually revoked jtis.
    pub fn len(&self) -> usize {
        self.revoked.len()
    }

    /// Whether no jti is individually revoked.
    pub fn is_empty(&self) -> bool {
        self.revoked.is_empty()
    }

    fn issued_before_reset(&self, claims: &Claims) -> bool {
        let marker = match self.reset_marker.read() {
            Ok(guard) => *guard,
            Err(poisoned) => *poisoned.into_inner(),
        };
        let Some(marker) = marker else {
            return false;
        };
        match Uuid::parse_str(&claims.jti) {
            Ok(jti) if jti.get_version_num() == 7 => jti < marker,
            // Not one of ours: fall back to the issue second, erring on refusal.
            _ => {
                let reset_secs = marker.get_timestamp().map_or(i64::MAX, |ts| {
                    i64::try_from(ts.to_unix().0).unwrap_or(i64::MAX)
                });
                claims.iat <= reset_secs
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            sub: "u".into(),
            email: None,
            name: None,
            roles: None,
            token_type: "refresh".into(),
            iat: 0,
            exp,
            jti: Uuid::now_v7().to_string(),
            iss: "mock-auth-server".into(),
            aud: None,
            nbf: None,
            client_id: None,
            scope: None,
            extra: serde_json::Map::new(),
        }
    }

    #[test]
    fn a_token_can_be_consumed_once() {
        let list = RevocationList::default();
        let token = claims(i64::MAX);
        assert!(list.consume(&token).is_ok());
        assert!(matches!(list.consume(&token), Err(ApiError::TokenRevoked)));
    }

    #[test]
    fn reset_revokes_tokens_issued_before_it_but_not_after() {
        let list = RevocationList::default();
        let before = claims(i64::MAX);
        list.revoke_all_issued();
        let after = claims(i64::MAX);
        assert!(matches!(list.consume(&before), Err(ApiError::TokenRevoked)));
        assert!(list.consume(&after).is_ok());
    }

    #[test]
    fn a_token_consumed_while_a_reset_sweeps_stays_revoked() {
        let list = RevocationList::default();
        list.revoke_all_issued();
        let marker = list
            .reset_marker
            .read()
            .ok()
            .and_then(|guard| *guard)
            .unwrap();
        let after = claims(i64::MAX);
        list.consume(&after).unwrap();
        // The reset's sweep running late, after that consume.
        list.drop_older_than(marker);
        assert!(matches!(list.consume(&after), Err(ApiError::TokenRevoked)));
    }

    #[test]
    fn sweep_drops_expired_jtis_only() {
        let list = RevocationList::default();
        list.consume(&claims(100)).unwrap();
        list.consume(&claims(300)).unwrap();
        assert_eq!(list.sweep(200), 1);
    }

    #[test]
    fn concurrent_consumers_of_one_token_have_one_winner() {
        let list = std::sync::Arc::new(RevocationList::default());
        let token = claims(i64::MAX);
        let wins: usize = (0..16)
            .map(|_| {
                let (list, token) = (list.clone(), token.clone());
                std::thread::spawn(move || list.consume(&token).is_ok())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| usize::from(h.join().unwrap_or(false)))
            .sum();
        assert_eq!(wins, 1);
    }
}
