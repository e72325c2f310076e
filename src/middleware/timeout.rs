//! Request timeout: a request not answered within [`REQUEST_TIMEOUT`] gets
//! 408 in the contract's JSON (tower-http's timeout answers with an empty body).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};

use crate::error::ApiError;

/// Requests are cut off after this long; above the largest simulated delay
/// (60 s) so that a delayed request always completes.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(75);

/// Layer that bounds each request's time.
#[derive(Clone, Copy, Default)]
pub struct TimeoutLayer;

impl<S> Layer<S> for TimeoutLayer {
    type Service = Timed<S>;

    fn layer(&self, inner: S) -> Timed<S> {
        Timed { inner }
    }
}

/// The service of [`TimeoutLayer`].
#[derive(Clone)]
pub struct Timed<S> {
    inner: S,
}

impl<S, R> Service<R> for Timed<S>
where
    S: Service<R, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = TimedFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        TimedFuture {
            inner: tokio::time::timeout(REQUEST_TIMEOUT, self.inner.call(request)),
        }
    }
}

pin_project_lite::pin_project! {
    /// The inner future, or a 408 when the time is up.
    pub struct TimedFuture<F> {
        #[pin]
        inner: tokio::time::Timeout<F>,
    }
}

impl<F> Future for TimedFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match ready!(self.project().inner.poll(cx)) {
            Ok(result) => Poll::Ready(result),
            Err(_) => Poll::Ready(Ok(
                ApiError::Timeout(REQUEST_TIMEOUT.as_secs()).into_response()
            )),
        }
    }
}
