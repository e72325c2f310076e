//! The one error type of the server. Every failure of every layer ends up as
//! an [`ApiError`], which renders the contract's `{"detail", "code"}` body.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Handler result type: success or an [`ApiError`].
pub type ApiResult<T> = Result<T, ApiError>;

/// Everything that can go wrong while answering a request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the body is not valid JSON, or the request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// 422: valid JSON of the wrong shape, or a value out of range; names the field.
    #[error("{0}")]
    Validation(String),
    /// 415: a body without `Content-Type: application/json`.
    #[error("Request body must be JSON: send Content-Type: application/json")]
    UnsupportedMediaType,
    /// 413: a body larger than `MAX_BODY_BYTES`.
    #[error("Request body is larger than the limit of {0} bytes")]
    PayloadTooLarge(u64),
    /// 404: no route has this path (or dev endpoints are off).
    #[error("Not found: {0}")]
    NotFound(String),
    /// 405: the path exists, the method does not.
    #[error("Method {0} is not allowed on this path")]
    MethodNotAllowed(String),
    /// 408: the request did not complete within the server's request timeout.
    #[error("Request timed out after {0} seconds")]
    Timeout(u64),
    /// 401: unknown email or wrong password (deliberately indistinguishable).
    #[error("Invalid email or password")]
    InvalidCredentials,
    /// 409: the email is already registered.
    #[error("Email already registered")]
    EmailTaken,
    /// 401: no `Authorization: Bearer` header.
    #[error("Missing bearer token: send Authorization: Bearer <access_token>")]
    MissingToken,
    /// 401: the token does not verify (signature, algorithm, claims).
    #[error("Invalid token: {0}")]
    InvalidToken(String),
    /// 401: the token verified but its `exp` has passed.
    #[error("Token has expired")]
    TokenExpired,
    /// 401: an access token where a refresh token was expected, or the reverse.
    #[error("Wrong token type: expected {expected} token, got {got}")]
    WrongTokenType {
        /// The type the route needs.
        expected: &'static str,
        /// The `type` claim the token carries.
        got: String,
    },
    /// 401: a refresh token that was used, logged out, or issued before a reset.
    #[error("Token has been revoked")]
    TokenRevoked,
    /// 401: the token's user no longer exists (e.g. after a reset).
    #[error("User no longer exists")]
    UserNotFound,
    /// 401: the user was disabled through the control plane.
    #[error("User is disabled")]
    UserDisabled,
    /// An OAuth 2.0 error (RFC 6749 section 5.2): `{"error", "error_description"}`
    /// beside `detail` and `code` (= `error`), with `Cache-Control: no-store`.
    #[error("{description}")]
    OAuth {
        /// 400, or 401 for `invalid_client`.
        status: StatusCode,
        /// The RFC's error name (`invalid_grant`, ..).
        error: &'static str,
        /// A human sentence.
        description: String,
        /// Whether the client authenticated with HTTP Basic (then a 401
        /// carries `WWW-Authenticate: Basic`).
        basic: bool,
    },
    /// Any 4xx/5xx asked for by fault injection.
    #[error("Simulated {} error", .0.as_u16())]
    Simulated(StatusCode),
    /// 500: a bug or an unexpected failure; the cause is logged, never sent.
    #[error("Internal server error")]
    Internal(String),
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
#[schema(example = json!({"detail": "Invalid email or password", "code": "invalid_credentials"}))]
pub struct ErrorBody {
    /// A human sentence (the field name FastAPI clients already read).
    pub detail: String,
    /// A stable machine code, e.g. `invalid_token`.
    pub code: String,
}

impl ApiError {
    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::EmailTaken => StatusCode::CONFLICT,
            Self::InvalidCredentials
            | Self::MissingToken
            | Self::InvalidToken(_)
            | Self::TokenExpired
            | Self::WrongTokenType { .. }
            | Self::TokenRevoked
            | Self::UserNotFound
            | Self::UserDisabled => StatusCode::UNAUTHORIZED,
            Self::OAuth { status, .. } => *status,
            Self::Simulated(status) => *status,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine code of the contract's error body.
    pub fn code(&self) -> &'static str {
        match self {
            // A timeout is the client's request not completing; the contract's
            // code list has no timeout code, so it shares the generic 4xx one.
            Self::BadRequest(_) | Self::Timeout(_) => "bad_request",
            Self::Validation(_) => "validation_error",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::InvalidCredentials => "invalid_credentials",
            Self::EmailTaken => "email_taken",
            Self::MissingToken => "missing_token",
            Self::InvalidToken(_) => "invalid_token",
            Self::TokenExpired => "token_expired",
            Self::WrongTokenType { .. } => "wrong_token_type",
            Self::TokenRevoked => "token_revoked",
            Self::UserNotFound => "user_not_found",
            Self::UserDisabled => "user_disabled",
            Self::OAuth { error, .. } => error,
            Self::Simulated(_) => "simulated_error",
            Self::Internal(_) => "internal_error",
        }
    }

    /// Whether a token was presented and rejected (RFC 6750 `error="invalid_token"`).
    fn is_token_rejection(&self) -> bool {
        matches!(
            self,
            Self::InvalidToken(_)
                | Self::TokenExpired
                | Self::WrongTokenType { .. }
                | Self::TokenRevoked
                | Self::UserNotFound
                | Self::UserDisabled
        )
    }

    /// An OAuth 2.0 error answered with 400.
    pub fn oauth(error: &'static str, description: impl Into<String>) -> Self {
        Self::OAuth {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
            basic: false,
        }
    }

    /// Shorthand for a 422 naming a field.
    pub fn validation(field: &str, problem: impl std::fmt::Display) -> Self {
        Self::Validation(format!("{field}: {problem}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Self::Internal(cause) = &self {
            tracing::error!(%cause, "internal error");
        }
        if let Self::OAuth {
            error,
            description,
            basic,
            ..
        } = &self
        {
            let body = serde_json::json!({
                "error": error, "error_description": description,
                "detail": description, "code": error,
            });
            let mut response = (status, axum::Json(body)).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            if status == StatusCode::UNAUTHORIZED {
                // RFC 6750 3.1: `invalid_token` names a presented access
                // token; a client that failed to authenticate in the body
                // presented none, so it gets the plain challenge.
                let challenge = match (*basic, *error) {
                    (true, _) => r#"Basic realm="mock-auth-server""#,
                    (false, "invalid_token") => r#"Bearer error="invalid_token""#,
                    (false, _) => "Bearer",
                };
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(challenge),
                );
            }
            return response;
        }
        let body = ErrorBody {
            detail: self.to_string(),
            code: self.code().to_owned(),
        };
        let mut response = (status, axum::Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            let challenge = if self.is_token_rejection() {
                // The detail is ours and ASCII, but quotes would break the header.
                let description = self.to_string().replace('"', "'");
                format!(r#"Bearer error="invalid_token", error_description="{description}""#)
            } else {
                "Bearer".to_owned()
            };
            // A description quoting the token's own claims may hold bytes a
            // header cannot; the challenge itself must still be sent.
            let value = HeaderValue::from_str(&challenge)
                .unwrap_or_else(|_| HeaderValue::from_static(r#"Bearer error="invalid_token""#));
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_rejections_carry_invalid_token_challenge() {
        let response = ApiError::TokenRevoked.into_response();
        let challenge = response.headers()[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap();
        assert!(challenge.starts_with(r#"Bearer error="invalid_token""#));
    }

    #[test]
    fn a_description_that_cannot_be_a_header_still_gets_the_challenge() {
        let error = ApiError::InvalidToken("claim \n with a newline".into());
        let response = error.into_response();
        assert_eq!(
            response.headers()[header::WWW_AUTHENTICATE],
            r#"Bearer error="invalid_token""#
        );
    }

    #[test]
    fn missing_token_carries_plain_bearer_challenge() {
        let response = ApiError::MissingToken.into_response();
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }

    #[test]
    fn simulated_error_keeps_requested_status_and_detail() {
        let error = ApiError::Simulated(StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(error.status(), 503);
        assert_eq!(error.to_string(), "Simulated 503 error");
        assert_eq!(error.code(), "simulated_error");
    }
}
