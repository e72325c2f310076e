//! `grant_type=refresh_token`: rotation with the rules of `/api/auth/refresh`
//! (one `RevocationList::consume`): reuse is `invalid_grant`.

use std::sync::Arc;

use super::invalid_grant;
use crate::auth::tokens::TokenType;
use crate::error::ApiResult;
use crate::oauth::token::{Ctx, Login, TokenResponse, issue_for_user, scopes};

/// The parameters of this grant.
pub struct Request {
    /// The refresh token.
    pub refresh_token: String,
    /// A narrower scope, optional.
    pub scope: Option<String>,
}

/// Rotates the refresh token.
pub async fn exchange(ctx: &Ctx<'_>, req: Request) -> ApiResult<TokenResponse> {
    let app = ctx.app;
    let mut claims = app
        .tokens
        .verify(&req.refresh_token, TokenType::Refresh)
        .await
        .map_err(|e| invalid_grant(e.to_string()))?;
    ctx.note.presented(&claims.jti);
    ctx.note.parent(&claims.jti);
    if claims
        .client_id
        .as_deref()
        .is_some_and(|id| id != ctx.client.id)
    {
        return Err(invalid_grant(
            "The refresh token was issued to another client",
        ));
    }
    if app.revoked.consume(&claims).is_err() {
        crate::routes::auth::revoke_family_on_reuse(app, &claims.jti);
        return Err(invalid_grant(
            "The refresh token was already used or revoked",
        ));
    }
    let user = app
        .users
        .find_by_id(&claims.sub)
        .filter(|u| !u.disabled)
        .ok_or_else(|| invalid_grant("The user no longer exists or is disabled"))?;
    // REST refresh tokens carry no scope: they get every scope but openid.
    let granted = claims
        .scope
        .clone()
        .unwrap_or_else(|| "profile email roles".to_owned());
    let granted = scopes(ctx.client, Some(&granted))?;
    let asked = match &req.scope {
        Some(asked) => {
            let asked = scopes(ctx.client, Some(asked))?;
            if let Some(extra) = asked.iter().find(|s| !granted.contains(s)) {
                return Err(crate::error::ApiError::oauth(
                    "invalid_scope",
                    format!("Scope '{extra}' was not granted originally"),
                ));
            }
            asked
        }
        None => granted,
    };
    let auth_time = claims
        .extra
        .remove("auth_time")
        .and_then(|v| v.as_i64())
        .unwrap_or(claims.iat);
    issue_for_user(
        ctx,
        Login {
            user: &user,
            scopes: asked,
            extra: Arc::new(claims.extra),
            nonce: None,
            auth_time,
        },
    )
    .await
}
