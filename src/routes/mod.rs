//! HTTP handlers, one module per resource, plus the fallbacks that turn
//! unknown paths and methods into the contract's JSON errors.

pub mod auth;
pub mod health;
pub mod metrics;
pub mod users;

use axum::Extension;
use axum::http::{Method, Uri};
use axum::response::IntoResponse;

use crate::error::ApiError;

/// Marks a response that matched no route, so metrics count it as `UNMATCHED`
/// (an unknown path or method must not create a metrics key of its own).
#[derive(Debug, Clone, Copy)]
pub struct Unmatched;

/// 404 for any path no route has.
pub async fn not_found(uri: Uri) -> impl IntoResponse {
    (
        Extension(Unmatched),
        ApiError::NotFound(uri.path().to_owned()),
    )
}

/// 405 for a known path with a method it does not serve.
pub async fn method_not_allowed(method: Method) -> impl IntoResponse {
    (
        Extension(Unmatched),
        ApiError::MethodNotAllowed(method.to_string()),
    )
}
