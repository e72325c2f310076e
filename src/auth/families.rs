//! Refresh-token families (RFC 9700 section 4.14): every token descended
//! from one login. With `REFRESH_REUSE=revoke-family`, a second use of a
//! rotated refresh token revokes the whole family, access tokens included,
//! since the reuse means someone else holds a copy.
//!
//! Bounded by the live tokens: a family is dropped by the sweep once its
//! last token has expired.

use dashmap::DashMap;

use crate::journal::IssuedToken;

/// The family of every token issued by a login or a refresh.
#[derive(Debug, Default)]
pub struct Families {
    /// jti -> family id (the first refresh jti of the login).
    of: DashMap<String, String>,
    /// family id -> its tokens.
    members: DashMap<String, Vec<IssuedToken>>,
}

impl Families {
    /// Records tokens issued together; `parent` is the refresh token they
    /// were exchanged for (`None`: a new login starts a family).
    pub fn record(&self, parent: Option<&str>, issued: &[IssuedToken]) {
        let family = parent
            .and_then(|parent| self.of.get(parent).map(|family| family.clone()))
            .or_else(|| {
                issued
                    .iter()
                    .find(|token| token.token_type == "refresh")
                    .map(|token| token.jti.clone())
            });
        let Some(family) = family else {
            return;
        };
        for token in issued {
            self.of.insert(token.jti.clone(), family.clone());
        }
        self.members
            .entry(family)
            .or_default()
            .extend(issued.iter().cloned());
    }

    /// The tokens of the family `jti` belongs to, removed from the index.
    pub fn take_family_of(&self, jti: &str) -> Vec<IssuedToken> {
        let Some((_, family)) = self.of.remove(jti) else {
            return Vec::new();
        };
        let tokens = self
            .members
            .remove(&family)
            .map(|(_, tokens)| tokens)
            .unwrap_or_default();
        for token in &tokens {
            self.of.remove(&token.jti);
        }
        tokens
    }

    /// Drops the families whose every token has expired.
    pub fn sweep(&self, now: i64) {
        self.members.retain(|_, tokens| {
            let live = tokens.iter().any(|token| token.exp >= now);
            if !live {
                for token in tokens.iter() {
                    self.of.remove(&token.jti);
                }
            }
            live
        });
    }

    /// Forgets every family (the control plane's reset).
    pub fn clear(&self) {
        self.of.clear();
        self.members.clear();
    }

    /// Number of families tracked.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether no family is tracked.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(jti: &str, kind: &str, exp: i64) -> IssuedToken {
        IssuedToken {
            jti: jti.into(),
            token_type: kind.into(),
            sub: "u".into(),
            exp,
        }
    }

    #[test]
    fn a_refresh_chain_is_one_family_and_is_taken_whole() {
        let families = Families::default();
        families.record(
            None,
            &[token("a1", "access", 10), token("r1", "refresh", 100)],
        );
        families.record(
            Some("r1"),
            &[token("a2", "access", 10), token("r2", "refresh", 100)],
        );
        families.record(
            None,
            &[token("b1", "access", 10), token("s1", "refresh", 100)],
        );
        let mut taken: Vec<String> = families
            .take_family_of("r1")
            .into_iter()
            .map(|t| t.jti)
            .collect();
        taken.sort();
        assert_eq!(taken, ["a1", "a2", "r1", "r2"]);
        assert_eq!(families.len(), 1);
    }

    #[test]
    fn a_family_dies_with_its_last_token() {
        let families = Families::default();
        families.record(
            None,
            &[token("a1", "access", 10), token("r1", "refresh", 100)],
        );
        families.sweep(50);
        assert_eq!(families.len(), 1);
        families.sweep(101);
        assert!(families.is_empty());
        assert!(families.take_family_of("r1").is_empty());
    }
}
