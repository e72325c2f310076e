//! The middleware stack, applied in one place so its order is visible.
//!
//! Outermost first: request id (set, then echoed), metrics and the
//! request's log (so every response counts, CORS preflights and panics
//! included), CORS (outside the faults, so a simulated 500 still carries
//! CORS headers and a browser reports the 500, not a CORS failure), panic
//! catcher, request timeout, body limit. Fault injection sits on the routes
//! themselves (see `app.rs`), inside all of these.

pub mod cors;
pub mod faults;
pub mod journal;
pub mod metrics;
pub mod request_id;
pub mod timeout;

use std::any::Any;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::error::ApiError;
use crate::state::AppState;

use request_id::REQUEST_ID;

/// Wraps every route (and the fallbacks) in the stack.
///
/// One `ServiceBuilder`, one `Router::layer` call: axum boxes a route's
/// service once per `layer` call and clones that box for every request, so
/// eight separate calls cost eight allocations per request; a composed
/// stack costs one.
pub fn apply(router: Router<AppState>, app: &AppState) -> Router<AppState> {
    let body_limit = usize::try_from(app.config.max_body_bytes).unwrap_or(usize::MAX);
    let stack = ServiceBuilder::new()
        .layer(request_id::RequestIdLayer)
        .layer(metrics::MetricsLayer::new(app.clone()))
        .layer(journal::JournalLayer::new(app.clone()))
        .layer(cors(app))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(timeout::TimeoutLayer)
        .layer(DefaultBodyLimit::max(body_limit));
    router.layer(stack)
}

fn cors(app: &AppState) -> cors::CorsLayer {
    let origins = app.config.cors_origin_list();
    cors::CorsLayer::new(cors_policy(origins.as_deref()), origins.is_none())
}

/// The CORS policy: any origin (`None`) or the listed ones.
pub(crate) fn cors_policy(origins: Option<&[String]>) -> CorsLayer {
    let origin = match origins {
        None => AllowOrigin::any(),
        Some(list) => AllowOrigin::list(
            list.iter()
                .filter_map(|origin| HeaderValue::from_str(origin).ok()),
        ),
    };
    // With any origin allowed the answer does not vary by origin, so the
    // `Vary` header (rebuilt on every response) is left out; a list of
    // origins needs it for caches.
    let vary: &[HeaderName] = if origins.is_some() {
        &[
            header::ORIGIN,
            header::ACCESS_CONTROL_REQUEST_METHOD,
            header::ACCESS_CONTROL_REQUEST_HEADERS,
        ]
    } else {
        &[]
    };
    CorsLayer::new()
        .vary(vary.to_vec())
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

fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    ApiError::Internal(format!("handler panicked: {message}")).into_response()
}
