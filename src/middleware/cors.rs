//! CORS: tower-http's layer, with one shortcut. Under the default policy
//! (any origin) the answer to a request that is not a preflight is the same
//! two constant headers whatever the request, so they are written straight
//! into the response; tower-http builds them in a header map of its own on
//! every request and merges it in, which cost more than the rest of the
//! CORS work together. Preflights and origin lists go to tower-http.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::http::{HeaderName, HeaderValue, Method, Request, Response, header};
use tower::{Layer, Service};

/// The headers of a simple request's answer under the any-origin policy:
/// the same as tower-http's (the unit test below compares them).
const SIMPLE: [(HeaderName, HeaderValue); 2] = [
    (
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    ),
    (
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("x-request-id"),
    ),
];

/// tower-http's CORS layer, and whether its policy is "any origin".
#[derive(Clone)]
pub struct CorsLayer {
    full: tower_http::cors::CorsLayer,
    any_origin: bool,
}

impl CorsLayer {
    /// Wraps `full`; `any_origin` must say whether it allows any origin and
    /// exposes only `X-Request-ID` (the default policy).
    pub fn new(full: tower_http::cors::CorsLayer, any_origin: bool) -> Self {
        Self { full, any_origin }
    }
}

impl<S> Layer<S> for CorsLayer {
    type Service = Cors<S>;

    fn layer(&self, inner: S) -> Cors<S> {
        Cors {
            full: self.full.layer(inner),
            any_origin: self.any_origin,
        }
    }
}

/// The CORS service (see the module documentation).
#[derive(Clone)]
pub struct Cors<S> {
    full: tower_http::cors::Cors<S>,
    any_origin: bool,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Cors<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = CorsFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.full.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        if self.any_origin && request.method() != Method::OPTIONS {
            CorsFuture::Simple {
                inner: self.full.get_mut().call(request),
            }
        } else {
            CorsFuture::Full {
                inner: self.full.call(request),
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`Cors`].
    #[project = CorsProjection]
    pub enum CorsFuture<F> {
        /// A simple request under the any-origin policy.
        Simple { #[pin] inner: F },
        /// Anything else, answered by tower-http.
        Full { #[pin] inner: tower_http::cors::ResponseFuture<F> },
    }
}

impl<F, B, E> Future for CorsFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Default,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            CorsProjection::Simple { inner } => {
                let mut response = ready!(inner.poll(cx))?;
                let headers = response.headers_mut();
                for (name, value) in SIMPLE {
                    headers.insert(name, value);
                }
                Poll::Ready(Ok(response))
            }
            CorsProjection::Full { inner } => inner.poll(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use tower::ServiceExt;

    async fn answer(request: Request<()>) -> Result<Response<String>, Infallible> {
        let mut response = Response::new(String::new());
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        if request.uri().path() == "/own" {
            // A handler's own value is replaced, as tower-http replaces it.
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("https://elsewhere.example"),
            );
        }
        Ok(response)
    }

    #[tokio::test]
    async fn the_shortcut_answers_exactly_what_tower_http_answers() {
        let full = super::super::cors_policy(None);
        for (method, path, origin) in [
            (Method::GET, "/", None),
            (Method::GET, "/", Some("http://localhost:5173")),
            (Method::POST, "/own", Some("https://app.example")),
            (Method::DELETE, "/", None),
            (Method::OPTIONS, "/", Some("http://localhost:5173")),
        ] {
            let request = || {
                let mut builder = Request::builder().method(method.clone()).uri(path);
                if let Some(origin) = origin {
                    builder = builder
                        .header(header::ORIGIN, origin)
                        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST");
                }
                builder.body(()).unwrap()
            };
            let ours = CorsLayer::new(full.clone(), true)
                .layer(tower::service_fn(answer))
                .oneshot(request())
                .await
                .unwrap();
            let theirs = full
                .clone()
                .layer(tower::service_fn(answer))
                .oneshot(request())
                .await
                .unwrap();
            assert_eq!(ours.status(), theirs.status(), "{method} {path}");
            assert_eq!(
                ours.headers(),
                theirs.headers(),
                "{method} {path} {origin:?}"
            );
        }
    }
}
