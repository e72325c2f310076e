//! `PUT /api/dev/settings`: run-time settings (the refresh reuse policy).

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config::RefreshReuse;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::metrics::control::Action;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(put_settings))
}

/// Run-time settings.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refresh_reuse": "revoke-family"}))]
pub struct Settings {
    /// `reject` or `revoke-family`.
    #[schema(pattern = "^(?:reject|revoke-family)$")]
    pub refresh_reuse: Option<String>,
}

/// Change run-time settings (dev).
#[utoipa::path(put, path = "/api/dev/settings", tag = "dev", request_body = Settings,
    responses(
        (status = 200, description = "The settings now", body = Settings),
        (status = 422, description = "`validation_error` naming the field", body = ErrorBody),
    ))]
async fn put_settings(
    State(app): State<AppState>,
    Json(settings): Json<Settings>,
) -> ApiResult<Json<Settings>> {
    if let Some(policy) = settings.refresh_reuse.as_deref() {
        let policy = match policy {
            "reject" => RefreshReuse::Reject,
            "revoke-family" => RefreshReuse::RevokeFamily,
            _ => {
                return Err(ApiError::validation(
                    "refresh_reuse",
                    "must be reject or revoke-family",
                ));
            }
        };
        app.dev.set_refresh_reuse(policy);
        app.metrics.count(Action::SettingsChange);
        tracing::info!(refresh_reuse = ?policy, "settings changed");
    }
    let now = match app.dev.refresh_reuse() {
        RefreshReuse::Reject => "reject",
        RefreshReuse::RevokeFamily => "revoke-family",
    };
    Ok(Json(Settings {
        refresh_reuse: Some(now.to_owned()),
    }))
}
