//! Our own extractors. axum's answer a bad request with plain text; these
//! turn every rejection into an [`ApiError`], so clients always get the
//! contract's JSON body.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;

/// A JSON request body (415, 400, 413 and 422 rendered as [`ApiError`]).
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection, state.config.max_body_bytes)),
        }
    }
}

fn json_rejection(rejection: JsonRejection, limit: u64) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
        // serde's message names the field ("email: invalid type ..." or
        // "missing field `email`"); axum's prefix adds nothing for clients.
        JsonRejection::JsonDataError(error) => {
            ApiError::Validation(strip_axum_prefix(&error.body_text()))
        }
        JsonRejection::JsonSyntaxError(error) => ApiError::BadRequest(format!(
            "Body is not valid JSON: {}",
            strip_axum_prefix(&error.body_text())
        )),
        JsonRejection::BytesRejection(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::PayloadTooLarge(limit)
        }
        other => ApiError::BadRequest(format!("Could not read the body: {}", other.body_text())),
    }
}

fn strip_axum_prefix(text: &str) -> String {
    let text = text
        .trim_start_matches("Failed to deserialize the JSON body into the target type: ")
        .trim_start_matches("Failed to parse the request body as JSON: ");
    text.to_owned()
}

/// Query parameters (a bad query string answers 422 naming the parameter).
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(query_rejection(rejection)),
        }
    }
}

fn query_rejection(rejection: QueryRejection) -> ApiError {
    let text = rejection.body_text();
    ApiError::Validation(
        text.trim_start_matches("Failed to deserialize query string: ")
            .to_owned(),
    )
}

/// The token of an `Authorization: Bearer <token>` header.
pub struct BearerToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for BearerToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or(ApiError::MissingToken)?;
        let value = header
            .to_str()
            .map_err(|_| ApiError::InvalidToken("Authorization header is not ASCII".into()))?;
        let (scheme, token) = value.trim().split_once(' ').ok_or(ApiError::MissingToken)?;
        if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
            return Err(ApiError::MissingToken);
        }
        Ok(Self(token.trim().to_owned()))
    }
}

/// The user of a valid access token, loaded from the store.
pub struct AuthUser(pub std::sync::Arc<crate::store::User>);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let BearerToken(token) = BearerToken::from_request_parts(parts, app).await?;
        let claims = app
            .tokens
            .verify(&token, crate::auth::tokens::TokenType::Access)?;
        let user = app
            .users
            .find_by_id(&claims.sub)
            .ok_or(ApiError::UserNotFound)?;
        Ok(Self(user))
    }
}

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}
