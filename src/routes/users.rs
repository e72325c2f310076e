//! Dev endpoints over the user store: list (paginated) and reset.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Query};
use crate::state::AppState;
use crate::store::UserView;

/// Default page size of the user list.
pub const DEFAULT_LIMIT: usize = 1000;
/// Largest page size of the user list.
pub const MAX_LIMIT: usize = 10_000;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users))
        .routes(routes!(reset_users))
}

/// Query of `GET /api/auth/users`. Strings, so that a bad value is a 422
/// naming the parameter rather than a parser message.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsersQuery {
    /// Page size, 1 to 10000 (default 1000).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 10000, example = 100)]
    pub limit: Option<String>,
    /// Users to skip, 0 to 2^63-1 (default 0).
    #[param(value_type = Option<u64>, minimum = 0, maximum = 9223372036854775807_u64, example = 0)]
    pub offset: Option<String>,
}

/// A page of users.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UsersPage {
    /// Users in creation order, seed users first.
    pub users: Vec<UserView>,
    /// All users in the store, whatever the page.
    pub total: usize,
    /// The page size used.
    pub limit: usize,
    /// The offset used.
    pub offset: usize,
}

/// Answer of the reset.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResetResult {
    /// What happened.
    #[schema(example = "Users reset to seed data")]
    pub message: String,
    /// Users after the reset.
    #[schema(example = 5)]
    pub users: usize,
}

/// The largest offset accepted: what the document says (a signed 64-bit
/// integer's maximum, the largest value OpenAPI's `int64` can hold).
const MAX_OFFSET: usize = i64::MAX as usize;

fn parse_param(
    name: &str,
    raw: Option<&str>,
    default: usize,
    min: usize,
    max: usize,
) -> ApiResult<usize> {
    let Some(raw) = raw else {
        return Ok(default);
    };
    match raw.trim().parse::<usize>() {
        Ok(value) if (min..=max).contains(&value) => Ok(value),
        _ if max == usize::MAX => Err(ApiError::validation(
            name,
            format!("must be an integer >= {min}, got '{raw}'"),
        )),
        _ => Err(ApiError::validation(
            name,
            format!("must be an integer from {min} to {max}, got '{raw}'"),
        )),
    }
}

/// List users, a page at a time (dev).
///
/// A page costs the same whatever the store's size.
#[utoipa::path(get, path = "/api/auth/users", tag = "dev", params(UsersQuery),
    responses(
        (status = 200, description = "A page of users", body = UsersPage),
        (status = 422, description = "`validation_error` naming `limit` or `offset`", body = ErrorBody),
    ))]
async fn list_users(
    State(app): State<AppState>,
    Query(query): Query<UsersQuery>,
) -> ApiResult<Json<UsersPage>> {
    let limit = parse_param("limit", query.limit.as_deref(), DEFAULT_LIMIT, 1, MAX_LIMIT)?;
    let offset = parse_param("offset", query.offset.as_deref(), 0, 0, MAX_OFFSET)?;
    let (users, total) = app.users.page(offset, limit);
    Ok(Json(UsersPage {
        users: users.iter().map(|u| u.view()).collect(),
        total,
        limit,
        offset,
    }))
}

/// Reset to the seed users (dev).
///
/// Drops registered users and revokes every refresh token issued before now.
/// Metrics are kept.
#[utoipa::path(delete, path = "/api/auth/users/reset", tag = "dev",
    responses((status = 200, description = "Store reset", body = ResetResult)))]
async fn reset_users(State(app): State<AppState>) -> Json<ResetResult> {
    // The marker first: a login racing the reset then gets a token that
    // outlives it, rather than one already revoked when it is handed out.
    app.revoked.revoke_all_issued();
    let users = app.users.reset();
    tracing::info!(users, "user store reset to seed");
    Json(ResetResult {
        message: "Users reset to seed data".to_owned(),
        users,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_outside_range_names_the_parameter() {
        let error = parse_param("limit", Some("0"), DEFAULT_LIMIT, 1, MAX_LIMIT).unwrap_err();
        assert!(error.to_string().starts_with("limit:"));
        assert!(parse_param("limit", Some("10001"), DEFAULT_LIMIT, 1, MAX_LIMIT).is_err());
        assert!(parse_param("offset", Some("-1"), 0, 0, usize::MAX).is_err());
        assert_eq!(
            parse_param("limit", None, DEFAULT_LIMIT, 1, MAX_LIMIT).unwrap(),
            1000
        );
    }
}
