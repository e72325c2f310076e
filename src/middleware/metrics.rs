//! Metrics middleware: times every request and counts it under its route
//! template (axum's `MatchedPath`), never its raw URI, so keys stay bounded.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::metrics::UNMATCHED;
use crate::routes::Unmatched;
use crate::state::AppState;

/// Middleware: records status and latency of the request.
pub async fn track(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| format!("{} {}", request.method(), path.as_str()));
    let response = next.run(request).await;
    let key = match route {
        Some(key) if response.extensions().get::<Unmatched>().is_none() => key,
        _ => UNMATCHED.to_owned(),
    };
    app.metrics
        .record(&key, response.status().as_u16(), started.elapsed());
    response
}
