//! Fault injection: simulated errors and delays, asked for per request
//! (`?simulate_error=`, `?simulate_delay=`, `X-Mock-Error`, `X-Mock-Delay`)
//! or drawn from the server-wide `MOCK_*` settings. The handler never runs
//! when an error is injected, so a simulated failure has no side effect.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::MatchedPath;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::{AUTHORIZATION, RETRY_AFTER};
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service, ServiceExt};

use crate::error::ApiError;
pub use crate::faults::{MAX_DELAY_MS, Requested, Scope};
use crate::journal::Note;
use crate::metrics::control::Action;
use crate::state::AppState;

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
        let global = self.scope == Scope::RequestAndGlobal;
        let engine = &self.app.faults;
        let with_rules = engine.has_rules();
        let simple = (!with_rules).then(|| engine.decide_simple(&requested, global));
        if simple.as_ref().is_some_and(|d| !d.is_fault()) {
            return FaultFuture::Through {
                inner: self.inner.call(request),
            };
        }
        // The clone is ready-checked by `oneshot`; the original stays ready.
        let inner = self.inner.clone();
        let app = self.app.clone();
        FaultFuture::Faulted {
            inner: Box::pin(async move {
                let decision = match simple {
                    Some(decision) => decision,
                    None => {
                        let route = request
                            .extensions()
                            .get::<MatchedPath>()
                            .map(|p| p.as_str().to_owned());
                        let user = if app.faults.needs_user() {
                            let authorization = request.headers().get(AUTHORIZATION).cloned();
                            request_user(&app, authorization).await
                        } else {
                            None
                        };
                        app.faults.decide(
                            &requested,
                            global,
                            request.method(),
                            route.as_deref(),
                            user.as_deref(),
                        )
                    }
                };
                if !decision.is_fault() {
                    return inner.oneshot(request).await;
                }
                if decision.rule.is_some() {
                    app.metrics.count(Action::FaultRuleHit);
                }
                if let Some(note) = request.extensions().get::<Note>() {
                    let rule = decision.rule;
                    let status = decision.error;
                    let delay = decision.delay_ms;
                    let dropped = decision.drop;
                    note.fault(|f| {
                        f.status = status.map(|s| s.as_u16());
                        f.delay_ms = delay;
                        f.drop = dropped.then_some(true);
                        f.rule = rule.map(|id| id.to_string());
                    });
                }
                if let Some(ms) = decision.delay_ms {
                    app.metrics.count_simulated_delay();
                    tracing::info!(delay_ms = ms, rule = decision.rule, "simulated delay");
                    // A timer, not a thread: thousands of delayed requests cost nothing.
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                }
                if decision.drop {
                    app.metrics.count_simulated_error();
                    tracing::info!(rule = decision.rule, "simulated dropped connection");
                    let handle = request.extensions().get::<DropConnection>().cloned();
                    return Ok(drop_connection(handle).await);
                }
                if let Some(status) = decision.error {
                    app.metrics.count_simulated_error();
                    tracing::info!(
                        status = status.as_u16(),
                        rule = decision.rule,
                        "simulated error"
                    );
                    let mut response = ApiError::Simulated(status).into_response();
                    if let Some(secs) = decision.retry_after
                        && let Ok(value) = HeaderValue::from_str(&secs.to_string())
                    {
                        response.headers_mut().insert(RETRY_AFTER, value);
                    }
                    return Ok(response);
                }
                inner.oneshot(request).await
            }),
        }
    }
}

/// The `sub` of the request's bearer token (verified), or the user name of
/// its Basic credentials.
async fn request_user(app: &AppState, authorization: Option<HeaderValue>) -> Option<String> {
    let authorization = authorization?;
    let value = authorization.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") {
        return app
            .tokens
            .verify_access(rest.trim())
            .await
            .ok()
            .map(|s| s.sub);
    }
    if scheme.eq_ignore_ascii_case("basic") {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .ok()?;
        let text = String::from_utf8(bytes).ok()?;
        return text.split_once(':').map(|(user, _)| user.to_owned());
    }
    None
}

/// Asks the server loop to close this request's connection with no answer
/// (see [`DropConnection`]) and never answers; without a handle (the router
/// called directly, not through the server), a 503 with `Connection: close`.
async fn drop_connection(handle: Option<DropConnection>) -> Response {
    if let Some(handle) = handle {
        handle.0.notify_one();
        return std::future::pending::<Response>().await;
    }
    let mut response =
        ApiError::Simulated(axum::http::StatusCode::SERVICE_UNAVAILABLE).into_response();
    response.headers_mut().insert(
        axum::http::header::CONNECTION,
        HeaderValue::from_static("close"),
    );
    response
}

/// Per-connection handle the server loop puts in every request: notified,
/// the loop drops the connection without writing anything.
#[derive(Clone, Debug, Default)]
pub struct DropConnection(pub std::sync::Arc<tokio::sync::Notify>);

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
