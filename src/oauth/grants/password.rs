//! `grant_type=password`: the real bcrypt check of `/api/auth/login`,
//! against the dummy hash for an unknown email (same timing).

use std::sync::Arc;

use super::invalid_grant;
use crate::auth::passwords;
use crate::error::ApiResult;
use crate::oauth::token::{Ctx, Login, TokenResponse, issue_for_user, scopes};

/// The parameters of this grant.
pub struct Request {
    /// The email.
    pub username: String,
    /// The password.
    pub password: String,
    /// Scopes.
    pub scope: Option<String>,
}

/// Checks the password and issues tokens.
pub async fn exchange(ctx: &Ctx<'_>, req: Request) -> ApiResult<TokenResponse> {
    let granted = scopes(ctx.client, req.scope.as_deref())?;
    let user = check_password(ctx.app, &req.username, req.password)
        .await?
        .ok_or_else(|| invalid_grant("Invalid email or password"))?;
    issue_for_user(
        ctx,
        Login {
            user: &user,
            scopes: granted,
            extra: Arc::default(),
            nonce: None,
            auth_time: ctx.app.clock.unix(),
        },
    )
    .await
}

/// The enabled user with that email and password (bcrypt on the blocking
/// pool; an unknown email is checked against the dummy hash).
pub async fn check_password(
    app: &crate::state::AppState,
    email: &str,
    password: String,
) -> ApiResult<Option<Arc<crate::store::User>>> {
    let user = app.users.find_by_email(&email.trim().to_lowercase());
    let hash = user
        .as_ref()
        .map_or_else(|| app.dummy_hash.clone(), |u| u.password_hash.clone());
    let too_long = password.len() > crate::validation::MAX_PASSWORD_BYTES;
    let matches = passwords::verify(password, hash).await?;
    Ok(user.filter(|u| matches && !too_long && !u.disabled))
}
