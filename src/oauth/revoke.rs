//! `POST /oauth2/revoke` (RFC 7009): refresh and access tokens; 200 for any
//! well-formed request, whatever the token.

use axum::extract::State;
use axum::http::StatusCode;

use crate::auth::tokens::TokenType;
use crate::error::ApiResult;
use crate::journal::Note;
use crate::oauth::form::Form;
use crate::oauth::introspect::caller;
use crate::state::AppState;

/// Revoke a token.
#[utoipa::path(post, path = "/oauth2/revoke", tag = "oauth",
    request_body(content = crate::oauth::introspect::TokenParam, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Revoked (or was never valid)"),
        (status = 400, description = "`invalid_request`", body = crate::error::ErrorBody),
        (status = 401, description = "`invalid_client`", body = crate::error::ErrorBody),
    ))]
pub async fn revoke(
    State(app): State<AppState>,
    note: Note,
    Form { headers, params }: Form,
) -> ApiResult<StatusCode> {
    caller(&app, &headers, &params, &note)?;
    let token = params.require("token")?;
    if let Ok(claims) = app.tokens.verify(token, TokenType::Access).await {
        note.presented(&claims.jti);
        app.revoked.revoke_access(&claims.jti, claims.exp);
    } else if let Ok(claims) = app.tokens.verify(token, TokenType::Refresh).await {
        note.presented(&claims.jti);
        app.revoked.revoke_refresh(&claims.jti, claims.exp);
    }
    Ok(StatusCode::OK)
}
