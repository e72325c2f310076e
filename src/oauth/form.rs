//! Form bodies and query strings of the OAuth endpoints, parsed here so that
//! a duplicated parameter or another content type is the RFC's
//! `invalid_request`, never axum's plain-text rejection.

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
    /// Per pair: where its key starts and ends, where its value starts and ends.
    pairs: Vec<[usize; 4]>,
}

/// Above this many pairs, duplicates are found through a hash set rather
/// than by comparing every pair with every other.
const SCAN_PAIRS: usize = 16;

impl Params {
    /// Parses `a=1&b=2`; a parameter given twice is `invalid_request`.
    pub fn parse(input: &[u8]) -> Result<Self, ApiError> {
        let params = Self::decode(input);
        if let Some(key) = params.duplicate() {
            return Err(ApiError::oauth(
                "invalid_request",
                format!("Parameter '{key}' is given more than once"),
            ));
        }
        Ok(params)
    }

    /// The pairs of `form_urlencoded::parse`, in its order and with its
    /// decoding. Input with no `%` or `+` (every usual token request) and
    /// valid UTF-8 is only split, in one pass over its bytes: its pairs are
    /// ranges of the input itself, with no percent decoder and no UTF-8
    /// check a pair, which together cost more than the rest of the parse.
    fn decode(input: &[u8]) -> Self {
        // Most requests have fewer pairs; more only regrow the vector.
        let mut pairs = Vec::with_capacity(12);
        let mut push = |start: usize, equals: Option<usize>, end: usize| {
            if start < end {
                pairs.push(match equals {
                    Some(at) => [start, at, at + 1, end],
                    None => [start, end, end, end],
                });
            }
        };
        let (mut plain, mut start, mut equals) = (true, 0, None);
        for (at, &byte) in input.iter().enumerate() {
            match byte {
                b'&' => {
                    push(start, equals, at);
                    (start, equals) = (at + 1, None);
                }
                b'=' if equals.is_none() => equals = Some(at),
                b'%' | b'+' => plain = false,
                _ => {}
            }
        }
        push(start, equals, input.len());
        match std::str::from_utf8(input) {
            Ok(text) if plain => Self {
                text: text.to_owned(),
                pairs,
            },
            _ => {
                pairs.clear();
                Self::decoded(input, pairs)
            }
        }
    }

    fn decoded(input: &[u8], mut pairs: Vec<[usize; 4]>) -> Self {
        let mut text = String::with_capacity(input.len());
        for (key, value) in form_urlencoded::parse(input) {
            let start = text.len();
            text.push_str(&key);
            let middle = text.len();
            text.push_str(&value);
            pairs.push([start, middle, middle, text.len()]);
        }
        Self { text, pairs }
    }

    /// The pairs, in the order given.
    fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs
            .iter()
            .map(|&[key, key_end, value, end]| (&self.text[key..key_end], &self.text[value..end]))
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
        let inputs: [&[u8]; 11] = [
            b"",
            b"&&",
            b"a=1&b=2",
            b"grant_type=client_credentials&client_id=c&client_secret=s",
            b"a&b=&=c&=",
            b"a==b&c=d=e&&x",
            b"sp+ace=a+b&pct=%41%2B%zz%",
            "utf8=\u{e9}&bad=\u{fffd}x".as_bytes(),
            b"mixed=1&x%3Dy=2&plain=3",
            b"k=\xff\xfe&\xc3=v",
            b"k=\xff&plus=a+b",
        ];
        for input in inputs {
            let params = Params::decode(input);
            let ours: Vec<_> = params.iter().collect();
            let theirs: Vec<_> = form_urlencoded::parse(input).collect();
            let theirs: Vec<_> = theirs.iter().map(|(k, v)| (&**k, &**v)).collect();
            assert_eq!(ours, theirs, "{}", String::from_utf8_lossy(input));
        }
    }
}
