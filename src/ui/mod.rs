//! Server-rendered pages: the dashboard at `/` and `/ui/...`, with every
//! asset embedded in the binary (no CDN, no build step). Every page reads
//! with JavaScript off (server-rendered tables, HTML forms with
//! Post/Redirect/Get); `dashboard.js` only adds live updates.

mod faults;
mod forms;
mod pages;
mod users;

pub mod login;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::state::AppState;

/// The cookie that keeps the `DEV_API_KEY` the dashboard was given.
pub const KEY_COOKIE: &str = "mock_dev_key";

/// The dashboard's routes (`/`, `/ui/...`).
pub fn router(app: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(pages::overview))
        .route("/ui/overview.json", get(pages::overview_json))
        .route("/ui/requests", get(pages::requests))
        .route("/ui/requests/stream", get(pages::requests_stream))
        .route("/ui/users", get(users::page).post(users::add))
        .route("/ui/users/reset", post(users::reset))
        .route("/ui/users/{id}", post(users::edit))
        .route("/ui/users/{id}/disable", post(users::disable))
        .route("/ui/users/{id}/delete", post(users::delete))
        .route(
            "/ui/debugger",
            get(pages::debugger).post(pages::debug_token),
        )
        .route("/ui/faults", get(faults::page).post(faults::add_rule))
        .route("/ui/faults/clear", post(faults::clear_rules))
        .route("/ui/faults/global", post(faults::set_global))
        .route("/ui/faults/{id}/delete", post(faults::remove_rule))
        // The page's first name, kept so old links and bookmarks still land.
        .route("/ui/system", get(|| async { Redirect::to("/ui/faults") }))
        .route("/ui/clock/advance", post(faults::clock_advance))
        .route("/ui/clock/freeze", post(faults::clock_freeze))
        .route("/ui/clock/reset", post(faults::clock_reset))
        .route("/ui/keys/rotate", post(faults::rotate_key))
        .route("/ui/keys/retire", post(faults::retire_key))
        .route("/ui/key", post(faults::remember_key))
        .route("/ui/assets/dashboard.css", get(css))
        .route("/ui/assets/dashboard.js", get(js))
        .route_layer(middleware::from_fn_with_state(
            app.clone(),
            only_with_dev_endpoints,
        ))
}

/// With `ENABLE_DEV_ENDPOINTS=false` the dashboard is off: `/docs` instead.
async fn only_with_dev_endpoints(
    State(app): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if app.config.enable_dev_endpoints {
        next.run(request).await
    } else {
        Redirect::to("/docs").into_response()
    }
}

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../assets/ui/dashboard.css"),
    )
}

async fn js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../assets/ui/dashboard.js"),
    )
}

/// Back to the faults-and-keys page, where the key can be given.
fn refused(what: &str) -> Response {
    forms::failed(
        "/ui/faults",
        &format!("DEV_API_KEY needed for {what}: enter it below"),
    )
}

/// Whether the request may change things: with `DEV_API_KEY` set, the
/// cookie (or the `X-Dev-Api-Key` header) must hold it, compared in
/// constant time.
pub fn allowed(app: &AppState, headers: &HeaderMap) -> bool {
    let Some(expected) = app.config.dev.dev_api_key.as_deref() else {
        return true;
    };
    let from_header = headers
        .get("x-dev-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let from_cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().strip_prefix(KEY_COOKIE)?.strip_prefix('='))
        .map(str::to_owned)
        .next();
    from_header
        .or(from_cookie)
        .is_some_and(|given| constant_time_eq(given.as_bytes(), expected.as_bytes()))
}

/// Compares without an early exit, so the time does not tell the prefix.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(super::constant_time_eq(b"abc", b"abc"));
        assert!(!super::constant_time_eq(b"abc", b"abd"));
        assert!(!super::constant_time_eq(b"abc", b"ab"));
    }
}
