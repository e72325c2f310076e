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
            inner: self.inner.call(request),
            deadline: None,
        }
    }
}

pin_project_lite::pin_project! {
    /// The inner future, or a 408 when the time is up.
    ///
    /// The timer is armed when the inner future first waits, not at the
    /// call: most answers are ready at their first poll, and a timer set and
    /// cancelled for each of them cost a clock read and two trips through
    /// the runtime's timer wheel. The microseconds between the call and that
    /// first poll are not counted; nothing here needs them.
    pub struct TimedFuture<F> {
        #[pin]
        inner: F,
        #[pin]
        deadline: Option<tokio::time::Sleep>,
    }
}

impl<F> Future for TimedFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if let Poll::Ready(result) = this.inner.poll(cx) {
            return Poll::Ready(result);
        }
        if this.deadline.is_none() {
            this.deadline.set(Some(tokio::time::sleep(REQUEST_TIMEOUT)));
        }
        if let Some(deadline) = this.deadline.as_pin_mut() {
            ready!(deadline.poll(cx));
        }
        Poll::Ready(Ok(
            ApiError::Timeout(REQUEST_TIMEOUT.as_secs()).into_response()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use axum::http::StatusCode;
    use tower::ServiceExt;

    /// A service whose answer comes after `wait` (or never).
    fn answering_after(
        wait: Option<Duration>,
    ) -> impl Service<(), Response = Response, Error = Infallible, Future: Send> {
        tower::service_fn(move |()| async move {
            match wait {
                Some(wait) => tokio::time::sleep(wait).await,
                None => std::future::pending().await,
            }
            Ok::<_, Infallible>(StatusCode::NO_CONTENT.into_response())
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_that_never_answers_gets_408_once_the_time_is_up() {
        let started = tokio::time::Instant::now();
        // Bounded, so a timer that is never armed fails instead of hanging.
        let answer = TimeoutLayer.layer(answering_after(None)).oneshot(());
        let response = tokio::time::timeout(REQUEST_TIMEOUT * 2, answer)
            .await
            .expect("the layer answers before twice its limit")
            .unwrap();
        assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
        assert_eq!(started.elapsed(), REQUEST_TIMEOUT);
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_that_waits_less_than_the_limit_is_passed_through() {
        let response = TimeoutLayer
            .layer(answering_after(Some(REQUEST_TIMEOUT / 2)))
            .oneshot(())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let ready = TimeoutLayer
            .layer(answering_after(Some(Duration::ZERO)))
            .oneshot(())
            .await
            .unwrap();
        assert_eq!(ready.status(), StatusCode::NO_CONTENT);
    }
}
