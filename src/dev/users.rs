//! `POST /api/dev/users`, `PATCH|DELETE /api/dev/users/{id}` and
//! `POST /api/dev/users/generate` (fake users).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::passwords;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
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

/// Claims a user's custom claims may not set.
pub const RESERVED_CLAIMS: &[&str] = &["sub", "iss", "exp", "iat", "jti", "type", "aud"];

/// 422 naming the first reserved claim in `claims`.
pub fn check_claims(claims: &Map<String, Value>) -> ApiResult<()> {
    match claims
        .keys()
        .find(|k| RESERVED_CLAIMS.contains(&k.as_str()))
    {
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
    let user = app.users.insert(User {
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
    })?;
    tracing::info!(user = %user.id, "dev user created");
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
    let user = app.users.replace(user)?;
    tracing::info!(user = %user.id, "dev user changed");
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
    app.users
        .remove(&id)
        .ok_or_else(|| ApiError::NotFound(format!("No user with id {id}")))?;
    tracing::info!(user = %id, "dev user deleted");
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
    tracing::info!(created = created.len(), seed, "fake users generated");
    Ok((
        StatusCode::CREATED,
        Json(Generated {
            created: created.len(),
            users: created.iter().take(100).map(|u| u.view()).collect(),
        }),
    ))
}

const FIRST: &[&str] = &[
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Amelia",
    "Oliver",
    "Sophia",
    "Elijah",
    "Charlotte",
    "James",
    "Ava",
    "William",
    "Isabella",
    "Benjamin",
    "Mia",
    "Lucas",
    "Evelyn",
    "Henry",
    "Harper",
    "Theodore",
    "Luna",
    "Jack",
    "Camila",
    "Levi",
    "Gianna",
    "Alexander",
    "Elizabeth",
    "Jackson",
    "Eleanor",
    "Mateo",
    "Ella",
    "Daniel",
    "Abigail",
    "Michael",
    "Sofia",
    "Mason",
    "Avery",
    "Sebastian",
    "Scarlett",
    "Ethan",
    "Emily",
    "Logan",
    "Aria",
    "Owen",
    "Penelope",
    "Samuel",
    "Chloe",
    "Jacob",
    "Layla",
    "Asher",
    "Mila",
    "Aiden",
    "Nora",
    "John",
    "Hazel",
    "Joseph",
    "Madison",
    "Wyatt",
    "Ellie",
    "David",
    "Lily",
    "Leo",
    "Nova",
    "Luke",
    "Isla",
    "Julian",
    "Grace",
    "Hudson",
    "Violet",
    "Grayson",
    "Aurora",
    "Matthew",
    "Riley",
    "Ezra",
    "Zoey",
    "Gabriel",
    "Willow",
    "Carter",
    "Emilia",
    "Isaac",
    "Stella",
    "Jayden",
    "Zoe",
];
const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Gomez",
    "Phillips",
    "Evans",
    "Turner",
    "Diaz",
    "Parker",
    "Cruz",
    "Edwards",
    "Collins",
    "Reyes",
    "Stewart",
    "Morris",
    "Morales",
    "Murphy",
    "Cook",
    "Rogers",
    "Gutierrez",
    "Ortiz",
    "Morgan",
    "Cooper",
    "Peterson",
    "Bailey",
    "Reed",
    "Kelly",
    "Howard",
    "Ramos",
    "Kim",
    "Cox",
    "Ward",
    "Richardson",
    "Watson",
];

/// SplitMix64: a tiny deterministic generator (same seed, same users).
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `count` fake users, deterministic by `seed`, sharing one password hash.
/// Emails are `first.last.N@domain`, unique within the batch by `N`.
pub fn fake_users(
    count: usize,
    seed: u64,
    domain: &str,
    hash: &str,
    roles: &Arc<[String]>,
    created_at: time::OffsetDateTime,
) -> Vec<User> {
    let mut state = seed;
    let claims: Arc<Map<String, Value>> = Arc::default();
    let tag = format!("{:08x}", next(&mut state.clone()) as u32);
    (0..count)
        .map(|i| {
            let first = FIRST[(next(&mut state) % FIRST.len() as u64) as usize];
            let last = LAST[(next(&mut state) % LAST.len() as u64) as usize];
            let email = format!(
                "{}.{}.{tag}{i}@{domain}",
                first.to_ascii_lowercase(),
                last.to_ascii_lowercase()
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
