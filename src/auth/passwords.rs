//! bcrypt hashing and verification, always on tokio's blocking pool: even at
//! cost 4 a hash takes about a millisecond of pure CPU, which on an async
//! worker would stall every other request on that thread.

use crate::error::ApiError;

/// Hashes a password at `cost` on the blocking pool.
pub async fn hash(password: String, cost: u32) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || bcrypt::hash(password, cost))
        .await
        .map_err(|error| ApiError::Internal(format!("hash task failed: {error}")))?
        .map_err(|error| ApiError::Internal(format!("bcrypt hash failed: {error}")))
}

/// Verifies a password against a bcrypt hash on the blocking pool.
/// A malformed hash counts as a mismatch (a seed file could carry one).
pub async fn verify(password: String, hash: String) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash).unwrap_or(false))
        .await
        .map_err(|error| ApiError::Internal(format!("verify task failed: {error}")))
}

/// The cost a bcrypt hash was made at (`$2b$12$...` is 12), if it shows one.
pub fn cost_of(hash: &str) -> Option<u32> {
    hash.get(4..6)?
        .parse()
        .ok()
        .filter(|cost| (4..=31).contains(cost))
}

/// Whether `hash` looks like a bcrypt hash we can verify against.
pub fn is_bcrypt_hash(hash: &str) -> bool {
    ["$2a$", "$2b$", "$2y$"]
        .iter()
        .any(|prefix| hash.starts_with(prefix))
        && hash.len() == 60
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify_round_trips() {
        let hashed = hash("password123".into(), 4).await.unwrap();
        assert!(is_bcrypt_hash(&hashed));
        assert!(verify("password123".into(), hashed.clone()).await.unwrap());
        assert!(!verify("password124".into(), hashed).await.unwrap());
    }

    #[tokio::test]
    async fn malformed_hash_is_a_mismatch_not_an_error() {
        assert!(!verify("x".into(), "not-a-hash".into()).await.unwrap());
    }

    #[test]
    fn the_cost_is_read_from_the_hash() {
        assert_eq!(cost_of(&bcrypt::hash("x", 5).unwrap()), Some(5));
        assert_eq!(cost_of("not-a-hash"), None);
    }

    #[test]
    fn all_bcrypt_prefixes_are_recognised() {
        let tail = "$04$abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUVWXYZ01234";
        for prefix in ["$2a", "$2b", "$2y"] {
            assert!(is_bcrypt_hash(&format!("{prefix}{tail}")), "{prefix}");
        }
        assert!(!is_bcrypt_hash(&format!("$1${tail}")));
    }
}
