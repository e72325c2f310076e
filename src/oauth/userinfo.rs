//! `GET|POST /oauth2/userinfo` (OIDC Core 5.3): the claims of the token's scopes.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};

use crate::auth::tokens::TokenType;
use crate::error::{ApiError, ApiResult};
use crate::extract::{BearerToken, Json};
use crate::journal::Note;
use crate::state::AppState;

fn invalid_token(description: impl Into<String>) -> ApiError {
    ApiError::OAuth {
        status: StatusCode::UNAUTHORIZED,
        error: "invalid_token",
        description: description.into(),
        basic: false,
    }
}

async fn claims_of(
    app: &AppState,
    note: &Note,
    headers: &HeaderMap,
) -> ApiResult<Json<Map<String, Value>>> {
    let mut parts = axum::http::Request::new(()).into_parts().0;
    parts.headers = headers.clone();
    let BearerToken(token) =
        <BearerToken as axum::extract::FromRequestParts<()>>::from_request_parts(&mut parts, &())
            .await?;
    let claims = app
        .tokens
        .verify(&token, TokenType::Access)
        .await
        .map_err(|e| invalid_token(e.to_string()))?;
    note.user(&claims.sub);
    note.presented(&claims.jti);
    app.revoked
        .check_access(&claims.jti)
        .map_err(|_| invalid_token("Token has been revoked"))?;
    let user = app
        .users
        .find_by_id(&claims.sub)
        .filter(|u| !u.disabled)
        .ok_or_else(|| invalid_token("The token's user no longer exists or is disabled"))?;
    // A REST token (no scope) sees every claim but nothing OAuth-only.
    let scopes: Vec<String> = claims.scope.as_deref().map_or_else(
        || vec!["profile".into(), "email".into(), "roles".into()],
        |s| s.split(' ').map(str::to_owned).collect(),
    );
    let mut extra = claims.extra.clone();
    for standard in ["auth_time", "grant"] {
        extra.remove(standard);
    }
    Ok(Json(crate::oauth::token::scoped_claims(
        &user, &scopes, &extra,
    )))
}

/// The user's claims (GET).
#[utoipa::path(get, path = "/oauth2/userinfo", tag = "oauth", security(("bearer" = []), ("oauth2" = ["openid"])),
    responses(
        (status = 200, description = "Claims of the token's scopes", body = Object),
        (status = 401, description = "`invalid_token` with `WWW-Authenticate: Bearer error=\"invalid_token\"`", body = crate::error::ErrorBody),
    ))]
pub async fn userinfo_get(
    State(app): State<AppState>,
    note: Note,
    headers: HeaderMap,
) -> ApiResult<Json<Map<String, Value>>> {
    claims_of(&app, &note, &headers).await
}

/// The user's claims (POST, same answer).
#[utoipa::path(post, path = "/oauth2/userinfo", tag = "oauth", security(("bearer" = []), ("oauth2" = ["openid"])),
    responses(
        (status = 200, description = "Claims of the token's scopes", body = Object),
        (status = 401, description = "`invalid_token` with `WWW-Authenticate: Bearer error=\"invalid_token\"`", body = crate::error::ErrorBody),
    ))]
pub async fn userinfo_post(
    State(app): State<AppState>,
    note: Note,
    headers: HeaderMap,
) -> ApiResult<Json<Map<String, Value>>> {
    claims_of(&app, &note, &headers).await
}
