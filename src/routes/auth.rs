//! `/api/auth/*`: register, login, refresh, logout and me.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::passwords;
use crate::auth::tokens::TokenType;
use crate::dev::catalogue::TokenFault;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthUser, Json};
use crate::journal::Note;
use crate::state::AppState;
use crate::store::{User, UserView};
use crate::validation;

/// The routes of this module, with their OpenAPI descriptions.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me))
}

/// Body of `POST /api/auth/register`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "new.user@example.com", "password": "password123", "name": "New User"}))]
pub struct RegisterRequest {
    /// Email; trimmed and lowercased, one `@`, a domain with a dot, at most 254 chars.
    /// The pattern is the ASCII subset of what the server accepts (unquoted
    /// local part of up to three dot-separated atoms, two to five domain
    /// labels), with the whitespace Rust's `trim` removes allowed around it.
    #[schema(
        pattern = r"^[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,20}(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,20}){0,2}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?){1,4}[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub email: String,
    /// 8 to 72 **bytes** of UTF-8 (bcrypt ignores bytes past 72, so longer
    /// is refused rather than truncated). The schema's lengths count
    /// characters: a non-ASCII password is measured in bytes by the server.
    #[schema(min_length = 8, max_length = 72)]
    pub password: String,
    /// 1 to 100 characters after trimming: the pattern counts from the
    /// first to the last character that is not Unicode white space.
    #[schema(
        pattern = r"^[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000](?:[\s\S]{0,98}[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub name: String,
}

/// Body of `POST /api/auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "alice@example.com", "password": "password123"}))]
pub struct LoginRequest {
    /// Email, compared case-insensitively; anything but white space
    /// (an unknown email is the same 401 as a wrong password).
    #[schema(
        pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    pub email: String,
    /// Password (not empty).
    #[schema(min_length = 1)]
    pub password: String,
}

/// Body of `POST /api/auth/refresh` and `POST /api/auth/logout`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    /// A refresh token from login, register or a previous refresh (not
    /// empty once trimmed).
    #[schema(
        min_length = 1,
        pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    pub refresh_token: String,
}

/// The answer of login, register and refresh.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenPair {
    /// Access JWT: send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Refresh JWT: single use; exchange it at `/api/auth/refresh`.
    pub refresh_token: String,
    /// Always `bearer`.
    #[schema(example = "bearer")]
    pub token_type: String,
    /// Access token lifetime in seconds.
    #[schema(example = 1800)]
    pub expires_in: i64,
    /// Refresh token lifetime in seconds.
    #[schema(example = 604800)]
    pub refresh_expires_in: i64,
    /// The authenticated user.
    pub user: UserView,
}

async fn token_pair(
    app: &AppState,
    user: &User,
    note: &Note,
    fault: &TokenFault,
) -> ApiResult<Json<TokenPair>> {
    let mut pair = app.tokens.issue_pair(user).await?;
    // Issue 11: X-Mock-Token-Fault / mock_token_fault.
    crate::dev::catalogue::apply_token_fault(app, fault.0.as_deref(), &mut pair, note).await?;
    note.user(&user.id);
    note.issued(&pair.access);
    note.issued(&pair.refresh);
    let parent = note.read(|data| data.parent.clone());
    track_family(
        app,
        parent.as_deref(),
        &[(&pair.access).into(), (&pair.refresh).into()],
    );
    Ok(Json(TokenPair {
        access_token: pair.access_token,
        refresh_token: pair.refresh_token,
        token_type: "bearer".to_owned(),
        expires_in: pair.expires_in,
        refresh_expires_in: pair.refresh_expires_in,
        user: user.view(),
    }))
}

/// Register a new user and log them in.
///
/// The user gets an id `user-<uuid v4>` and roles `["user"]`.
#[utoipa::path(post, path = "/api/auth/register", tag = "auth", request_body = RegisterRequest,
    responses(
        (status = 201, description = "User created; tokens issued", body = TokenPair),
        (status = 400, description = "Body is not valid JSON", body = ErrorBody),
        (status = 409, description = "`email_taken`", body = ErrorBody),
        (status = 413, description = "Body over MAX_BODY_BYTES", body = ErrorBody),
        (status = 415, description = "Body is not application/json", body = ErrorBody),
        (status = 422, description = "`validation_error`; the detail names the field", body = ErrorBody),
    ))]
async fn register(
    State(app): State<AppState>,
    note: Note,
    fault: TokenFault,
    Json(req): Json<RegisterRequest>,
) -> ApiResult<impl IntoResponse> {
    let email = validation::email(&req.email)?;
    let password = validation::password(&req.password)?;
    let name = validation::name(&req.name)?;
    // A cheap early answer for the common case; the insert below is the
    // race-free check that decides between concurrent registrations.
    if app.users.find_by_email(&email).is_some() {
        return Err(ApiError::EmailTaken);
    }
    let password_hash = passwords::hash(password, app.config.bcrypt_cost).await?;
    let user = app.users.insert(User {
        id: format!("user-{}", uuid::Uuid::new_v4()).into(),
        email: email.into(),
        name,
        roles: app.users.default_roles(),
        created_at: app.clock.now(),
        password_hash,
        claims: std::sync::Arc::default(),
        email_verified: true,
        disabled: false,
    })?;
    tracing::info!(user_id = %user.id, "user registered");
    Ok((
        StatusCode::CREATED,
        token_pair(&app, &user, &note, &fault).await?,
    ))
}

/// Log in with email and password.
///
/// Unknown email and wrong password give the same 401, in the same time.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Tokens issued", body = TokenPair),
        (status = 400, description = "Body is not valid JSON", body = ErrorBody),
        (status = 401, description = "`invalid_credentials`", body = ErrorBody),
        (status = 413, description = "Body over MAX_BODY_BYTES", body = ErrorBody),
        (status = 415, description = "Body is not application/json", body = ErrorBody),
        (status = 422, description = "`validation_error`; the detail names the field", body = ErrorBody),
    ))]
async fn login(
    State(app): State<AppState>,
    note: Note,
    fault: TokenFault,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Json<TokenPair>> {
    let email = req.email.trim().to_lowercase();
    if email.is_empty() {
        return Err(ApiError::validation("email", "must not be empty"));
    }
    if req.password.is_empty() {
        return Err(ApiError::validation("password", "must not be empty"));
    }
    let user = app.users.find_by_email(&email);
    let hash = user
        .as_ref()
        .map_or_else(|| app.dummy_hash.clone(), |u| u.password_hash.clone());
    // bcrypt would compare only the first 72 bytes; no stored password is
    // longer, so a longer one cannot match. Verify anyway to keep the timing.
    let too_long = req.password.len() > validation::MAX_PASSWORD_BYTES;
    let matches = passwords::verify(req.password, hash).await?;
    match user {
        Some(user) if matches && !too_long && user.disabled => Err(ApiError::UserDisabled),
        Some(user) if matches && !too_long => token_pair(&app, &user, &note, &fault).await,
        _ => Err(ApiError::InvalidCredentials),
    }
}

/// Exchange a refresh token for a new pair (rotation).
///
/// The presented refresh token is revoked: a second use is 401 `token_revoked`.
#[utoipa::path(post, path = "/api/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 200, description = "New access and refresh tokens", body = TokenPair),
        (status = 400, description = "Body is not valid JSON", body = ErrorBody),
        (status = 401, description = "`invalid_token`, `token_expired`, `wrong_token_type`, `token_revoked` or `user_not_found`", body = ErrorBody),
        (status = 413, description = "Body over MAX_BODY_BYTES", body = ErrorBody),
        (status = 415, description = "Body is not application/json", body = ErrorBody),
        (status = 422, description = "`validation_error`", body = ErrorBody),
    ))]
async fn refresh(
    State(app): State<AppState>,
    note: Note,
    fault: TokenFault,
    Json(req): Json<RefreshRequest>,
) -> ApiResult<Json<TokenPair>> {
    let user = consume_refresh_token(&app, &req, &note).await?;
    if let Some(parent) = note.read(|data| data.presented.clone()) {
        note.parent(&parent);
    }
    token_pair(&app, &user, &note, &fault).await
}

/// Log out: revoke the refresh token.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 204, description = "Refresh token revoked"),
        (status = 400, description = "Body is not valid JSON", body = ErrorBody),
        (status = 401, description = "`invalid_token`, `token_expired`, `wrong_token_type`, `token_revoked` or `user_not_found`", body = ErrorBody),
        (status = 413, description = "Body over MAX_BODY_BYTES", body = ErrorBody),
        (status = 415, description = "Body is not application/json", body = ErrorBody),
        (status = 422, description = "`validation_error`", body = ErrorBody),
    ))]
async fn logout(
    State(app): State<AppState>,
    note: Note,
    Json(req): Json<RefreshRequest>,
) -> ApiResult<StatusCode> {
    consume_refresh_token(&app, &req, &note).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Verifies and revokes a refresh token; returns its (still existing) user.
async fn consume_refresh_token(
    app: &AppState,
    req: &RefreshRequest,
    note: &Note,
) -> ApiResult<std::sync::Arc<User>> {
    let token = req.refresh_token.trim();
    if token.is_empty() {
        return Err(ApiError::validation("refresh_token", "must not be empty"));
    }
    let claims = app.tokens.verify(token, TokenType::Refresh).await?;
    note.user(&claims.sub);
    note.presented(&claims.jti);
    if let Err(error) = app.revoked.consume(&claims) {
        revoke_family_on_reuse(app, &claims.jti);
        return Err(error);
    }
    let user = app
        .users
        .find_by_id(&claims.sub)
        .ok_or(ApiError::UserNotFound)?;
    if user.disabled {
        return Err(ApiError::UserDisabled);
    }
    Ok(user)
}

/// Records tokens issued together in their refresh family, only while the
/// policy is `revoke-family`: with `reject` no family is ever read, and
/// tracking each login's family for the refresh token's 7 days would grow
/// the server by every login. Tokens issued under `reject` belong to no
/// family after a switch (documented in the README).
pub fn track_family(app: &AppState, parent: Option<&str>, issued: &[crate::journal::IssuedToken]) {
    if app.dev.refresh_reuse() == crate::config::RefreshReuse::RevokeFamily {
        app.revoked.record_family(parent, issued);
    }
}

/// With `REFRESH_REUSE=revoke-family`, a reused refresh token takes its
/// whole family down with it (RFC 9700 4.14).
pub fn revoke_family_on_reuse(app: &AppState, jti: &str) {
    if app.dev.refresh_reuse() == crate::config::RefreshReuse::RevokeFamily {
        let revoked = app.revoked.revoke_family_of(jti);
        tracing::info!(revoked, "refresh token reused: its family is revoked");
    }
}

/// The user of the access token.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The current user", body = UserView),
        (status = 401, description = "`missing_token`, `invalid_token`, `token_expired`, `wrong_token_type` or `user_not_found`", body = ErrorBody),
    ))]
async fn me(AuthUser(user): AuthUser) -> Json<UserView> {
    Json(user.view())
}
