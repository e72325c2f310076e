//! Form bodies and query strings of the OAuth endpoints, parsed here so that
//! a duplicated parameter or another content type is the RFC's
//! `invalid_request`, never axum's plain-text rejection.

use std::borrow::Cow;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};

use crate::error::ApiError;

/// Parameters of a request, each given at most once: their decoded text in
/// one string, and each pair as byte ranges of it. Two allocations whatever
/// the number of pairs (a map of owned strings took two a pair, and a table),
/// and a lookup among a handful of short names is a scan.
#[derive(Debug, Default, Clone)]
pub struct Params {
    text: String,
    /// Per pair: where its key starts, where its value starts (the key's
    /// end), and where its value ends.
    pairs: Vec<(usize, usize, usize)>,
}

/// Above this many pairs, duplicates are found through a hash set rather
/// than by comparing every pair with every other.
const SCAN_PAIRS: usize = 16;

impl Params {
    /// Parses `a=1&b=2`; a parameter given twice is `invalid_request`.
    pub fn parse(input: &[u8]) -> Result<Self, ApiError> {
        let mut params = Self {
            text: String::with_capacity(input.len()),
            pairs: Vec::with_capacity(input.iter().filter(|&&b| b == b'&').count() + 1),
        };
        for (key, value) in pairs(input) {
            let start = params.text.len();
            params.text.push_str(&key);
            let middle = params.text.len();
            params.text.push_str(&value);
            params.pairs.push((start, middle, params.text.len()));
        }
        if let Some(key) = params.duplicate() {
            return Err(ApiError::oauth(
                "invalid_request",
                format!("Parameter '{key}' is given more than once"),
            ));
        }
        Ok(params)
    }

    /// The pairs, in the order given.
    fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs
            .iter()
            .map(|&(start, middle, end)| (&self.text[start..middle], &self.text[middle..end]))
    }

    /// The first key given twice, if any.
    fn duplicate(&self) -> Option<&str> {
        if self.pairs.len() <= SCAN_PAIRS {
            return self.iter().enumerate().find_map(|(n, (key, _))| {
                self.iter()
                    .skip(n + 1)
                    .any(|(other, _)| other == key)
                    .then_some(key)
            });
        }
        let mut seen = std::collections::HashSet::with_capacity(self.pairs.len());
        self.iter()
            .map(|(key, _)| key)
            .find(|key| !seen.insert(*key))
    }

    /// A parameter; an empty value counts as omitted (RFC 6749 section 3.1).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.iter()
            .find(|(name, _)| *name == key)
            .map(|(_, value)| value)
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

/// An `application/x-www-form-urlencoded` body, and the request's headers.
///
/// Every handler that reads a form also reads the headers (client
/// credentials, faults, cookies); they are moved out of the request here,
/// where axum's `HeaderMap` extractor would copy every one of them.
pub struct Form {
    /// The request's headers.
    pub headers: HeaderMap,
    /// The body's parameters.
    pub params: Params,
}

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
        let (mut parts, body) = req.into_parts();
        let headers = std::mem::take(&mut parts.headers);
        let req = Request::from_parts(parts, body);
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
        Ok(Self {
            headers,
            params: Params::parse(&bytes)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_read_back_what_was_given_and_refuse_a_repeated_key() {
        let params =
            Params::parse(b"grant_type=password&username=a%40b.c&empty=&scope=openid+email")
                .unwrap();
        assert_eq!(params.get("grant_type"), Some("password"));
        assert_eq!(params.get("username"), Some("a@b.c"));
        assert_eq!(params.get("scope"), Some("openid email"));
        assert_eq!(params.get("empty"), None, "empty counts as omitted");
        assert_eq!(params.get("grant"), None, "no prefix match");
        assert!(params.require("missing").is_err());
        for count in [3, SCAN_PAIRS, SCAN_PAIRS + 1, 200] {
            let mut body: Vec<String> = (0..count).map(|n| format!("k{n}={n}")).collect();
            assert!(Params::parse(body.join("&").as_bytes()).is_ok(), "{count}");
            body.push("k1=again".into());
            let error = Params::parse(body.join("&").as_bytes()).unwrap_err();
            assert!(format!("{error:?}").contains("'k1'"), "{count}: {error:?}");
        }
    }

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
