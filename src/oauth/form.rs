//! Form bodies and query strings of the OAuth endpoints, parsed here so that
//! a duplicated parameter or another content type is the RFC's
//! `invalid_request`, never axum's plain-text rejection.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};

use crate::error::ApiError;

/// Parameters of a request, each given at most once.
#[derive(Debug, Default, Clone)]
pub struct Params(pub HashMap<String, String>);

impl Params {
    /// Parses `a=1&b=2`; a parameter given twice is `invalid_request`.
    pub fn parse(input: &[u8]) -> Result<Self, ApiError> {
        // Sized for a token request's parameters, so the map never regrows.
        let mut map = HashMap::with_capacity(8);
        for (key, value) in form_urlencoded::parse(input) {
            if map.insert(key.to_string(), value.into_owned()).is_some() {
                return Err(ApiError::oauth(
                    "invalid_request",
                    format!("Parameter '{key}' is given more than once"),
                ));
            }
        }
        Ok(Self(map))
    }

    /// A parameter; an empty value counts as omitted (RFC 6749 section 3.1).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A required parameter, else `invalid_request` naming it.
    pub fn require(&self, key: &str) -> Result<&str, ApiError> {
        self.get(key)
            .ok_or_else(|| ApiError::oauth("invalid_request", format!("Missing parameter '{key}'")))
    }
}

/// An `application/x-www-form-urlencoded` body.
pub struct Form(pub Params);

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !is_form {
            return Err(ApiError::oauth(
                "invalid_request",
                "The body must be application/x-www-form-urlencoded",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            let status = rejection.status();
            let mut error = ApiError::oauth("invalid_request", rejection.body_text());
            if status == StatusCode::PAYLOAD_TOO_LARGE
                && let ApiError::OAuth { status, .. } = &mut error
            {
                *status = StatusCode::PAYLOAD_TOO_LARGE;
            }
            error
        })?;
        Ok(Self(Params::parse(&bytes)?))
    }
}
