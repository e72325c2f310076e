//! The dashboard's pages (GET), rendered on the server with askama.

use std::fmt::Write as _;

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::tokens::TokenType;
use crate::dev::requests::{RequestQuery, live};
use crate::error::ApiError;
use crate::extract::Query;
use crate::journal::{Entry, Filter, Lineage};
use crate::metrics::RouteSnapshot;
use crate::state::AppState;

/// Renders a template, or a plain 500 when it fails.
pub fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => ApiError::Internal(format!("template: {error}")).into_response(),
    }
}

/// The `?flash=` (done) or `?error=` (refused) message shown after a redirect.
#[derive(Debug, Default, Deserialize)]
pub struct Flash {
    flash: Option<String>,
    error: Option<String>,
}

impl Flash {
    /// The green note, or empty.
    pub fn done(&self) -> String {
        self.flash.clone().unwrap_or_default()
    }

    /// The red note, or empty.
    pub fn error(&self) -> String {
        self.error.clone().unwrap_or_default()
    }
}

/// One row of the routes table.
pub struct RouteRow {
    key: String,
    count: u64,
    errors: u64,
    p50: String,
    p95: String,
    p99: String,
}

#[derive(Template)]
#[template(path = "dashboard/overview.html")]
struct Overview {
    title: &'static str,
    page: &'static str,
    flash: String,
    error: String,
    clock: String,
    frozen: bool,
    offset: i64,
    total: u64,
    error_rate: String,
    uptime: String,
    issuer: String,
    discovery: String,
    users: usize,
    routes_html: String,
    latency_svg: String,
}

/// The routes table's rows, rendered once for the page and again for its live updates.
#[derive(Template)]
#[template(path = "dashboard/route_rows.html")]
struct RouteRows {
    routes: Vec<RouteRow>,
}

fn route_rows(routes: &[(String, RouteSnapshot)]) -> String {
    let rows = RouteRows {
        routes: routes
            .iter()
            .map(|(key, r)| RouteRow {
                key: key.clone(),
                count: r.count,
                errors: r.errors,
                p50: format!("{:.2}", r.p50_ms),
                p95: format!("{:.2}", r.p95_ms),
                p99: format!("{:.2}", r.p99_ms),
            })
            .collect(),
    };
    rows.render().unwrap_or_default()
}

fn uptime(seconds: f64) -> String {
    let s = seconds as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

fn error_rate(total: u64, errors: u64) -> String {
    if total == 0 {
        return "0 %".into();
    }
    format!("{:.1} %", errors as f64 * 100.0 / total as f64)
}

/// Horizontal bars of p50/p95/p99 per route, drawn on the server.
fn latency_svg(routes: &[(String, RouteSnapshot)]) -> String {
    if routes.is_empty() {
        return "<p class=\"muted\">No requests yet.</p>".into();
    }
    let max = routes.iter().map(|(_, r)| r.p99_ms).fold(0.1_f64, f64::max);
    let row = 34;
    let height = routes.len() * row + 8;
    let mut svg = format!(
        "<svg class=\"lat chart-lat\" preserveAspectRatio=\"xMinYMin meet\" viewBox=\"0 0 900 {height}\" width=\"100%\" height=\"{height}\" role=\"img\" aria-label=\"latency per route\">"
    );
    for (i, (key, r)) in routes.iter().enumerate() {
        let y = i * row + 4;
        let key = key.replace('&', "&amp;").replace('<', "&lt;");
        let _ = write!(svg, "<text x=\"0\" y=\"{}\">{key}</text>", y + 17);
        for (j, (value, class)) in [
            (r.p50_ms, "bar50"),
            (r.p95_ms, "bar95"),
            (r.p99_ms, "bar99"),
        ]
        .into_iter()
        .enumerate()
        {
            let width = (value / max * 520.0).max(1.0);
            let _ = write!(
                svg,
                "<rect class=\"{class}\" x=\"300\" y=\"{}\" width=\"{width:.1}\" height=\"8\" rx=\"2\"><title>{value} ms</title></rect>",
                y + 3 + j * 9
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{:.0}\" y=\"{}\">{} ms</text>",
            300.0 + (r.p99_ms / max * 520.0) + 8.0,
            y + 21,
            r.p99_ms
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The routes of the application under test: the dashboard's own page loads
/// and polling would otherwise top the chart (they stay in the metrics).
fn application_routes(
    routes: impl IntoIterator<Item = (String, RouteSnapshot)>,
) -> Vec<(String, RouteSnapshot)> {
    routes
        .into_iter()
        .filter(|(key, _)| {
            let path = key.split_once(' ').map_or(key.as_str(), |(_, path)| path);
            path != "/" && !path.starts_with("/ui/")
        })
        .collect()
}

fn discovery_url(app: &AppState) -> String {
    let base = app
        .config
        .keys
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}:{}", app.config.host, app.config.port));
    format!(
        "{}/.well-known/openid-configuration",
        base.trim_end_matches('/')
    )
}

/// `GET /`: the overview.
pub async fn overview(State(app): State<AppState>, Query(flash): Query<Flash>) -> Response {
    let metrics = app.metrics.snapshot();
    let clock = app.clock.view();
    let routes = application_routes(metrics.routes);
    render(&Overview {
        title: "Overview",
        page: "overview",
        flash: flash.done(),
        error: flash.error(),
        clock: clock.now.clone(),
        frozen: clock.frozen,
        offset: clock.offset_seconds,
        total: metrics.total_requests,
        error_rate: error_rate(metrics.total_requests, metrics.total_errors),
        uptime: uptime(metrics.uptime_seconds),
        issuer: app.tokens.issuer().to_string(),
        discovery: discovery_url(&app),
        users: app.users.len(),
        latency_svg: latency_svg(&routes),
        routes_html: route_rows(&routes),
    })
}

/// `GET /ui/overview.json`: the live figures of the overview.
pub async fn overview_json(State(app): State<AppState>) -> axum::Json<Value> {
    let metrics = app.metrics.snapshot();
    let routes = application_routes(metrics.routes);
    axum::Json(json!({
        "total": metrics.total_requests,
        "error_rate": error_rate(metrics.total_requests, metrics.total_errors),
        "uptime": uptime(metrics.uptime_seconds),
        "clock": app.clock.view().now,
        "latency_svg": latency_svg(&routes),
        "routes_html": route_rows(&routes),
    }))
}

#[derive(Template)]
#[template(path = "dashboard/requests.html")]
struct Requests {
    title: &'static str,
    page: &'static str,
    flash: String,
    error: String,
    clock: String,
    routes: Vec<String>,
    route: String,
    status: String,
    user: String,
    show_dashboard: bool,
    enabled: bool,
    entries: Vec<std::sync::Arc<Entry>>,
    lineage: Option<Lineage>,
}

/// The requests page's query: the journal filters and a token to show.
#[derive(Debug, Default, Deserialize)]
pub struct RequestsPage {
    route: Option<String>,
    status: Option<String>,
    user: Option<String>,
    /// The dashboard's own requests are hidden unless this is ticked.
    show_dashboard: Option<String>,
    token: Option<String>,
}

impl RequestsPage {
    fn filter(&self) -> Filter {
        RequestQuery {
            route: self.route.clone(),
            status: self.status.as_deref().and_then(|s| s.trim().parse().ok()),
            user: self.user.clone(),
            since: None,
            limit: Some(200),
            hide_dashboard: Some(self.show_dashboard.is_none()),
        }
        .filter()
        .unwrap_or_default()
    }
}

/// `GET /ui/requests`: the journal, filtered, and a token's lineage.
pub async fn requests(State(app): State<AppState>, Query(query): Query<RequestsPage>) -> Response {
    let filter = query.filter();
    render(&Requests {
        title: "Requests",
        page: "requests",
        flash: String::new(),
        error: String::new(),
        clock: app.clock.view().now,
        routes: app.journal.routes(),
        route: query.route.clone().unwrap_or_default(),
        status: query.status.clone().unwrap_or_default(),
        user: query.user.clone().unwrap_or_default(),
        show_dashboard: query.show_dashboard.is_some(),
        enabled: app.journal.enabled(),
        entries: app.journal.list(&filter),
        lineage: query
            .token
            .as_deref()
            .and_then(|jti| app.journal.lineage(jti, &app.revoked)),
    })
}

/// `GET /ui/requests/stream`: the live journal with the page's filters.
pub async fn requests_stream(
    State(app): State<AppState>,
    Query(query): Query<RequestsPage>,
) -> impl IntoResponse {
    let mut filter = query.filter();
    filter.limit = usize::MAX;
    live(&app.journal, move |entry| filter.accepts(entry))
}

#[derive(Template, Default)]
#[template(path = "dashboard/debugger.html")]
struct Debugger {
    title: &'static str,
    page: &'static str,
    flash: String,
    error: String,
    clock: String,
    token: String,
    checked: bool,
    ok: bool,
    verdict: String,
    code: String,
    header: String,
    claims: String,
}

/// `GET /ui/debugger`.
pub async fn debugger(State(app): State<AppState>) -> Response {
    render(&Debugger {
        title: "Token debugger",
        page: "debugger",
        clock: app.clock.view().now,
        ..Debugger::default()
    })
}

fn decode_part(part: Option<&str>) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(part?.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// "3 minutes", "2 hours", "40 seconds".
fn span(seconds: i64) -> String {
    let s = seconds.unsigned_abs();
    let (n, unit) = match s {
        0..120 => (s, "second"),
        120..7200 => (s / 60, "minute"),
        7200..172_800 => (s / 3600, "hour"),
        _ => (s / 86_400, "day"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// The verifier's refusal in plain words.
fn explain(error: &ApiError, claims: Option<&Value>, now: i64) -> String {
    let exp = claims.and_then(|c| c["exp"].as_i64());
    match error {
        ApiError::TokenExpired => match exp {
            Some(exp) => format!(
                "Expired {} ago (exp is {}, the server's clock says {}).",
                span(now - exp),
                exp,
                now
            ),
            None => "Expired.".into(),
        },
        ApiError::WrongTokenType { .. } => format!("Wrong token type: {error}."),
        ApiError::TokenRevoked => {
            "Revoked: it was used, logged out, revoked, or issued before a reset.".into()
        }
        ApiError::InvalidToken(detail) => {
            let lower = detail.to_lowercase();
            let what = if lower.contains("signature")
                || lower.contains("kid")
                || lower.contains("key")
            {
                "Signature check failed"
            } else if lower.contains("iss") {
                "Issuer check failed"
            } else if lower.contains("aud") {
                "Audience check failed"
            } else if lower.contains("nbf") || lower.contains("not before") || lower.contains("yet")
            {
                "Not valid yet"
            } else {
                "Malformed or refused"
            };
            format!("{what}: {detail}.")
        }
        other => other.to_string(),
    }
}

/// `POST /ui/debugger`: decodes the token and asks the one verifier.
///
/// A POST, so a pasted token stays out of URLs and the journal.
pub async fn debug_token(State(app): State<AppState>, body: Bytes) -> Response {
    let token = super::forms::Fields::parse(&body).text("token").to_owned();
    let mut parts = token.split('.');
    let header = decode_part(parts.next());
    let claims = decode_part(parts.next());
    let expected = match claims.as_ref().and_then(|c| c["type"].as_str()) {
        Some("refresh") => TokenType::Refresh,
        _ => TokenType::Access,
    };
    let verdict = match app.tokens.verify(&token, expected).await {
        Ok(verified) => {
            let revoked = match expected {
                TokenType::Refresh => app.revoked.is_refresh_revoked(&verified),
                TokenType::Access => app.revoked.check_access(&verified.jti).is_err(),
            };
            if revoked {
                Err(ApiError::TokenRevoked)
            } else {
                Ok(verified)
            }
        }
        Err(error) => Err(error),
    };
    let now = app.clock.unix();
    let (ok, verdict, code) = match verdict {
        Ok(verified) => (
            true,
            format!(
                "Signature, expiry (in {}), issuer, audience and type all check out.",
                span(verified.exp - now)
            ),
            String::new(),
        ),
        Err(error) => (
            false,
            explain(&error, claims.as_ref(), now),
            error.code().to_owned(),
        ),
    };
    let pretty = |v: Option<Value>| {
        v.map_or_else(
            || "(not decodable)".into(),
            |v| serde_json::to_string_pretty(&v).unwrap_or_default(),
        )
    };
    render(&Debugger {
        title: "Token debugger",
        page: "debugger",
        flash: String::new(),
        error: String::new(),
        clock: app.clock.view().now,
        token,
        checked: true,
        ok,
        verdict,
        code,
        header: pretty(header),
        claims: pretty(claims),
    })
}
