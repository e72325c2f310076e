//! `GET/POST/DELETE /api/dev/clock`: the server's one clock.

use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::clock::ClockView;
use crate::dev::actions::{self, ClockMove, Via};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_clock, change_clock, reset_clock))
}

/// A change of the clock: exactly one field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"advance_seconds": 1860}))]
pub struct ClockChange {
    /// Move the clock by this many seconds (may be negative), at most 100 years.
    #[schema(minimum = -3153600000_i64, maximum = 3153600000_i64)]
    pub advance_seconds: Option<i64>,
    /// Set the clock to this RFC 3339 time (the pattern is a subset: days
    /// past the 28th are accepted too).
    #[schema(
        example = "2026-11-25T10:00:00Z",
        pattern = r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,9})?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$"
    )]
    pub set: Option<String>,
    /// Stop (`true`) or restart (`false`) the clock.
    pub freeze: Option<bool>,
}

/// The server's clock.
#[utoipa::path(get, path = "/api/dev/clock", tag = "dev",
    responses((status = 200, description = "The clock", body = ClockView)))]
async fn get_clock(State(app): State<AppState>) -> Json<ClockView> {
    Json(app.clock.view())
}

/// Advance, set or freeze the server's clock.
///
/// Drives `iat`/`exp`, verification of `exp`/`nbf`, codes, sessions and
/// sweeps; `uptime_seconds` stays real time.
#[utoipa::path(post, path = "/api/dev/clock", tag = "dev", request_body = ClockChange,
    responses(
        (status = 200, description = "The clock after the change", body = ClockView),
        (status = 422, description = "`validation_error` naming the field", body = ErrorBody),
    ))]
async fn change_clock(
    State(app): State<AppState>,
    Json(change): Json<ClockChange>,
) -> ApiResult<Json<ClockView>> {
    let given = [
        change.advance_seconds.is_some(),
        change.set.is_some(),
        change.freeze.is_some(),
    ];
    if given.iter().filter(|g| **g).count() == 0 {
        return Err(ApiError::validation(
            "advance_seconds",
            "give one of advance_seconds, set or freeze",
        ));
    }
    // Every value is checked before any is applied: a 422 changes nothing.
    let set = match &change.set {
        Some(at) => Some(
            time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
                .map_err(|_| ApiError::validation("set", "must be an RFC 3339 time"))?,
        ),
        None => None,
    };
    if change
        .advance_seconds
        .is_some_and(|seconds| seconds.unsigned_abs() > 100 * 365 * 86_400)
    {
        return Err(ApiError::validation("advance_seconds", "at most 100 years"));
    }
    let change = ClockMove {
        set,
        advance_seconds: change.advance_seconds,
        freeze: change.freeze,
    };
    Ok(Json(actions::move_clock(&app, change, Via::Api)))
}

/// Back to real time, running.
#[utoipa::path(delete, path = "/api/dev/clock", tag = "dev",
    responses((status = 200, description = "The clock, real time again", body = ClockView)))]
async fn reset_clock(State(app): State<AppState>) -> Json<ClockView> {
    Json(actions::reset_clock(&app, Via::Api))
}
