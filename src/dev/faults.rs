//! `POST/GET/DELETE /api/dev/faults`, `DELETE /api/dev/faults/{id}`,
//! `GET|PUT /api/dev/faults/global`: the routes over the one fault engine
//! (`crate::faults`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dev::actions::{self, Via};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::faults::{GlobalKnobs, GlobalPatch, RuleSpec, RuleView};
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add_rule, list_rules, clear_rules))
        .routes(routes!(remove_rule))
        .routes(routes!(get_global, put_global))
}

/// The rules in creation order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RuleList {
    /// Each with its `id` and `hits`.
    pub rules: Vec<RuleView>,
}

/// Add a fault rule (dev).
///
/// Matching requests (method, route template, user of the token) get
/// `status`, `delay_ms` or `drop`; `times`, `after`, `probability` shape it.
#[utoipa::path(post, path = "/api/dev/faults", tag = "dev",
    request_body(content = RuleSpec, example = json!({"match": {"method": "POST", "route": "/api/auth/login"}, "status": 503, "retry_after": 30, "times": 3})),
    responses(
        (status = 201, description = "The rule, with its id", body = RuleView),
        (status = 422, description = "`validation_error` naming the field, or over 1000 rules", body = ErrorBody),
    ))]
async fn add_rule(
    State(app): State<AppState>,
    Json(spec): Json<RuleSpec>,
) -> ApiResult<(StatusCode, Json<RuleView>)> {
    let rule = actions::add_rule(&app, spec, Via::Api)?;
    Ok((StatusCode::CREATED, Json(rule)))
}

/// The fault rules (dev).
#[utoipa::path(get, path = "/api/dev/faults", tag = "dev",
    responses((status = 200, description = "The rules", body = RuleList)))]
async fn list_rules(State(app): State<AppState>) -> Json<RuleList> {
    Json(RuleList {
        rules: app.faults.list(),
    })
}

/// Remove every fault rule (dev).
#[utoipa::path(delete, path = "/api/dev/faults", tag = "dev",
    responses((status = 204, description = "Removed")))]
async fn clear_rules(State(app): State<AppState>) -> StatusCode {
    actions::clear_rules(&app, Via::Api);
    StatusCode::NO_CONTENT
}

/// Remove one fault rule (dev).
#[utoipa::path(delete, path = "/api/dev/faults/{id}", tag = "dev",
    params(("id" = u64, Path, description = "Rule id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "`not_found`", body = ErrorBody),
    ))]
async fn remove_rule(State(app): State<AppState>, Path(id): Path<String>) -> ApiResult<StatusCode> {
    if actions::remove_rule(&app, &id, Via::Api) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("No fault rule with id {id}")))
    }
}

/// The server-wide fault knobs (dev).
#[utoipa::path(get, path = "/api/dev/faults/global", tag = "dev",
    responses((status = 200, description = "The knobs", body = GlobalKnobs)))]
async fn get_global(State(app): State<AppState>) -> Json<GlobalKnobs> {
    Json(app.faults.global())
}

/// Set server-wide fault knobs at run time (dev); each field optional.
#[utoipa::path(put, path = "/api/dev/faults/global", tag = "dev",
    request_body(content = GlobalPatch, example = json!({"error_rate": 0.1, "error_status": 503})),
    responses(
        (status = 200, description = "The knobs after the change", body = GlobalKnobs),
        (status = 422, description = "`validation_error` naming the field", body = ErrorBody),
    ))]
async fn put_global(
    State(app): State<AppState>,
    Json(patch): Json<GlobalPatch>,
) -> ApiResult<Json<GlobalKnobs>> {
    Ok(Json(actions::set_global(&app, &patch, Via::Api)?))
}
