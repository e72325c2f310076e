//! `POST /oauth2/introspect` (RFC 7662): `active: false` for anything that
//! does not verify; the token's claims otherwise.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::auth::tokens::{Claims, TokenType};
use crate::error::ApiResult;
use crate::journal::Note;
use crate::oauth::clients;
use crate::oauth::form::{Form, Params};
use crate::oauth::token::json_no_store;
use crate::state::AppState;

/// A form-encoded introspection (or revocation) request.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct TokenParam {
    /// The token.
    #[schema(min_length = 1)]
    token: String,
    /// `access_token` or `refresh_token` (a hint only).
    token_type_hint: Option<String>,
    /// The client (or HTTP Basic).
    client_id: Option<String>,
    /// client_secret_post (or HTTP Basic).
    client_secret: Option<String>,
}

/// Authenticates the caller: required in strict mode, checked when given.
pub fn caller(app: &AppState, headers: &HeaderMap, params: &Params, note: &Note) -> ApiResult<()> {
    let creds = clients::credentials(headers, params)?;
    if let Some(id) = &creds.client_id {
        note.client(id);
    }
    if app.oauth.clients.is_strict() || creds.client_id.is_some() {
        app.oauth.clients.authenticate(&creds)?;
    }
    Ok(())
}

/// The verified, unrevoked claims of an access or refresh token.
pub async fn live_claims(app: &AppState, token: &str) -> Option<Claims> {
    if let Ok(claims) = app.tokens.verify(token, TokenType::Access).await {
        return app
            .revoked
            .check_access(&claims.jti)
            .is_ok()
            .then_some(claims);
    }
    let claims = app.tokens.verify(token, TokenType::Refresh).await.ok()?;
    (!app.revoked.is_refresh_revoked(&claims)).then_some(claims)
}

/// Is this token active?
#[utoipa::path(post, path = "/oauth2/introspect", tag = "oauth",
    request_body(content = TokenParam, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "`{\"active\": false}` or the claims with `active: true`", body = Object),
        (status = 400, description = "`invalid_request`", body = crate::error::ErrorBody),
        (status = 401, description = "`invalid_client`", body = crate::error::ErrorBody),
    ))]
pub async fn introspect(
    State(app): State<AppState>,
    note: Note,
    Form { headers, params }: Form,
) -> ApiResult<Response> {
    caller(&app, &headers, &params, &note)?;
    let token = params.require("token")?;
    let body = match live_claims(&app, token).await {
        None => json!({"active": false}),
        Some(claims) => {
            note.presented(&claims.jti);
            let mut value = serde_json::to_value(&claims).unwrap_or(Value::Null);
            if let Value::Object(map) = &mut value {
                map.insert("active".into(), json!(true));
                map.insert(
                    "token_type".into(),
                    json!(if claims.token_type == "access" {
                        "Bearer"
                    } else {
                        "refresh_token"
                    }),
                );
                if let Some(email) = &claims.email {
                    map.insert("username".into(), json!(email));
                }
            }
            value
        }
    };
    Ok(json_no_store(&body))
}
