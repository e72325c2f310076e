//! `grant_type=client_credentials`: a confidential client for itself;
//! `sub` is the client id and there is no refresh token.

use axum::http::StatusCode;
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::oauth::token::{Ctx, TokenResponse, scopes};

/// The parameters of this grant.
pub struct Request {
    /// Scopes (only non-user ones make sense; OIDC scopes are refused).
    pub scope: Option<String>,
}

/// Issues an access token to the client.
pub async fn exchange(ctx: &Ctx<'_>, req: Request) -> ApiResult<TokenResponse> {
    if !ctx.client.confidential {
        return Err(ApiError::OAuth {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: "client_credentials needs an authenticated (confidential) client".into(),
            basic: false,
        });
    }
    let granted = scopes(ctx.client, req.scope.as_deref())?;
    if granted
        .iter()
        .any(|s| s == "openid" || s == "offline_access")
    {
        return Err(ApiError::oauth(
            "invalid_scope",
            "client_credentials has no user: no openid or offline_access",
        ));
    }
    let app = ctx.app;
    let scope = granted.join(" ");
    let mut claims = app.tokens.client_claims(&ctx.client.id);
    claims.roles = Some(Vec::new());
    claims.client_id = Some(ctx.client.id.clone());
    claims.scope = Some(scope.clone());
    claims.aud = Some(
        app.tokens
            .audience()
            .map_or_else(|| ctx.client.id.clone(), str::to_owned),
    );
    claims
        .extra
        .insert("grant".into(), json!("client_credentials"));
    let token = app.tokens.sign(&claims).await?;
    ctx.note.user(&ctx.client.id);
    ctx.note.issued(&claims);
    Ok(TokenResponse {
        access_token: token,
        token_type: "Bearer",
        expires_in: claims.exp - claims.iat,
        scope,
        refresh_token: None,
        id_token: None,
    })
}
