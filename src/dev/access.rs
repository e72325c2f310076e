//! The `DEV_API_KEY` guard of every dev endpoint (section 4's and
//! `/api/dev/*`): header `X-Dev-Api-Key`, compared in constant time.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::state::AppState;

/// Refuses a dev request without the right key (401 `missing_token` /
/// `invalid_token`); everything passes when `DEV_API_KEY` is unset.
pub async fn guard(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let Some(expected) = app.config.dev.dev_api_key.as_deref() else {
        return next.run(request).await;
    };
    match request.headers().get("x-dev-api-key") {
        None => ApiError::MissingToken.into_response(),
        Some(given) if bool::from(given.as_bytes().ct_eq(expected.as_bytes())) => {
            next.run(request).await
        }
        Some(_) => {
            ApiError::InvalidToken("X-Dev-Api-Key is not the DEV_API_KEY".into()).into_response()
        }
    }
}
