//! Journal middleware: puts a [`Note`] in the request's extensions before the
//! fault layer and the handlers run, and records the request in the journal
//! when the response head is made (or as 499 when the client left first).
//!
//! A plain tower `Service`, like the metrics layer, so it costs no boxing;
//! with `JOURNAL_SIZE=0` it only forwards.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use axum::extract::MatchedPath;
use axum::http::{HeaderName, Request, Response};
use tower::{Layer, Service};

use crate::journal::{Head, Note, Outcome};
use crate::middleware::metrics::CLIENT_CLOSED;
use crate::middleware::request_id::REQUEST_ID;
use crate::routes::Unmatched;
use crate::state::AppState;

/// The header the dashboard's scripts send, so its requests can be hidden.
/// A `HeaderName`, not a string: a lookup by string parses the name first.
pub const DASHBOARD_HEADER: HeaderName = HeaderName::from_static("x-mock-dashboard");

/// Layer that journals every request.
#[derive(Clone)]
pub struct JournalLayer {
    app: AppState,
}

impl JournalLayer {
    /// Records into `app.journal`.
    pub fn new(app: AppState) -> Self {
        Self { app }
    }
}

impl<S> Layer<S> for JournalLayer {
    type Service = Journaled<S>;

    fn layer(&self, inner: S) -> Journaled<S> {
        Journaled {
            inner,
            app: self.app.clone(),
            enabled: self.app.journal.enabled(),
        }
    }
}

/// The service of [`JournalLayer`].
#[derive(Clone)]
pub struct Journaled<S> {
    inner: S,
    app: AppState,
    enabled: bool,
}

/// What is known of a request before its response.
struct Pending {
    note: Note,
    head: Head,
    started: Instant,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Journaled<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = JournaledFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        if !self.enabled {
            return JournaledFuture {
                inner: self.inner.call(request),
                pending: None,
                app: self.app.clone(),
            };
        }
        let note = Note::default();
        request.extensions_mut().insert(note.clone());
        let path = request.uri().path();
        let dashboard = path == "/"
            || path.starts_with("/ui/")
            || request.headers().contains_key(DASHBOARD_HEADER);
        let head = Head {
            id: request.headers().get(REQUEST_ID).cloned(),
            at: self.app.clock.now(),
            method: request.method().clone(),
            uri: request.uri().clone(),
            route: request.extensions().get::<MatchedPath>().cloned(),
            dashboard,
        };
        JournaledFuture {
            inner: self.inner.call(request),
            pending: Some(Pending {
                note,
                head,
                started: Instant::now(),
            }),
            app: self.app.clone(),
        }
    }
}

pin_project_lite::pin_project! {
    /// Records the request when the inner future completes, or as
    /// [`CLIENT_CLOSED`] when it is dropped before that.
    pub struct JournaledFuture<F> {
        #[pin]
        inner: F,
        pending: Option<Pending>,
        app: AppState,
    }

    impl<F> PinnedDrop for JournaledFuture<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(pending) = this.pending.take() {
                finish(this.app, pending, CLIENT_CLOSED, false);
            }
        }
    }
}

fn finish(app: &AppState, pending: Pending, status: u16, unmatched: bool) {
    let outcome = Outcome {
        status,
        duration_ms: (pending.started.elapsed().as_secs_f64() * 1e6).round() / 1e3,
        unmatched,
    };
    app.journal
        .record(&pending.head, &outcome, pending.note.take());
}

impl<F, ResBody, E> Future for JournaledFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        if let Some(pending) = this.pending.take() {
            let (status, unmatched) = match &result {
                Ok(response) => (
                    response.status().as_u16(),
                    response.extensions().get::<Unmatched>().is_some(),
                ),
                Err(_) => (500, false),
            };
            finish(this.app, pending, status, unmatched);
        }
        Poll::Ready(result)
    }
}
