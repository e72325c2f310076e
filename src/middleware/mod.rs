//! The middleware stack, applied in one place so its order is visible.
//!
//! Outermost first: request id (set, then trace with it, then echo it),
//! metrics (so every response counts, CORS preflights and panics included),
//! CORS (outside the faults, so a simulated 500 still carries CORS headers
//! and a browser reports the 500, not a CORS failure), panic catcher,
//! request timeout, body limit. Fault injection sits on the routes
//! themselves (see `app.rs`), inside all of these.

pub mod faults;
pub mod metrics;

use std::any::Any;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::error::ApiError;
use crate::state::AppState;

/// Requests are cut off after this long; above the largest simulated delay
/// (60 s) so that a delayed request always completes.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(75);

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps every route (and the fallbacks) in the stack.
pub fn apply(router: Router<AppState>, app: &AppState) -> Router<AppState> {
    let body_limit = usize::try_from(app.config.max_body_bytes).unwrap_or(usize::MAX);
    // `layer` calls wrap what is already there: the last one is outermost.
    router
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(from_fn(timeout))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(cors(app))
        .layer(from_fn_with_state(app.clone(), metrics::track))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    let id = request
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO))
                // Errors log themselves where they are made; no second line.
                .on_failure(()),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

fn cors(app: &AppState) -> CorsLayer {
    let origin = match app.config.cors_origin_list() {
        None => AllowOrigin::any(),
        Some(list) => AllowOrigin::list(
            list.iter()
                .filter_map(|origin| HeaderValue::from_str(origin).ok()),
        ),
    };
    CorsLayer::new()
        .allow_origin(origin)
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            REQUEST_ID,
            HeaderName::from_static("x-mock-delay"),
            HeaderName::from_static("x-mock-error"),
        ])
        .expose_headers([REQUEST_ID])
        .max_age(Duration::from_secs(600))
}

async fn timeout(request: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout(REQUEST_TIMEOUT.as_secs()).into_response(),
    }
}

fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    ApiError::Internal(format!("handler panicked: {message}")).into_response()
}
