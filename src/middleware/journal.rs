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
use axum::http::{Request, Response};
use tower::{Layer, Service};

use crate::journal::{Entry, Note, TokenRefs};
use crate::middleware::metrics::CLIENT_CLOSED;
use crate::routes::Unmatched;
use crate::state::AppState;

/// The header the dashboard's scripts send, so its requests can be hidden.
pub const DASHBOARD_HEADER: &str = "x-mock-dashboard";

/// Longest path kept, in bytes: the journal is bounded by its entry count,
/// so an entry must be bounded too (hyper alone lets a path run to hundreds
/// of kilobytes, and a thousand of those would be hundreds of megabytes).
pub const MAX_PATH_BYTES: usize = 1024;

/// Longest request id or method kept, in bytes (both may come from the client).
const MAX_ID_BYTES: usize = 128;

/// `text` cut to at most `max` bytes on a character boundary, marked with `…`.
fn bounded(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

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
    entry: Entry,
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
        let entry = Entry {
            id: bounded(
                request
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default(),
                MAX_ID_BYTES,
            ),
            time: crate::store::rfc3339(self.app.clock.now()),
            method: bounded(request.method().as_str(), MAX_ID_BYTES),
            path: bounded(path, MAX_PATH_BYTES),
            route: request
                .extensions()
                .get::<MatchedPath>()
                .map(|route| route.as_str().to_owned()),
            status: 0,
            duration_ms: 0.0,
            user: None,
            client: None,
            fault: None,
            tokens: TokenRefs::default(),
            dashboard,
        };
        JournaledFuture {
            inner: self.inner.call(request),
            pending: Some(Pending {
                note,
                entry,
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
    let Pending {
        note,
        mut entry,
        started,
    } = pending;
    let data = note.take();
    entry.status = status;
    entry.duration_ms = (started.elapsed().as_secs_f64() * 1e6).round() / 1e3;
    if unmatched {
        entry.route = None;
    }
    entry.user = data.user;
    entry.client = data.client;
    entry.fault = data.fault;
    entry.tokens = TokenRefs {
        issued: data.issued.iter().map(|token| token.jti.clone()).collect(),
        presented: data.presented,
        parent: data.parent,
    };
    app.journal.record(entry, data.issued);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_on_a_character_boundary_within_the_bound() {
        assert_eq!(bounded("/health", MAX_PATH_BYTES), "/health");
        let long = format!("/{}", "é".repeat(MAX_PATH_BYTES));
        let cut = bounded(&long, MAX_PATH_BYTES);
        assert!(cut.len() <= MAX_PATH_BYTES, "{}", cut.len());
        assert!(cut.ends_with('…') && cut.starts_with("/é"));
    }
}
