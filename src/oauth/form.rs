//! Form bodies and query strings of the OAuth endpoints, parsed here so that
//! a duplicated parameter or another content type is the RFC's
//! `invalid_request`, never axum's plain-text rejection.

use std::borrow::Cow;
use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};

use crate::error::ApiError;

/// Parameters of a request, each given at most once (foldhash: the keys
/// are a handful of short names, and SipHash cost more than the lookups).
#[derive(Debug, Default, Clone)]
pub struct Params(pub HashMap<String, String, foldhash::fast::RandomState>);

impl Params {
    /// Parses `a=1&b=2`; a parameter given twice is `invalid_request`.
    pub fn parse(input: &[u8]) -> Result<Self, ApiError> {
        // Sized for a token request's parameters, so the map never regrows.
        let mut map = HashMap::with_capacity_and_hasher(8, foldhash::fast::RandomState::default());
        for (key, value) in pairs(input) {
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

/// The pairs of `form_urlencoded::parse`, in its order and with its
/// decoding; a pair with no `%` or `+` (every pair of a usual token
/// request) is only split, not run through the percent decoder and the
/// lossy UTF-8 pass, which cost more than the rest of the parse.
fn pairs(input: &[u8]) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    input
        .split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .flat_map(|pair| {
            let plain = !pair.iter().any(|&b| b == b'%' || b == b'+');
            let (fast, slow) = if plain {
                let (key, value) = match pair.iter().position(|&b| b == b'=') {
                    Some(at) => (&pair[..at], &pair[at + 1..]),
                    None => (pair, &pair[pair.len()..]),
                };
                (Some((text(key), text(value))), None)
            } else {
                (None, Some(form_urlencoded::parse(pair)))
            };
            fast.into_iter().chain(slow.into_iter().flatten())
        })
}

/// `bytes` as text, invalid UTF-8 replaced; borrowed when valid (the
/// check is faster than the lossy pass).
fn text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_decode_exactly_as_form_urlencoded_does() {
        for input in [
            "",
            "&&",
            "a=1&b=2",
            "grant_type=client_credentials&client_id=c&client_secret=s",
            "a&b=&=c&=",
            "a==b&c=d=e",
            "sp+ace=a+b&pct=%41%2B%zz%",
            "utf8=\u{e9}&bad=\u{fffd}x",
            "mixed=1&x%3Dy=2&plain=3",
        ] {
            let ours: Vec<_> = pairs(input.as_bytes()).collect();
            let theirs: Vec<_> = form_urlencoded::parse(input.as_bytes()).collect();
            assert_eq!(ours, theirs, "{input}");
        }
        let invalid = b"k=\xff\xfe&\xc3=v";
        assert_eq!(
            pairs(invalid).collect::<Vec<_>>(),
            form_urlencoded::parse(invalid).collect::<Vec<_>>()
        );
    }
}
