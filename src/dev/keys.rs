//! `POST /api/dev/keys/rotate`, `GET /api/dev/keys`, `DELETE /api/dev/keys/{kid}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::keys::KeyInfo;
use crate::dev::actions::{self, Via};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(rotate))
        .routes(routes!(list))
        .routes(routes!(retire))
}

/// The new current key.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"kid": "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"}))]
pub struct Rotated {
    /// Its `kid`.
    pub kid: String,
}

/// The key set.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyList {
    /// Every published key.
    pub keys: Vec<KeyInfo>,
}

/// Make a new signing key current (dev); the old one keeps verifying.
#[utoipa::path(post, path = "/api/dev/keys/rotate", tag = "dev",
    responses((status = 201, description = "The new key", body = Rotated)))]
async fn rotate(State(app): State<AppState>) -> ApiResult<(StatusCode, Json<Rotated>)> {
    let key = actions::rotate_key(&app, Via::Api).await?;
    Ok((
        StatusCode::CREATED,
        Json(Rotated {
            kid: key.kid.clone(),
        }),
    ))
}

/// The signing keys (dev).
#[utoipa::path(get, path = "/api/dev/keys", tag = "dev",
    responses((status = 200, description = "The keys", body = KeyList)))]
async fn list(State(app): State<AppState>) -> ApiResult<Json<KeyList>> {
    Ok(Json(KeyList {
        keys: app.keys().list().await?,
    }))
}

/// Retire a key (dev): it leaves the JWKS and its tokens are `invalid_token`.
#[utoipa::path(delete, path = "/api/dev/keys/{kid}", tag = "dev",
    params(("kid" = String, Path, description = "Key id")),
    responses(
        (status = 204, description = "Retired"),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 422, description = "The current key: rotate first", body = ErrorBody),
    ))]
async fn retire(State(app): State<AppState>, Path(kid): Path<String>) -> ApiResult<StatusCode> {
    actions::retire_key(&app, &kid, Via::Api).await?;
    Ok(StatusCode::NO_CONTENT)
}
