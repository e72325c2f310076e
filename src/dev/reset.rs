//! `POST /api/dev/reset`: everything back as at start, metrics kept.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::Json;
use crate::metrics::control::Action;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(reset))
}

/// What the reset did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"message": "Control plane reset", "users": 5}))]
pub struct ResetDone {
    /// What happened.
    pub message: String,
    /// Users after the reset.
    pub users: usize,
}

/// Puts users, clock, rules, global knobs, keys, settings, sessions and the
/// journal back as at start (metrics kept). Shared with the tests.
pub fn reset_all(app: &AppState) -> usize {
    app.revoked.revoke_all_issued();
    let users = app.users.reset();
    app.clock.reset();
    app.faults.reset();
    app.keys().reset();
    app.dev.reset();
    app.oauth.sessions.reset();
    app.journal.reset();
    users
}

/// Reset the whole server to its start state (dev); metrics are kept.
#[utoipa::path(post, path = "/api/dev/reset", tag = "dev",
    responses((status = 200, description = "Reset", body = ResetDone)))]
async fn reset(State(app): State<AppState>) -> Json<ResetDone> {
    let users = reset_all(&app);
    app.metrics.count(Action::Reset);
    tracing::info!(users, "control plane reset");
    Json(ResetDone {
        message: "Control plane reset".to_owned(),
        users,
    })
}
