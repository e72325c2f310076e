//! `GET /health`: liveness with a short summary, never faulted globally.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::Json;
use crate::metrics::HealthMetrics;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health))
}

/// The health object.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `healthy` while the server answers.
    #[schema(example = "healthy")]
    pub status: &'static str,
    /// Server version.
    pub version: &'static str,
    /// Seconds since start.
    pub uptime_seconds: f64,
    /// Users in the store.
    pub users: usize,
    /// Request totals.
    pub metrics: HealthMetrics,
}

/// Health check.
#[utoipa::path(get, path = "/health", tag = "health",
    responses((status = 200, description = "The server is up", body = Health)))]
async fn health(State(app): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "healthy",
        version: env!("CARGO_PKG_VERSION"),
        uptime_seconds: app.metrics.uptime_seconds(),
        users: app.users.len(),
        metrics: app.metrics.health(),
    })
}
