//! `POST /api/dev/users`, `PATCH|DELETE /api/dev/users/{id}` and
//! `POST /api/dev/users/generate` (fake users).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use fake::Fake;
use fake::faker::name::raw::{FirstName, LastName};
use fake::locales::EN;
use rand::rngs::ChaCha8Rng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::passwords;
use crate::dev::actions::{self, Via};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::metrics::control::Action;
use crate::state::AppState;
use crate::store::{User, UserView};
use crate::validation;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_user))
        .routes(routes!(patch_user, delete_user))
        .routes(routes!(generate_users))
}

/// Claims a user's custom claims may not set: the contract's seven, and
/// every other claim the server writes itself. A custom `email` or `nbf`
/// would otherwise appear twice in the token's JSON (the claims struct
/// flattens the custom ones beside its own fields), and a verifier that
/// refuses duplicate keys, ours included, would refuse the token.
pub const RESERVED_CLAIMS: &[&str] = &[
    "sub",
    "iss",
    "exp",
    "iat",
    "jti",
    "type",
    "aud",
    "nbf",
    "email",
    "email_verified",
    "name",
    "roles",
    "client_id",
    "scope",
    "auth_time",
    "nonce",
    "at_hash",
];

/// The first reserved claim in `claims`, if any.
pub fn reserved_claim(claims: &Map<String, Value>) -> Option<&str> {
    claims
        .keys()
        .map(String::as_str)
        .find(|k| RESERVED_CLAIMS.contains(k))
}

/// 422 naming the first reserved claim in `claims`.
pub fn check_claims(claims: &Map<String, Value>) -> ApiResult<()> {
    match reserved_claim(claims) {
        Some(name) => Err(ApiError::validation(
            &format!("claims.{name}"),
            "is a reserved claim",
        )),
        None => Ok(()),
    }
}

/// A new user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "dana@example.com", "password": "password123", "name": "Dana", "roles": ["admin"], "claims": {"tenant": "acme"}}))]
pub struct NewUser {
    /// Email (unique); the rules and pattern of `POST /api/auth/register`.
    #[schema(
        pattern = r"^[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,20}(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,20}){0,2}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?){1,4}[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub email: String,
    /// Password (bcrypt-hashed), 8 to 72 bytes.
    #[schema(min_length = 8, max_length = 72)]
    pub password: String,
    /// Display name, 1 to 100 characters after trimming.
    #[schema(
        pattern = r"^[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000](?:[\s\S]{0,98}[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub name: String,
    /// Roles (default `["user"]`).
    pub roles: Option<Vec<String>>,
    /// Custom claims copied into tokens and userinfo.
    pub claims: Option<Map<String, Value>>,
    /// Default `true`.
    pub email_verified: Option<bool>,
}

/// A change of a user; every field optional.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"disabled": true}))]
pub struct UserPatch {
    /// Display name, 1 to 100 characters after trimming.
    #[schema(
        pattern = r"^[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000](?:[\s\S]{0,98}[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub name: Option<String>,
    /// Roles.
    pub roles: Option<Vec<String>>,
    /// Custom claims (replace the old ones).
    pub claims: Option<Map<String, Value>>,
    /// Email verified.
    pub email_verified: Option<bool>,
    /// New password, 8 to 72 bytes.
    #[schema(min_length = 8, max_length = 72)]
    pub password: Option<String>,
    /// A disabled user's login and tokens get `user_disabled`.
    pub disabled: Option<bool>,
}

/// Create a user (dev).
#[utoipa::path(post, path = "/api/dev/users", tag = "dev", request_body = NewUser,
    responses(
        (status = 201, description = "The user", body = UserView),
        (status = 409, description = "`email_taken`", body = ErrorBody),
        (status = 422, description = "`validation_error` naming the field", body = ErrorBody),
    ))]
async fn create_user(
    State(app): State<AppState>,
    Json(new): Json<NewUser>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let email = validation::email(&new.email)?;
    let password = validation::password(&new.password)?;
    let name = validation::name(&new.name)?;
    let claims = new.claims.unwrap_or_default();
    check_claims(&claims)?;
    let password_hash = passwords::hash(password, app.config.bcrypt_cost).await?;
    let user = actions::add_user(
        &app,
        User {
            id: format!("user-{}", uuid::Uuid::new_v4()).into(),
            email: email.into(),
            name,
            roles: new
                .roles
                .map(Arc::from)
                .unwrap_or_else(|| app.users.default_roles()),
            created_at: app.clock.now(),
            password_hash,
            claims: Arc::new(claims),
            email_verified: new.email_verified.unwrap_or(true),
            disabled: false,
        },
        Via::Api,
    )?;
    Ok((StatusCode::CREATED, Json(user.view())))
}

/// Change a user (dev).
#[utoipa::path(patch, path = "/api/dev/users/{id}", tag = "dev", request_body = UserPatch,
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "The user after the change", body = UserView),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 422, description = "`validation_error` naming the field", body = ErrorBody),
    ))]
async fn patch_user(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Json(patch): Json<UserPatch>,
) -> ApiResult<Json<UserView>> {
    let old = app
        .users
        .find_by_id(&id)
        .ok_or_else(|| ApiError::NotFound(format!("No user with id {id}")))?;
    let mut user = (*old).clone();
    if let Some(name) = patch.name {
        user.name = validation::name(&name)?;
    }
    if let Some(roles) = patch.roles {
        user.roles = Arc::from(roles);
    }
    if let Some(claims) = patch.claims {
        check_claims(&claims)?;
        user.claims = Arc::new(claims);
    }
    if let Some(verified) = patch.email_verified {
        user.email_verified = verified;
    }
    if let Some(disabled) = patch.disabled {
        user.disabled = disabled;
    }
    if let Some(password) = patch.password {
        let password = validation::password(&password)?;
        user.password_hash = passwords::hash(password, app.config.bcrypt_cost).await?;
    }
    let user = actions::change_user(&app, user, Via::Api)?;
    Ok(Json(user.view()))
}

/// Delete a user (dev); their tokens then get `user_not_found`.
#[utoipa::path(delete, path = "/api/dev/users/{id}", tag = "dev",
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "`not_found`", body = ErrorBody),
    ))]
async fn delete_user(State(app): State<AppState>, Path(id): Path<String>) -> ApiResult<StatusCode> {
    actions::delete_user(&app, &id, Via::Api)
        .ok_or_else(|| ApiError::NotFound(format!("No user with id {id}")))?;
    Ok(StatusCode::NO_CONTENT)
}

/// A batch of fake users.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"count": 1000, "seed": 42}))]
pub struct GenerateRequest {
    /// 1 to 100000.
    #[schema(minimum = 1, maximum = 100000)]
    pub count: u64,
    /// Their one password (default `password123`), 8 to 72 bytes.
    #[schema(min_length = 8, max_length = 72)]
    pub password: Option<String>,
    /// Their roles (default `["user"]`).
    pub roles: Option<Vec<String>>,
    /// Email domain (default `example.com`): a dot and no `@`.
    #[schema(pattern = r"^[^@]*\.[^@]*$")]
    pub domain: Option<String>,
    /// The same seed gives the same users.
    pub seed: Option<u64>,
}

/// What the generator made.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Generated {
    /// Users created.
    pub created: usize,
    /// The first 100 of them.
    pub users: Vec<UserView>,
}

/// Generate fake users (dev): realistic names, unique emails, one password.
#[utoipa::path(post, path = "/api/dev/users/generate", tag = "dev", request_body = GenerateRequest,
    responses(
        (status = 201, description = "Created", body = Generated),
        (status = 422, description = "`validation_error` naming the field", body = ErrorBody),
    ))]
async fn generate_users(
    State(app): State<AppState>,
    Json(request): Json<GenerateRequest>,
) -> ApiResult<(StatusCode, Json<Generated>)> {
    if !(1..=100_000).contains(&request.count) {
        return Err(ApiError::validation("count", "must be from 1 to 100000"));
    }
    let domain = request.domain.as_deref().unwrap_or("example.com");
    if domain.is_empty() || domain.contains('@') || !domain.contains('.') {
        return Err(ApiError::validation(
            "domain",
            "must be a domain like example.com",
        ));
    }
    let password = validation::password(
        request
            .password
            .as_deref()
            .unwrap_or(crate::seed::DEFAULT_PASSWORD),
    )?;
    let hash = passwords::hash(password, app.config.bcrypt_cost).await?;
    let roles = request
        .roles
        .map(Arc::from)
        .unwrap_or_else(|| app.users.default_roles());
    let seed = request.seed.unwrap_or_else(rand::random);
    let batch = fake_users(
        request.count as usize,
        seed,
        domain,
        &hash,
        &roles,
        app.clock.now(),
    );
    let created = app.users.insert_many(batch);
    app.metrics
        .count_n(Action::UserCreated, created.len() as u64);
    tracing::info!(created = created.len(), seed, "fake users generated");
    Ok((
        StatusCode::CREATED,
        Json(Generated {
            created: created.len(),
            users: created.iter().take(100).map(|u| u.view()).collect(),
        }),
    ))
}

/// `count` fake users, deterministic by `seed`, sharing one password hash.
///
/// Names come from the `fake` crate's English lists, drawn from a ChaCha8
/// stream keyed by the seed: ChaCha8 is a fixed algorithm (unlike `StdRng`,
/// which rand may change between versions), so with the lockfile's `fake`
/// the same seed gives the same users on every machine. Emails are
/// `first.last.<tag><n>@domain`: `n` makes them unique within the batch and
/// the seed's `tag` keeps batches of different seeds apart.
pub fn fake_users(
    count: usize,
    seed: u64,
    domain: &str,
    hash: &str,
    roles: &Arc<[String]>,
    created_at: time::OffsetDateTime,
) -> Vec<User> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let claims: Arc<Map<String, Value>> = Arc::default();
    let tag = format!("{:08x}", rng.next_u32());
    (0..count)
        .map(|i| {
            let first: &str = FirstName(EN).fake_with_rng(&mut rng);
            let last: &str = LastName(EN).fake_with_rng(&mut rng);
            let email = format!(
                "{}.{}.{tag}{i}@{domain}",
                email_part(first),
                email_part(last)
            );
            User {
                id: format!("user-fake-{tag}-{i}").into(),
                email: email.into(),
                name: format!("{first} {last}"),
                roles: roles.clone(),
                created_at,
                password_hash: hash.to_owned(),
                claims: claims.clone(),
                email_verified: true,
                disabled: false,
            }
        })
        .collect()
}

/// A name as an email's local part: lowercase ASCII letters and digits only
/// (the lists hold names like "O'Keefe"; an apostrophe is legal in an email
/// but trips many a client's validator).
fn email_part(name: &str) -> String {
    let part: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if part.is_empty() {
        "user".to_owned()
    } else {
        part
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(count: usize, seed: u64) -> Vec<User> {
        let roles: Arc<[String]> = Arc::from(vec!["user".to_owned()]);
        fake_users(
            count,
            seed,
            "example.com",
            "$2b$04$hash",
            &roles,
            time::OffsetDateTime::UNIX_EPOCH,
        )
    }

    // Pinned: a change of generator, stream or name list (a `fake` upgrade
    // in the lockfile) would silently change every test suite's seeded
    // users, so it has to show up here first.
    #[test]
    fn seed_42_gives_the_same_users_on_every_run_and_machine() {
        let users = batch(3, 42);
        let got: Vec<(&str, &str, &str)> = users
            .iter()
            .map(|u| (&*u.id, &*u.email, u.name.as_str()))
            .collect();
        assert_eq!(got, PINNED_SEED_42);
    }

    #[test]
    fn other_seeds_give_other_users_with_unique_valid_emails() {
        let a = batch(2000, 1);
        let b = batch(2000, 2);
        assert_ne!(a[0].email, b[0].email);
        let mut emails: Vec<&str> = a.iter().chain(&b).map(|u| &*u.email).collect();
        emails.sort_unstable();
        emails.dedup();
        assert_eq!(emails.len(), 4000);
        for user in &a {
            assert!(
                crate::validation::email(&user.email).is_ok(),
                "{}",
                user.email
            );
            assert!(crate::validation::name(&user.name).is_ok(), "{}", user.name);
        }
    }

    #[test]
    fn a_batch_shares_one_hash_and_one_roles_allocation() {
        let users = batch(10, 5);
        assert!(users.iter().all(|u| u.password_hash == "$2b$04$hash"));
        assert!(
            users
                .windows(2)
                .all(|w| Arc::ptr_eq(&w[0].roles, &w[1].roles))
        );
    }

    #[test]
    fn email_parts_drop_what_is_not_a_letter_or_digit() {
        assert_eq!(email_part("O'Keefe"), "okeefe");
        assert_eq!(email_part("'"), "user");
    }

    const PINNED_SEED_42: [(&str, &str, &str); 3] = [
        (
            "user-fake-395d5ba1-0",
            "marisol.corkery.395d5ba10@example.com",
            "Marisol Corkery",
        ),
        (
            "user-fake-395d5ba1-1",
            "valentina.rutherford.395d5ba11@example.com",
            "Valentina Rutherford",
        ),
        (
            "user-fake-395d5ba1-2",
            "hettie.heathcote.395d5ba12@example.com",
            "Hettie Heathcote",
        ),
    ];
}
