//! `X-Request-ID`: the client's own, or a fresh UUID v4, set on the request
//! (so the trace span, the journal and the handlers see it) and echoed on
//! the response unless the response carries one already.
//!
//! One layer instead of tower-http's pair (set, then propagate): the pair
//! also puts the id in the request's and the response's extensions, which
//! nothing here reads and which cost an allocation each, and its id is
//! copied once more on the way back.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::body::Bytes;
use axum::http::{HeaderName, HeaderValue, Request, Response};
use tower::{Layer, Service};

/// The header.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Sets and echoes `X-Request-ID`.
#[derive(Clone, Copy, Default)]
pub struct RequestIdLayer;

impl<S> Layer<S> for RequestIdLayer {
    type Service = RequestIds<S>;

    fn layer(&self, inner: S) -> RequestIds<S> {
        RequestIds { inner }
    }
}

/// The service of [`RequestIdLayer`].
#[derive(Clone)]
pub struct RequestIds<S> {
    inner: S,
}

/// A fresh id: a UUID v4, formatted on the stack into one shared buffer, so
/// that the request's copy and the response's are the same bytes.
fn fresh() -> Option<HeaderValue> {
    let mut buffer = [0u8; uuid::fmt::Hyphenated::LENGTH];
    uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buffer);
    HeaderValue::from_maybe_shared(Bytes::from_owner(buffer)).ok()
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RequestIds<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = RequestIdFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let id = match request.headers().get(REQUEST_ID) {
            Some(id) => Some(id.clone()),
            None => fresh().inspect(|id| {
                request.headers_mut().insert(REQUEST_ID, id.clone());
            }),
        };
        RequestIdFuture {
            inner: self.inner.call(request),
            id,
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`RequestIds`].
    pub struct RequestIdFuture<F> {
        #[pin]
        inner: F,
        id: Option<HeaderValue>,
    }
}

impl<F, B, E> Future for RequestIdFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.inner.poll(cx))?;
        if let Some(id) = this.id.take()
            && !response.headers().contains_key(REQUEST_ID)
        {
            response.headers_mut().insert(REQUEST_ID, id);
        }
        Poll::Ready(Ok(response))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use tower::ServiceExt;

    /// Answers with the id the request carried in its body, and its own id
    /// when the path asks for one.
    async fn answer(request: Request<()>) -> Result<Response<String>, Infallible> {
        let seen = request.headers().get(REQUEST_ID).cloned();
        let mut response = Response::new(
            seen.as_ref()
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
        );
        if request.uri().path() == "/own" {
            response
                .headers_mut()
                .insert(REQUEST_ID, HeaderValue::from_static("the-handler's"));
        }
        Ok(response)
    }

    async fn call(path: &str, id: Option<&str>) -> Response<String> {
        let mut request = Request::builder().uri(path);
        if let Some(id) = id {
            request = request.header(REQUEST_ID, id);
        }
        RequestIdLayer
            .layer(tower::service_fn(answer))
            .oneshot(request.body(()).unwrap())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_fresh_id_is_a_uuid_seen_by_the_request_and_echoed() {
        let response = call("/", None).await;
        let echoed = response.headers()[REQUEST_ID].to_str().unwrap().to_owned();
        assert_eq!(response.body(), &echoed, "the handler saw the same id");
        let uuid = uuid::Uuid::parse_str(&echoed).unwrap();
        assert_eq!(uuid.get_version_num(), 4);
        assert_ne!(call("/", None).await.headers()[REQUEST_ID], echoed.as_str());
    }

    #[tokio::test]
    async fn the_clients_id_is_kept_and_a_handlers_own_wins() {
        let response = call("/", Some("client-42")).await;
        assert_eq!(response.headers()[REQUEST_ID], "client-42");
        assert_eq!(response.body(), "client-42");
        let own = call("/own", Some("client-42")).await;
        assert_eq!(own.headers()[REQUEST_ID], "the-handler's");
    }
}
