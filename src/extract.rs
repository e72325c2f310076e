//! Our own extractors. axum's answer a bad request with plain text; these
//! turn every rejection into an [`ApiError`], so clients always get the
//! contract's JSON body.

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::de::{DeserializeOwned, IgnoredAny};

use crate::error::ApiError;
use crate::state::AppState;

/// A JSON request body (415, 400, 413 and 422 rendered as [`ApiError`]).
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|error| {
            if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(state.config.max_body_bytes)
            } else {
                ApiError::BadRequest(format!("Could not read the body: {}", error.body_text()))
            }
        })?;
        parse_body(&bytes).map(Self)
    }
}

/// `application/json` or any `application/*+json`, parameters ignored.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    let Some(subtype) = essence
        .get(..12)
        .filter(|kind| kind.eq_ignore_ascii_case("application/"))
        .map(|_| &essence[12..])
    else {
        return false;
    };
    subtype.eq_ignore_ascii_case("json")
        || subtype
            .len()
            .checked_sub(5)
            .and_then(|at| subtype.get(at..))
            .is_some_and(|suffix| suffix.eq_ignore_ascii_case("+json"))
}

/// Parses a body that must be one JSON object: 400 when the bytes are not
/// JSON at all, 422 when they are JSON of the wrong shape.
fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // serde's derive also accepts a struct written as an array; the contract
    // only has objects, so `["token"]` must not pass as a refresh body.
    let is_object = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    // serde_path_to_error prefixes the field ("email: invalid type ..."), so
    // every 422 names what was wrong.
    let parsed = serde_path_to_error::deserialize::<_, T>(&mut deserializer)
        .map_err(|error| error.to_string())
        .and_then(|value| {
            deserializer
                .end()
                .map(|()| value)
                .map_err(|error| error.to_string())
        });
    let error = match parsed {
        Ok(value) if is_object => return Ok(value),
        Ok(_) => None,
        Err(error) => Some(error),
    };
    // serde stops at the first wrong value, before it has seen the rest: only
    // a full syntax pass tells "not JSON" (400) from "wrong shape" (422).
    // It runs on the error path alone, so valid bodies are parsed once.
    // The syntax pass skips over strings without checking their UTF-8.
    if let Err(error) = std::str::from_utf8(bytes) {
        return Err(ApiError::BadRequest(format!(
            "Body is not valid JSON: invalid UTF-8 at byte {}",
            error.valid_up_to()
        )));
    }
    if let Err(syntax) = serde_json::from_slice::<IgnoredAny>(bytes) {
        return Err(ApiError::BadRequest(format!(
            "Body is not valid JSON: {syntax}"
        )));
    }
    // JSON Schema's integers include whole floats (`5.0`); serde's do not.
    if let Some(value) = error
        .as_ref()
        .filter(|error| error.contains("invalid type: floating point"))
        .and_then(|_| crate::validation::whole_floats_as_integers(bytes))
        && let Ok(parsed) = serde_path_to_error::deserialize::<_, T>(value)
        && is_object
    {
        return Ok(parsed);
    }
    match error {
        Some(error) if is_object => Err(ApiError::Validation(error)),
        _ => Err(ApiError::Validation(
            "body: expected a JSON object".to_owned(),
        )),
    }
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
        let subject = app.tokens.verify_access(&token).await?;
        let note = parts.extensions.get::<crate::journal::Note>();
        if let Some(note) = note {
            note.user(&subject.sub);
        }
        if let Some(jti) = &subject.jti {
            if let Some(note) = note {
                note.presented(jti);
            }
            app.revoked.check_access(jti)?;
        }
        let user = app
            .users
            .find_by_id(&subject.sub)
            .ok_or(ApiError::UserNotFound)?;
        if user.disabled {
            return Err(ApiError::UserDisabled);
        }
        Ok(Self(user))
    }
}

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[derive(Debug, serde::Deserialize)]
    struct Body {
        #[allow(dead_code)]
        refresh_token: String,
    }

    fn status_of(bytes: &[u8]) -> (StatusCode, String) {
        match parse_body::<Body>(bytes) {
            Ok(_) => (StatusCode::OK, String::new()),
            Err(ApiError::BadRequest(detail)) => (StatusCode::BAD_REQUEST, detail),
            Err(ApiError::Validation(detail)) => (StatusCode::UNPROCESSABLE_ENTITY, detail),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn an_object_with_the_right_field_parses() {
        assert_eq!(status_of(br#" {"refresh_token": "x"} "#).0, StatusCode::OK);
    }

    #[test]
    fn the_array_form_of_a_struct_is_refused_as_422() {
        let (status, detail) = status_of(br#"["x"]"#);
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(detail.starts_with("body"), "{detail}");
    }

    #[test]
    fn a_wrong_value_followed_by_garbage_is_400_not_422() {
        assert_eq!(status_of(b"0\0").0, StatusCode::BAD_REQUEST);
        assert_eq!(
            status_of(br#"{"refresh_token": 1} x"#).0,
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn a_wrong_field_type_is_422_naming_the_field() {
        let (status, detail) = status_of(br#"{"refresh_token": 1}"#);
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(detail.starts_with("refresh_token"), "{detail}");
    }

    #[test]
    fn invalid_utf8_inside_a_string_is_400() {
        assert_eq!(
            status_of(b"{\"refresh_token\": \"\xff\"}").0,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            status_of(b"{\"refresh_token\": 1, \"x\": \"\xff\"}").0,
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn trailing_garbage_after_a_valid_object_is_400() {
        assert_eq!(
            status_of(br#"{"refresh_token": "x"}}"#).0,
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn json_content_types_are_recognised_with_parameters_and_suffixes() {
        let check = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(value));
            is_json(&headers)
        };
        assert!(check("application/json"));
        assert!(check("Application/JSON; charset=utf-8"));
        assert!(check("application/problem+json"));
        assert!(!check("text/plain"));
        assert!(!check("application/jsonx"));
        assert!(!check("application/+jso"));
        assert!(!is_json(&HeaderMap::new()));
    }
}
