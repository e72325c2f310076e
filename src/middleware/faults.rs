//! Fault injection: simulated errors and delays, asked for per request
//! (`?simulate_error=`, `?simulate_delay=`, `X-Mock-Error`, `X-Mock-Delay`)
//! or drawn from the server-wide `MOCK_*` settings. The handler never runs
//! when an error is injected, so a simulated failure has no side effect.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service, ServiceExt};

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
        let mut delay = header(headers, &X_MOCK_DELAY, "X-Mock-Delay")?;
        let mut error = header(headers, &X_MOCK_ERROR, "X-Mock-Error")?;
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

/// Pre-parsed names: a lookup by `&str` parses the name on every request.
static X_MOCK_DELAY: HeaderName = HeaderName::from_static("x-mock-delay");
static X_MOCK_ERROR: HeaderName = HeaderName::from_static("x-mock-error");

/// The header's value with its name as the 422 spells it (`display`).
fn header(
    headers: &HeaderMap,
    name: &'static HeaderName,
    display: &'static str,
) -> Result<Option<(&'static str, String)>, ApiError> {
    headers
        .get(name)
        .map(|value| match value.to_str() {
            Ok(text) => Ok((display, text.to_owned())),
            Err(_) => Err(ApiError::validation(display, "must be ASCII digits")),
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

/// Layer that injects faults into a group of routes.
#[derive(Clone)]
pub struct FaultLayer {
    app: AppState,
    scope: Scope,
}

impl FaultLayer {
    /// Faults for routes of the given scope.
    pub fn new(app: AppState, scope: Scope) -> Self {
        Self { app, scope }
    }
}

impl<S> Layer<S> for FaultLayer {
    type Service = Faults<S>;

    fn layer(&self, inner: S) -> Faults<S> {
        Faults {
            inner,
            app: self.app.clone(),
            scope: self.scope,
        }
    }
}

/// The service of [`FaultLayer`]. A request without faults goes straight
/// through, with no allocation; only a faulted one is boxed.
#[derive(Clone)]
pub struct Faults<S> {
    inner: S,
    app: AppState,
    scope: Scope,
}

type Faulted = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl<S> Faults<S> {
    /// The delay and error for this request: its own, else the global draw.
    fn decide(&self, requested: Requested) -> (Option<u64>, Option<StatusCode>) {
        let config = &self.app.config;
        let global = self.scope == Scope::RequestAndGlobal;
        let delay_ms = requested.delay_ms.or_else(|| {
            (global && config.mock_delay_max_ms > 0)
                .then(|| rand::random_range(config.mock_delay_min_ms..=config.mock_delay_max_ms))
        });
        let error = requested.error.or_else(|| {
            (global
                && config.mock_error_rate > 0.0
                && rand::random::<f64>() < config.mock_error_rate)
                .then(|| {
                    StatusCode::from_u16(config.mock_error_status)
                        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
                })
        });
        (delay_ms.filter(|ms| *ms > 0), error)
    }
}

impl<S> Service<Request> for Faults<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = FaultFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let requested = match Requested::parse(request.uri().query(), request.headers()) {
            Ok(requested) => requested,
            Err(error) => {
                return FaultFuture::Ready {
                    response: Some(error.into_response()),
                };
            }
        };
        let (delay_ms, error) = self.decide(requested);
        if delay_ms.is_none() && error.is_none() {
            return FaultFuture::Through {
                inner: self.inner.call(request),
            };
        }
        // The clone is ready-checked by `oneshot`; the original stays ready.
        let inner = self.inner.clone();
        let metrics_app = self.app.clone();
        FaultFuture::Faulted {
            inner: Box::pin(async move {
                if let Some(ms) = delay_ms {
                    metrics_app.metrics.count_simulated_delay();
                    tracing::info!(delay_ms = ms, "simulated delay");
                    // A timer, not a thread: thousands of delayed requests cost nothing.
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                }
                if let Some(status) = error {
                    metrics_app.metrics.count_simulated_error();
                    tracing::info!(status = status.as_u16(), "simulated error");
                    return Ok(ApiError::Simulated(status).into_response());
                }
                inner.oneshot(request).await
            }),
        }
    }
}

pin_project_lite::pin_project! {
    /// The three ways a request goes through fault injection.
    #[project = FaultFutureProj]
    pub enum FaultFuture<F> {
        /// No fault: the route's own future.
        Through { #[pin] inner: F },
        /// A delay or an error: boxed, since it is the rare case.
        Faulted { inner: Faulted },
        /// A bad fault parameter: the 422, at once.
        Ready { response: Option<Response> },
    }
}

impl<F> Future for FaultFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            FaultFutureProj::Through { inner } => inner.poll(cx),
            FaultFutureProj::Faulted { inner } => inner.as_mut().poll(cx),
            FaultFutureProj::Ready { response } => match response.take() {
                Some(response) => Poll::Ready(Ok(response)),
                None => Poll::Pending,
            },
        }
    }
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
