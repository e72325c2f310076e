//! Seed users: the contract's five test users, or a `SEED_USERS_FILE`.
//! Passwords are hashed once at start (at `BCRYPT_COST`) and reused by resets.

use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use time::OffsetDateTime;

use crate::auth::passwords;
use crate::store::User;
use crate::validation;

/// The password of the five default test users.
pub const DEFAULT_PASSWORD: &str = "password123";

/// One entry of a seed file (or of the built-in table).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedUser {
    /// Optional id; `user-<uuid v4>` when absent.
    pub id: Option<String>,
    /// Email, normalised like a registration's.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Roles; `["user"]` when absent.
    pub roles: Option<Vec<String>>,
    /// Plain password, hashed at start.
    pub password: Option<String>,
    /// Or a ready bcrypt hash (`$2a$`, `$2b$`, `$2y$`).
    pub password_hash: Option<String>,
    /// Custom claims for the user's tokens.
    #[serde(default)]
    pub claims: Option<serde_json::Map<String, serde_json::Value>>,
    /// The OIDC `email_verified` claim (default true).
    #[serde(default)]
    pub email_verified: Option<bool>,
}

/// The contract's five test users.
pub fn default_users() -> Vec<SeedUser> {
    [
        (
            "test-user-123",
            "alice@example.com",
            "Alice Johnson",
            &["admin", "user"][..],
        ),
        (
            "test-user-456",
            "bob@example.com",
            "Bob Smith",
            &["user"][..],
        ),
        (
            "test-user-789",
            "charlie@example.com",
            "Charlie Brown",
            &["user"][..],
        ),
        (
            "test-user-abc",
            "diana@example.com",
            "Diana Prince",
            &["user"][..],
        ),
        (
            "test-user-def",
            "ethan@example.com",
            "Ethan Hunt",
            &["user"][..],
        ),
    ]
    .into_iter()
    .map(|(id, email, name, roles)| SeedUser {
        id: Some(id.to_owned()),
        email: email.to_owned(),
        name: name.to_owned(),
        roles: Some(roles.iter().map(|r| (*r).to_owned()).collect()),
        password: Some(DEFAULT_PASSWORD.to_owned()),
        password_hash: None,
        claims: None,
        email_verified: None,
    })
    .collect()
}

/// Reads and checks a seed file; errors name the file and the entry.
pub fn read_file(path: &Path) -> Result<Vec<SeedUser>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("SEED_USERS_FILE {}: {error}", path.display()))?;
    let users: Vec<SeedUser> = serde_json::from_str(&text)
        .map_err(|error| format!("SEED_USERS_FILE {}: {error}", path.display()))?;
    for (index, user) in users.iter().enumerate() {
        // The user is named by email (the id is optional), so the line points
        // at the entry whatever the file's order.
        check(user).map_err(|why| {
            format!(
                "SEED_USERS_FILE {} entry {index} ({}): {why}",
                path.display(),
                user.email.trim()
            )
        })?;
    }
    Ok(users)
}

fn check(user: &SeedUser) -> Result<(), String> {
    if let Some(name) = user
        .claims
        .as_ref()
        .and_then(crate::dev::users::reserved_claim)
    {
        return Err(format!(
            "claims.{name} is a reserved claim (the server sets it)"
        ));
    }
    validation::email(&user.email).map_err(|e| e.to_string())?;
    validation::name(&user.name).map_err(|e| e.to_string())?;
    match (&user.password, &user.password_hash) {
        (Some(password), None)
            if !password.is_empty() && password.len() <= validation::MAX_PASSWORD_BYTES =>
        {
            Ok(())
        }
        (Some(_), None) => Err("password must be 1 to 72 bytes".to_owned()),
        (None, Some(hash)) if passwords::is_bcrypt_hash(hash) => Ok(()),
        (None, Some(_)) => {
            Err("password_hash is not a bcrypt hash ($2a$, $2b$ or $2y$, 60 chars)".to_owned())
        }
        _ => Err("give exactly one of password and password_hash".to_owned()),
    }
}

/// Turns seed entries into stored users, hashing plain passwords concurrently
/// on the blocking pool.
pub async fn build_users(
    seed: Vec<SeedUser>,
    cost: u32,
    created_at: OffsetDateTime,
) -> Result<Vec<User>, String> {
    let default_roles: Arc<[String]> = Arc::from(vec!["user".to_owned()]);
    let hashes = seed.iter().map(|user| {
        let plain = user.password.clone();
        let ready = user.password_hash.clone();
        async move {
            match (plain, ready) {
                (_, Some(hash)) => Ok(hash),
                (Some(password), None) => passwords::hash(password, cost)
                    .await
                    .map_err(|e| e.to_string()),
                (None, None) => Err("no password".to_owned()),
            }
        }
    });
    let hashes = futures_join_all(hashes).await;
    seed.into_iter()
        .zip(hashes)
        .map(|(entry, hash)| {
            let email = validation::email(&entry.email).map_err(|e| e.to_string())?;
            Ok(User {
                id: entry
                    .id
                    .unwrap_or_else(|| format!("user-{}", uuid::Uuid::new_v4()))
                    .into(),
                email: email.into(),
                name: validation::name(&entry.name).map_err(|e| e.to_string())?,
                roles: entry.roles.map_or_else(|| default_roles.clone(), Arc::from),
                created_at,
                password_hash: hash?,
                claims: Arc::new(entry.claims.unwrap_or_default()),
                email_verified: entry.email_verified.unwrap_or(true),
                disabled: false,
            })
        })
        .collect()
}

/// Runs futures concurrently and keeps their order (a tiny `join_all`).
async fn futures_join_all<F: std::future::Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut outputs = Vec::with_capacity(handles.len());
    for handle in handles {
        match handle.await {
            Ok(output) => outputs.push(output),
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        }
    }
    outputs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_table_has_the_five_contract_users() {
        let users = default_users();
        let ids: Vec<_> = users.iter().filter_map(|u| u.id.as_deref()).collect();
        assert_eq!(
            ids,
            [
                "test-user-123",
                "test-user-456",
                "test-user-789",
                "test-user-abc",
                "test-user-def"
            ]
        );
        assert_eq!(users[0].roles.as_deref().unwrap(), ["admin", "user"]);
    }

    #[test]
    fn seed_entry_needs_exactly_one_password_form() {
        let mut user = default_users().remove(0);
        user.password_hash = Some("$2b$04$".to_owned() + &"a".repeat(53));
        assert!(check(&user).is_err());
        user.password = None;
        assert!(check(&user).is_ok());
    }

    #[test]
    fn seed_entry_may_not_override_a_reserved_claim() {
        for name in [
            "sub", "iss", "exp", "iat", "jti", "type", "aud", "nbf", "email",
        ] {
            let mut user = default_users().remove(0);
            let mut claims = serde_json::Map::new();
            claims.insert("tenant".into(), "acme".into());
            claims.insert(name.into(), "x".into());
            user.claims = Some(claims);
            let why = check(&user).unwrap_err();
            assert!(why.contains(&format!("claims.{name}")), "{why}");
        }
        let mut user = default_users().remove(0);
        user.claims = Some(serde_json::from_str(r#"{"tenant": "acme"}"#).unwrap());
        assert!(check(&user).is_ok());
    }

    #[tokio::test]
    async fn built_users_get_generated_ids_and_default_roles() {
        let entry = SeedUser {
            id: None,
            email: " Zed@Example.com".into(),
            name: "Zed".into(),
            roles: None,
            password: Some("secret-pass".into()),
            password_hash: None,
            claims: None,
            email_verified: None,
        };
        let users = build_users(vec![entry], 4, OffsetDateTime::UNIX_EPOCH)
            .await
            .unwrap();
        assert!(users[0].id.starts_with("user-"));
        assert_eq!(&*users[0].email, "zed@example.com");
        assert_eq!(&*users[0].roles, ["user"]);
        assert!(bcrypt::verify("secret-pass", &users[0].password_hash).unwrap());
    }
}
