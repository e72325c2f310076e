//! Metrics endpoints: the JSON object and its reset (dev), and the
//! Prometheus exposition at `/metrics` (always on).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::metrics::{MetricsSnapshot, prometheus};
use crate::state::AppState;

/// The dev routes: `GET` and `DELETE /api/auth/metrics`.
pub fn dev_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_metrics, reset_metrics))
}

/// The always-on Prometheus route.
pub fn prometheus_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(prometheus_text))
}

/// Request metrics (dev).
///
/// Routes are keyed `"METHOD /template"`; requests that matched no route
/// count under `"UNMATCHED"`.
#[utoipa::path(get, path = "/api/auth/metrics", tag = "dev",
    responses((status = 200, description = "Counters and latency percentiles", body = MetricsSnapshot)))]
async fn get_metrics(State(app): State<AppState>) -> Json<MetricsSnapshot> {
    Json(app.metrics.snapshot())
}

/// Reset the metrics counters to zero (dev).
#[utoipa::path(delete, path = "/api/auth/metrics", tag = "dev",
    responses((status = 204, description = "Counters reset")))]
async fn reset_metrics(State(app): State<AppState>) -> StatusCode {
    app.metrics.reset();
    StatusCode::NO_CONTENT
}

/// Prometheus text exposition of the same counters.
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses((status = 200, description = "Prometheus text format 0.0.4", content_type = "text/plain", body = String)))]
async fn prometheus_text(State(app): State<AppState>) -> ApiResult<impl IntoResponse> {
    let text = prometheus::render(&app.metrics, app.users.len())
        .map_err(|_| ApiError::Internal("metrics encoding failed".into()))?;
    Ok(([(header::CONTENT_TYPE, prometheus::CONTENT_TYPE)], text))
}
