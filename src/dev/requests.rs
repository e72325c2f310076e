//! The journal's routes: `GET`/`DELETE /api/dev/requests`, the live stream
//! `GET /api/dev/requests/stream` and the lineage `GET /api/dev/tokens/{jti}`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::broadcast::error::RecvError;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Query};
use crate::journal::{Entry, Filter, Journal, Lineage};
use crate::state::AppState;

/// Entries answered when the query names no `limit`.
const DEFAULT_LIMIT: usize = 100;

/// The journal routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_requests, clear_requests))
        .routes(routes!(stream_requests))
        .routes(routes!(token_lineage))
}

/// The filters of `GET /api/dev/requests`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestQuery {
    /// The route template (e.g. `/api/auth/login`), or the path of an unmatched request.
    pub route: Option<String>,
    /// The status answered.
    #[param(minimum = 0, maximum = 65535)]
    pub status: Option<u16>,
    /// The user (`sub`).
    pub user: Option<String>,
    /// Only requests at or after this RFC 3339 time (empty: no filter). The
    /// pattern is a subset: days past the 28th parse too.
    #[param(
        pattern = r"^(?:[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,9})?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9]))?$"
    )]
    pub since: Option<String>,
    /// At most this many (default 100).
    #[param(minimum = 0, maximum = 18446744073709551615_u64)]
    pub limit: Option<usize>,
    /// `true` leaves out the dashboard's own requests.
    pub hide_dashboard: Option<bool>,
}

impl RequestQuery {
    /// The journal filter, or 422 naming a bad `since`.
    pub fn filter(&self) -> Result<Filter, ApiError> {
        let since = match self.since.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(since) => Some(
                OffsetDateTime::parse(since, &Rfc3339)
                    .map_err(|_| ApiError::validation("since", "must be an RFC 3339 time"))?,
            ),
        };
        let blank = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
        Ok(Filter {
            route: blank(&self.route),
            status: self.status,
            user: blank(&self.user),
            since,
            hide_dashboard: self.hide_dashboard.unwrap_or(false),
            limit: self.limit.unwrap_or(DEFAULT_LIMIT),
        })
    }
}

/// The body of `GET /api/dev/requests`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestList {
    /// Newest first.
    #[schema(value_type = Vec<Entry>)]
    pub requests: Vec<Arc<Entry>>,
}

/// One event of `GET /api/dev/requests/stream`, as OpenAPI 3.1 describes a
/// `text/event-stream` item: `event: request` and, in `data`, the journal
/// entry as JSON.
pub struct RequestEvent;

impl utoipa::PartialSchema for RequestEvent {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let event = ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(["request"]))
            .description(Some("Always `request`"));
        let data = ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("The journal entry, as JSON"))
            .content_media_type("application/json")
            .content_schema(Some(utoipa::openapi::Ref::from_schema_name(
                <Entry as utoipa::ToSchema>::name(),
            )));
        ObjectBuilder::new()
            .property("event", event)
            .property("data", data)
            .required("event")
            .required("data")
            .into()
    }
}

impl utoipa::ToSchema for RequestEvent {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        schemas.push((
            <Entry as utoipa::ToSchema>::name().into(),
            <Entry as utoipa::PartialSchema>::schema(),
        ));
        <Entry as utoipa::ToSchema>::schemas(schemas);
    }
}

/// The journal, newest first (dev).
///
/// Never holds a password, a secret, a whole token or an `Authorization`
/// value: tokens appear by `jti` only, paths without their query.
#[utoipa::path(get, path = "/api/dev/requests", tag = "dev", params(RequestQuery),
    responses((status = 200, description = "The journal's entries", body = RequestList),
        (status = 422, description = "A bad filter", body = crate::error::ErrorBody)))]
async fn list_requests(
    State(app): State<AppState>,
    Query(query): Query<RequestQuery>,
) -> ApiResult<Json<RequestList>> {
    let filter = query.filter()?;
    Ok(Json(RequestList {
        requests: app.journal.list(&filter),
    }))
}

/// Empty the journal (dev); the token lineage stays.
#[utoipa::path(delete, path = "/api/dev/requests", tag = "dev",
    responses((status = 204, description = "Journal emptied")))]
async fn clear_requests(State(app): State<AppState>) -> StatusCode {
    app.journal.clear();
    StatusCode::NO_CONTENT
}

/// Requests as they happen (dev): server-sent events, one `event: request`
/// per request with the entry as JSON in `data`.
///
/// A client that falls more than a few hundred events behind is dropped
/// rather than buffered; the stream ends when the server shuts down.
#[utoipa::path(get, path = "/api/dev/requests/stream", tag = "dev",
    responses((status = 200, description = "An event stream", content_type = "text/event-stream", body = RequestEvent)))]
async fn stream_requests(
    State(app): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    live(&app.journal, |_| true)
}

/// The live stream of the entries `keep` accepts, with keep-alive comments.
pub fn live<F: Fn(&Entry) -> bool + Send + 'static>(
    journal: &Journal,
    keep: F,
) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<F>> {
    let receiver = journal.subscribe();
    let closed = journal.closed();
    let stream = futures_util::stream::unfold(
        (receiver, closed, keep),
        |(mut receiver, mut closed, keep)| async move {
            loop {
                let entry = tokio::select! {
                    received = receiver.recv() => match received {
                        Ok(entry) => entry,
                        // Lagged: a slow client is dropped, not buffered for.
                        Err(RecvError::Lagged(_) | RecvError::Closed) => return None,
                    },
                    _ = closed.wait_for(|closed| *closed) => return None,
                };
                if !keep(&entry) {
                    continue;
                }
                let event = Event::default()
                    .event("request")
                    .json_data(&*entry)
                    .unwrap_or_else(|_| Event::default().event("request"));
                return Some((Ok(event), (receiver, closed, keep)));
            }
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// A token's lineage (dev): the request that issued it, the refresh token it
/// came from, what it was exchanged for, whether it is revoked, its expiry.
///
/// At most 10 x `JOURNAL_SIZE` tokens are remembered; an older one is 404.
#[utoipa::path(get, path = "/api/dev/tokens/{jti}", tag = "dev",
    params(("jti" = String, Path, description = "The token's jti")),
    responses((status = 200, description = "The token's lineage", body = Lineage),
        (status = 404, description = "Not remembered", body = crate::error::ErrorBody)))]
async fn token_lineage(
    State(app): State<AppState>,
    Path(jti): Path<String>,
) -> ApiResult<Json<Lineage>> {
    app.journal
        .lineage(&jti, &app.revoked)
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no token {jti} in the lineage index")))
}

#[cfg(test)]
mod tests {
    use axum::response::IntoResponse;
    use futures_util::StreamExt;

    use super::*;

    // Paused time: the runtime jumps to the keep-alive's timer as soon as the
    // stream is idle, so this neither waits 15 s nor depends on timing.
    #[tokio::test(start_paused = true)]
    async fn an_idle_stream_sends_keep_alive_comments() {
        let journal = Journal::with_capacity(10);
        let mut body = live(&journal, |_| true)
            .into_response()
            .into_body()
            .into_data_stream();
        for _ in 0..2 {
            let chunk = body.next().await.unwrap().unwrap();
            let text = String::from_utf8_lossy(&chunk);
            assert!(
                text.starts_with(':'),
                "a comment line, not an event: {text:?}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_that_fell_behind_the_backlog_ends() {
        let journal = Journal::with_capacity(10);
        let mut body = live(&journal, |_| true)
            .into_response()
            .into_body()
            .into_data_stream();
        for i in 0..=crate::journal::STREAM_BACKLOG {
            journal.record_entry(&crate::journal::tests::entry(&format!("r{i}"), None), &[]);
        }
        assert_eq!(journal.backlog(), crate::journal::STREAM_BACKLOG);
        assert!(body.next().await.is_none(), "a lagging stream ends");
    }
}
