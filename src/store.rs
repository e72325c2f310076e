//! The in-memory user store: unique lowercased emails, lookups by id, and
//! creation order for the paginated list.
//!
//! Registration is race-free by construction: the email map's `entry()` holds
//! the shard lock from the existence check to the insert, so two concurrent
//! registrations of one email cannot both win. A reset swaps in a whole new
//! generation of maps, so readers never see a half-cleared store.

use std::sync::{Arc, RwLock};

use dashmap::DashMap;
use dashmap::mapref::entry::Entry;
use serde::Serialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

use crate::error::ApiError;

/// A stored user, password hash included (never serialised).
#[derive(Debug, Clone)]
pub struct User {
    /// Stable id, the `sub` claim.
    pub id: Arc<str>,
    /// Lowercased, trimmed email; unique.
    pub email: Arc<str>,
    /// Display name.
    pub name: String,
    /// Roles, shared between users that have the same ones.
    pub roles: Arc<[String]>,
    /// Creation time, whole seconds, UTC.
    pub created_at: OffsetDateTime,
    /// bcrypt hash of the password.
    pub password_hash: String,
    /// Custom claims, copied into access and ID tokens and userinfo.
    pub claims: Arc<Map<String, Value>>,
    /// The OIDC `email_verified` claim.
    pub email_verified: bool,
    /// A disabled user cannot log in and their tokens are refused (`user_disabled`).
    pub disabled: bool,
}

/// The public view of a user: what every response shows.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
#[schema(example = json!({"id": "test-user-123", "email": "alice@example.com", "name": "Alice Johnson", "roles": ["admin", "user"], "created_at": "2026-11-25T10:00:00Z", "claims": {}, "email_verified": true, "disabled": false}))]
pub struct UserView {
    /// The user's id (`sub` of their tokens).
    pub id: String,
    /// Lowercased email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Roles, e.g. `["user"]`.
    pub roles: Vec<String>,
    /// RFC 3339 UTC creation time.
    pub created_at: String,
    /// Custom claims, copied into the user's tokens and userinfo.
    #[schema(value_type = Object)]
    pub claims: Map<String, Value>,
    /// Whether the email counts as verified (OIDC `email_verified`).
    pub email_verified: bool,
    /// Whether the user is disabled (login and tokens refused with `user_disabled`).
    pub disabled: bool,
}

impl User {
    /// The public view of this user.
    pub fn view(&self) -> UserView {
        UserView {
            id: self.id.to_string(),
            email: self.email.to_string(),
            name: self.name.clone(),
            roles: self.roles.to_vec(),
            created_at: rfc3339(self.created_at),
            claims: (*self.claims).clone(),
            email_verified: self.email_verified,
            disabled: self.disabled,
        }
    }
}

/// Formats a time as RFC 3339 UTC with whole seconds (`2026-11-25T10:00:00Z`).
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.replace_nanosecond(0)
        .unwrap_or(at)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// One generation of the store; a reset replaces it whole.
#[derive(Default)]
struct Users {
    by_email: DashMap<Arc<str>, Arc<User>>,
    by_id: DashMap<Arc<str>, Arc<User>>,
    /// Creation order, append-only: a page is a slice, whatever the size.
    order: RwLock<Vec<Arc<User>>>,
}

/// Thread-safe user store with seed data to reset to.
pub struct UserStore {
    /// The live generation. A std lock: it is held only to clone the `Arc`.
    current: RwLock<Arc<Users>>,
    /// The seed users, hashed once at start and reused by every reset.
    seed: Vec<Arc<User>>,
    /// `["user"]`, shared by every registered user.
    default_roles: Arc<[String]>,
}

impl UserStore {
    /// A store holding exactly `seed`, which must have unique emails and ids.
    pub fn new(seed: Vec<User>) -> Result<Self, String> {
        let seed: Vec<Arc<User>> = seed.into_iter().map(Arc::new).collect();
        let store = Self {
            current: RwLock::new(Arc::default()),
            seed,
            default_roles: Arc::from(vec!["user".to_owned()]),
        };
        let users = store.generation();
        for user in &store.seed {
            users
                .insert(user.clone())
                .map_err(|_| format!("duplicate seed user email or id: {}", user.email))?;
        }
        Ok(store)
    }

    fn generation(&self) -> Arc<Users> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Adds a user; `EmailTaken` if the email (or id) exists.
    pub fn insert(&self, user: User) -> Result<Arc<User>, ApiError> {
        let user = Arc::new(user);
        self.generation().insert(user.clone())?;
        Ok(user)
    }

    /// The user with this (already normalised) email.
    pub fn find_by_email(&self, email: &str) -> Option<Arc<User>> {
        self.generation().by_email.get(email).map(|u| u.clone())
    }

    /// The user with this id.
    pub fn find_by_id(&self, id: &str) -> Option<Arc<User>> {
        self.generation().by_id.get(id).map(|u| u.clone())
    }

    /// Number of users.
    pub fn len(&self) -> usize {
        self.generation().by_email.len()
    }

    /// Whether the store is empty (a seed file may be `[]`).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Up to `limit` users from `offset` in creation order, and the total.
    pub fn page(&self, offset: usize, limit: usize) -> (Vec<Arc<User>>, usize) {
        let users = self.generation();
        let order = match users.order.read() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let start = offset.min(order.len());
        let end = start.saturating_add(limit).min(order.len());
        (order[start..end].to_vec(), order.len())
    }

    /// The roles of a registered user, `["user"]`.
    pub fn default_roles(&self) -> Arc<[String]> {
        self.default_roles.clone()
    }

    /// The seed users (for the start-up banner).
    pub fn seed(&self) -> &[Arc<User>] {
        &self.seed
    }

    // --- Control plane (issue 11): replace, remove, bulk insert. ---

    /// Replaces the user of the same id (same email: ids and emails never
    /// change). `NotFound` when there is none.
    pub fn replace(&self, user: User) -> Result<Arc<User>, ApiError> {
        let users = self.generation();
        let user = Arc::new(user);
        if !users.by_id.contains_key(&user.id) {
            return Err(ApiError::NotFound(format!("No user with id {}", user.id)));
        }
        users.by_id.insert(user.id.clone(), user.clone());
        users.by_email.insert(user.email.clone(), user.clone());
        let mut order = match users.order.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(slot) = order.iter_mut().find(|u| u.id == user.id) {
            *slot = user.clone();
        }
        Ok(user)
    }

    /// Removes the user with this id; the removed user, if there was one.
    pub fn remove(&self, id: &str) -> Option<Arc<User>> {
        let users = self.generation();
        let (_, user) = users.by_id.remove(id)?;
        users.by_email.remove(&user.email);
        let mut order = match users.order.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        order.retain(|u| u.id != user.id);
        Some(user)
    }

    /// Inserts many users; those whose email exists are skipped. Returns the
    /// inserted ones, in order.
    pub fn insert_many(&self, batch: Vec<User>) -> Vec<Arc<User>> {
        let users = self.generation();
        batch
            .into_iter()
            .map(Arc::new)
            .filter(|user| users.insert(user.clone()).is_ok())
            .collect()
    }

    /// Restores exactly the seed users; returns how many there are.
    pub fn reset(&self) -> usize {
        let fresh = Users::default();
        for user in &self.seed {
            // Seed uniqueness was checked in `new`, so this cannot collide.
            let _ = fresh.insert(user.clone());
        }
        let mut current = match self.current.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *current = Arc::new(fresh);
        self.seed.len()
    }
}

impl Users {
    fn insert(&self, user: Arc<User>) -> Result<(), ApiError> {
        // Ids are uuids or seed-file ids checked at start, so only a seed
        // collision could hit the id check; it keeps the two maps consistent.
        if self.by_id.contains_key(&user.id) {
            return Err(ApiError::EmailTaken);
        }
        match self.by_email.entry(user.email.clone()) {
            Entry::Occupied(_) => Err(ApiError::EmailTaken),
            Entry::Vacant(slot) => {
                self.by_id.insert(user.id.clone(), user.clone());
                match self.order.write() {
                    Ok(mut order) => order.push(user.clone()),
                    Err(poisoned) => poisoned.into_inner().push(user.clone()),
                }
                // Inserted last, while the shard is still locked: a concurrent
                // registration of this email waits here and then sees it taken.
                slot.insert(user);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, email: &str) -> User {
        User {
            id: id.into(),
            email: email.into(),
            name: "Test".into(),
            roles: Arc::from(vec!["user".to_owned()]),
            created_at: OffsetDateTime::UNIX_EPOCH,
            password_hash: String::new(),
            claims: Arc::default(),
            email_verified: true,
            disabled: false,
        }
    }

    #[test]
    fn duplicate_email_is_refused() {
        let store = UserStore::new(vec![user("a", "a@x.io")]).unwrap();
        assert!(matches!(
            store.insert(user("b", "a@x.io")),
            Err(ApiError::EmailTaken)
        ));
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn duplicate_seed_emails_are_refused() {
        assert!(UserStore::new(vec![user("a", "a@x.io"), user("b", "a@x.io")]).is_err());
    }

    #[test]
    fn pages_follow_creation_order_and_total_counts_all() {
        let store = UserStore::new(vec![user("s", "s@x.io")]).unwrap();
        for i in 0..10 {
            store
                .insert(user(&format!("u{i}"), &format!("u{i}@x.io")))
                .unwrap();
        }
        let (page, total) = store.page(1, 3);
        assert_eq!(total, 11);
        let ids: Vec<&str> = page.iter().map(|u| &*u.id).collect();
        assert_eq!(ids, ["u0", "u1", "u2"]);
        assert!(store.page(50, 3).0.is_empty());
    }

    #[test]
    fn reset_restores_exactly_the_seed() {
        let store = UserStore::new(vec![user("s", "s@x.io")]).unwrap();
        store.insert(user("u", "u@x.io")).unwrap();
        assert_eq!(store.reset(), 1);
        assert!(store.find_by_id("u").is_none());
        assert!(store.find_by_email("s@x.io").is_some());
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn concurrent_inserts_of_one_email_have_exactly_one_winner() {
        let store = Arc::new(UserStore::new(vec![]).unwrap());
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let store = store.clone();
                std::thread::spawn(move || {
                    store.insert(user(&format!("id{i}"), "same@x.io")).is_ok()
                })
            })
            .collect();
        let wins = handles
            .into_iter()
            .filter_map(|h| h.join().ok())
            .filter(|won| *won)
            .count();
        assert_eq!(wins, 1);
        assert_eq!(store.page(0, 100).1, 1);
    }
}
