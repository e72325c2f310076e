//! Fault injection: simulated errors and delays, asked for per request
//! (`?simulate_error=`, `?simulate_delay=`, `X-Mock-Error`, `X-Mock-Delay`)
//! or drawn from the server-wide `MOCK_*` settings. The handler never runs
//! when an error is injected, so a simulated failure has no side effect.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::ApiError;
use crate::state::AppState;

/// Longest delay a request may ask for, in milliseconds.
pub const MAX_DELAY_MS: u64 = 60_000;

/// Which faults a group of routes takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Only what the request asks for (health, dev endpoints).
    RequestOnly,
    /// What the request asks for, else the server-wide random faults (`/api/auth/*`).
    RequestAndGlobal,
}

/// The faults one request asked for.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Requested {
    /// Delay in milliseconds.
    pub delay_ms: Option<u64>,
    /// Status of the error to answer with.
    pub error: Option<StatusCode>,
}

impl Requested {
    /// Reads the query parameters and headers; a bad value is a 422 naming it.
    /// The query parameter wins when both are given.
    pub fn parse(query: Option<&str>, headers: &HeaderMap) -> Result<Self, ApiError> {
        let mut delay = header(headers, "x-mock-delay")?.map(|v| ("X-Mock-Delay", v));
        let mut error = header(headers, "x-mock-error")?.map(|v| ("X-Mock-Error", v));
        if let Some(query) = query {
            for (key, value) in form_pairs(query) {
                match key.as_str() {
                    "simulate_delay" => delay = Some(("simulate_delay", value)),
                    "simulate_error" => error = Some(("simulate_error", value)),
                    _ => {}
                }
            }
        }
        let delay_ms = delay
            .map(|(name, raw)| parse_in(name, &raw, 0, MAX_DELAY_MS))
            .transpose()?;
        let error = error
            .map(|(name, raw)| {
                let code = parse_in(name, &raw, 400, 599)?;
                StatusCode::from_u16(u16::try_from(code).unwrap_or(500))
                    .map_err(|_| ApiError::validation(name, "is not a status code"))
            })
            .transpose()?;
        Ok(Self { delay_ms, error })
    }
}

fn header(headers: &HeaderMap, name: &'static str) -> Result<Option<String>, ApiError> {
    headers
        .get(name)
        .map(|value| {
            value
                .to_str()
                .map(str::to_owned)
                .map_err(|_| ApiError::validation(name, "must be ASCII digits"))
        })
        .transpose()
}

fn form_pairs(query: &str) -> Vec<(String, String)> {
    let uri = format!("/?{query}");
    uri.parse::<axum::http::Uri>()
        .ok()
        .and_then(|uri| axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&uri).ok())
        .map(|q| q.0)
        .unwrap_or_default()
}

fn parse_in(name: &str, raw: &str, min: u64, max: u64) -> Result<u64, ApiError> {
    match raw.trim().parse::<u64>() {
        Ok(value) if (min..=max).contains(&value) => Ok(value),
        _ => Err(ApiError::validation(
            name,
            format!("must be an integer from {min} to {max}, got '{raw}'"),
        )),
    }
}

/// Middleware: applies the requested (or global) delay, then the error.
pub async fn inject(
    State((app, scope)): State<(AppState, Scope)>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let requested = Requested::parse(request.uri().query(), request.headers())?;
    let config = &app.config;
    let global = scope == Scope::RequestAndGlobal;
    let delay_ms = requested.delay_ms.or_else(|| {
        (global && config.mock_delay_max_ms > 0)
            .then(|| rand::random_range(config.mock_delay_min_ms..=config.mock_delay_max_ms))
    });
    let error = requested.error.or_else(|| {
        (global && config.mock_error_rate > 0.0 && rand::random::<f64>() < config.mock_error_rate)
            .then(|| {
                StatusCode::from_u16(config.mock_error_status)
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            })
    });
    if let Some(ms) = delay_ms.filter(|ms| *ms > 0) {
        app.metrics.count_simulated_delay();
        tracing::info!(delay_ms = ms, "simulated delay");
        // A timer, not a thread: thousands of delayed requests cost nothing.
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if let Some(status) = error {
        app.metrics.count_simulated_error();
        tracing::info!(status = status.as_u16(), "simulated error");
        return Err(ApiError::Simulated(status));
    }
    Ok(next.run(request).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn query_and_headers_are_read() {
        let from_query = Requested::parse(
            Some("simulate_error=503&simulate_delay=10&x=1"),
            &HeaderMap::new(),
        )
        .unwrap();
        assert_eq!(
            from_query,
            Requested {
                delay_ms: Some(10),
                error: Some(StatusCode::SERVICE_UNAVAILABLE)
            }
        );
        let from_headers = Requested::parse(
            None,
            &headers(&[("x-mock-error", "418"), ("x-mock-delay", "5")]),
        )
        .unwrap();
        assert_eq!(
            from_headers,
            Requested {
                delay_ms: Some(5),
                error: Some(StatusCode::IM_A_TEAPOT)
            }
        );
    }

    #[test]
    fn query_wins_over_header() {
        let both = Requested::parse(
            Some("simulate_error=502"),
            &headers(&[("x-mock-error", "503")]),
        )
        .unwrap();
        assert_eq!(both.error, Some(StatusCode::BAD_GATEWAY));
    }

    #[test]
    fn out_of_range_values_name_the_parameter() {
        for (query, name) in [
            ("simulate_error=399", "simulate_error"),
            ("simulate_error=600", "simulate_error"),
            ("simulate_error=abc", "simulate_error"),
            ("simulate_delay=60001", "simulate_delay"),
            ("simulate_delay=-1", "simulate_delay"),
        ] {
            let error = Requested::parse(Some(query), &HeaderMap::new()).unwrap_err();
            assert_eq!(error.code(), "validation_error");
            assert!(error.to_string().starts_with(name), "{query}: {error}");
        }
        let error = Requested::parse(None, &headers(&[("x-mock-delay", "soon")])).unwrap_err();
        assert!(error.to_string().starts_with("X-Mock-Delay"));
    }

    #[test]
    fn no_fault_parameters_means_nothing_requested() {
        assert_eq!(
            Requested::parse(Some("limit=5"), &HeaderMap::new()).unwrap(),
            Requested::default()
        );
    }
}
