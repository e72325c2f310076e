//! Metrics middleware: times every request and counts it under its route
//! template (axum's `MatchedPath`), never its raw URI, so keys stay bounded.
//! The same timing gives the request's log: its span (method, path, request
//! id), entered while the inner service runs, and one INFO line when the
//! answer is ready.
//!
//! A plain tower `Service` rather than `from_fn`: it sits on every request,
//! and `from_fn` boxes both its future and the next service per request.
//! The log is here rather than in tower-http's `TraceLayer`, which read the
//! clock five times a request (twice in a body wrapper) whether INFO was
//! on or not; this layer already holds the start time.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use axum::extract::MatchedPath;
use axum::http::{Method, Request, Response};
use tower::{Layer, Service};

use crate::metrics::UNMATCHED;
use crate::middleware::request_id::REQUEST_ID;
use crate::routes::Unmatched;
use crate::state::AppState;

/// Layer that records every response in [`crate::metrics::Metrics`].
#[derive(Clone)]
pub struct MetricsLayer {
    app: AppState,
}

impl MetricsLayer {
    /// Records into `app.metrics`.
    pub fn new(app: AppState) -> Self {
        Self { app }
    }
}

impl<S> Layer<S> for MetricsLayer {
    type Service = Metered<S>;

    fn layer(&self, inner: S) -> Metered<S> {
        Metered {
            inner,
            app: self.app.clone(),
        }
    }
}

/// The service of [`MetricsLayer`].
#[derive(Clone)]
pub struct Metered<S> {
    inner: S,
    app: AppState,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Metered<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = MeteredFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map(|path| (request.method().clone(), path.clone()));
        // The fields are only evaluated when the span is enabled.
        let span = tracing::info_span!(
            "request",
            method = %request.method(),
            path = %request.uri().path(),
            request_id = %request_id(&request),
        );
        let inner = span.in_scope(|| self.inner.call(request));
        MeteredFuture {
            inner,
            started: Instant::now(),
            route,
            app: self.app.clone(),
            span,
            done: false,
        }
    }
}

/// The status a request is counted under when its client went away before
/// the answer (nginx's "client closed request"): the contract counts every
/// request, and one dropped during a simulated delay or bcrypt is one too.
pub const CLIENT_CLOSED: u16 = 499;

pin_project_lite::pin_project! {
    /// Records the response when the inner future completes, or the request
    /// as [`CLIENT_CLOSED`] when the future is dropped before that.
    pub struct MeteredFuture<F> {
        #[pin]
        inner: F,
        started: Instant,
        route: Option<(Method, MatchedPath)>,
        app: AppState,
        span: tracing::Span,
        done: bool,
    }

    impl<F> PinnedDrop for MeteredFuture<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if !*this.done {
                record(this.app, this.route.take(), false, CLIENT_CLOSED, this.started.elapsed());
            }
        }
    }
}

/// The request's id as the request-id layer (outside this one) set it.
fn request_id<B>(request: &Request<B>) -> &str {
    request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
}

/// Records one answer under its route's key (`"GET /api/auth/me"`), built
/// in a buffer each worker thread keeps: a request allocates no key.
fn record(
    app: &AppState,
    route: Option<(Method, MatchedPath)>,
    unmatched: bool,
    status: u16,
    elapsed: std::time::Duration,
) {
    thread_local! {
        static KEY: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    let Some((method, path)) = route.filter(|_| !unmatched) else {
        return app.metrics.record(UNMATCHED, status, elapsed);
    };
    let write = |key: &mut String| {
        key.clear();
        key.push_str(method.as_str());
        key.push(' ');
        key.push_str(path.as_str());
    };
    // The buffer is gone while the thread exits (a task dropped then):
    // build the key afresh.
    let recorded = KEY.try_with(|cell| {
        cell.try_borrow_mut().is_ok_and(|mut key| {
            write(&mut key);
            app.metrics.record(&key, status, elapsed);
            true
        })
    });
    if recorded != Ok(true) {
        let mut key = String::new();
        write(&mut key);
        app.metrics.record(&key, status, elapsed);
    }
}

impl<F, ResBody, E> Future for MeteredFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let result = ready!(this.inner.poll(cx));
        *this.done = true;
        if let Ok(response) = &result {
            let unmatched = response.extensions().get::<Unmatched>().is_some();
            let status = response.status().as_u16();
            let elapsed = this.started.elapsed();
            record(this.app, this.route.take(), unmatched, status, elapsed);
            // Errors log themselves where they are made; this is the one
            // line every answer gets (tower-http's wording and fields).
            tracing::info!(
                latency = %format_args!("{} ms", elapsed.as_millis()),
                status,
                "finished processing request"
            );
        }
        Poll::Ready(result)
    }
}
