//! The faults-and-keys page's forms (POST, then a redirect: Post/Redirect/Get):
//! fault rules, the global knobs, the clock and the signing keys, calling
//! the same state the control plane does. With `DEV_API_KEY` set, each needs
//! the key (see [`super::allowed`]).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::forms::{Fields, done, failed};
use super::pages::{Flash, render};
use crate::auth::keys::KeyInfo;
use crate::dev::actions::{self, ClockMove, Via};
use crate::error::ApiError;
use crate::extract::Query;
use crate::faults::{GlobalKnobs, GlobalPatch, MAX_DELAY_MS, RuleMatch, RuleSpec, RuleView};
use crate::state::AppState;

const PAGE: &str = "/ui/faults";

/// Routes a rule can target, offered in the form (any other template works too).
const FAULTED_ROUTES: &[&str] = &[
    "/api/auth/login",
    "/api/auth/register",
    "/api/auth/refresh",
    "/api/auth/me",
    "/api/auth/logout",
    "/oauth2/token",
    "/oauth2/authorize",
    "/oauth2/userinfo",
    "/oauth2/introspect",
    "/oauth2/revoke",
    "/.well-known/jwks.json",
    "/.well-known/openid-configuration",
    "/health",
];

/// A fault rule as the table shows it.
pub struct RuleRow {
    id: u64,
    method: String,
    route: String,
    user: String,
    effect: String,
    shape: String,
    hits: u64,
}

impl From<RuleView> for RuleRow {
    fn from(rule: RuleView) -> Self {
        let spec = rule.spec;
        let mut effect = Vec::new();
        if let Some(status) = spec.status {
            effect.push(match spec.retry_after {
                Some(s) => format!("{status} (Retry-After {s} s)"),
                None => status.to_string(),
            });
        }
        if let Some(ms) = spec.delay_ms {
            effect.push(format!("delay {ms} ms"));
        }
        if spec.drop {
            effect.push("drop the connection".into());
        }
        let mut shape = Vec::new();
        if let Some(after) = spec.after {
            shape.push(format!("after {after}"));
        }
        if let Some(times) = spec.times {
            shape.push(format!("{times} times"));
        }
        if let Some(p) = spec.probability {
            shape.push(format!("{:.0} %", p * 100.0));
        }
        let any = || "any".to_owned();
        Self {
            id: rule.id,
            method: spec.matcher.method.unwrap_or_else(any),
            route: spec.matcher.route.unwrap_or_else(any),
            user: spec.matcher.user.unwrap_or_else(any),
            effect: effect.join(", "),
            shape: if shape.is_empty() {
                "every request".into()
            } else {
                shape.join(", ")
            },
            hits: rule.hits,
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/faults.html")]
struct FaultsPage {
    title: &'static str,
    page: &'static str,
    flash: String,
    error: String,
    clock: String,
    frozen: bool,
    offset: i64,
    rules: Vec<RuleRow>,
    routes: Vec<String>,
    global: GlobalKnobs,
    error_percent: String,
    keys: Vec<KeyInfo>,
    asymmetric: bool,
    key_required: bool,
}

/// `GET /ui/faults`: fault rules and their hits, the global knobs, the clock, the keys.
pub async fn page(
    State(app): State<AppState>,
    Query(flash): Query<Flash>,
    headers: HeaderMap,
) -> Response {
    let clock = app.clock.view();
    let mut routes: Vec<String> = FAULTED_ROUTES.iter().map(|r| (*r).to_owned()).collect();
    for route in app.journal.routes() {
        if !crate::faults::is_exempt(&route)
            && !route.starts_with("/ui")
            && !routes.contains(&route)
        {
            routes.push(route);
        }
    }
    let global = app.faults.global();
    let keys = app.keys().list().await.unwrap_or_default();
    render(&FaultsPage {
        title: "Faults & keys",
        page: "faults",
        flash: flash.done(),
        error: flash.error(),
        clock: clock.now,
        frozen: clock.frozen,
        offset: clock.offset_seconds,
        rules: app.faults.list().into_iter().map(RuleRow::from).collect(),
        routes,
        error_percent: format!("{:.0} %", global.error_rate * 100.0),
        global,
        asymmetric: keys.iter().any(|k| !k.alg.starts_with("HS")),
        keys,
        key_required: !super::allowed(&app, &headers),
    })
}

/// The sentence of an error, "field: problem" for a validation error.
fn message(error: &ApiError) -> String {
    match error {
        ApiError::Validation(text) => text.clone(),
        other => other.to_string(),
    }
}

/// A blank field is `None`, anything else its trimmed text.
fn given(form: &Fields, name: &str) -> Option<String> {
    Some(form.text(name).to_owned()).filter(|s| !s.is_empty())
}

/// The rule the add-rule form describes, or the first bad field.
fn rule_spec(form: &Fields) -> Result<RuleSpec, String> {
    let max_delay = i64::try_from(MAX_DELAY_MS).unwrap_or(i64::MAX);
    let matcher = RuleMatch {
        method: given(form, "method").map(|m| m.to_ascii_uppercase()),
        route: given(form, "route"),
        user: given(form, "user"),
    };
    let status = form.number("status", 400, 599)?;
    Ok(RuleSpec {
        matcher,
        status: status.and_then(|s| u16::try_from(s).ok()),
        delay_ms: form
            .number("delay_ms", 0, max_delay)?
            .and_then(|d| u64::try_from(d).ok()),
        retry_after: form.count("retry_after", 86_400)?,
        times: form.count("times", u64::MAX >> 1)?,
        after: form.count("after", u64::MAX >> 1)?,
        probability: form.decimal("probability", 0.0, 1.0)?,
        drop: form.checked("drop"),
    })
}

/// `POST /ui/faults`: adds a fault rule.
pub async fn add_rule(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if !super::allowed(&app, &headers) {
        return super::refused("fault rules");
    }
    let form = Fields::parse(&body);
    let added = rule_spec(&form)
        .and_then(|spec| actions::add_rule(&app, spec, Via::Dashboard).map_err(|e| message(&e)));
    match added {
        Ok(rule) => done(PAGE, &format!("Added rule {}", rule.id)),
        Err(problem) => failed(PAGE, &problem),
    }
}

/// `POST /ui/faults/{id}/delete`: removes one rule.
pub async fn remove_rule(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !super::allowed(&app, &headers) {
        return super::refused("fault rules");
    }
    if actions::remove_rule(&app, &id, Via::Dashboard) {
        done(PAGE, &format!("Removed rule {id}"))
    } else {
        failed(PAGE, &format!("No fault rule with id {id}"))
    }
}

/// `POST /ui/faults/clear`: removes every rule.
pub async fn clear_rules(State(app): State<AppState>, headers: HeaderMap) -> Response {
    if !super::allowed(&app, &headers) {
        return super::refused("fault rules");
    }
    actions::clear_rules(&app, Via::Dashboard);
    done(PAGE, "Removed every fault rule")
}

/// `POST /ui/faults/global`: sets the server-wide knobs (blank keeps one).
pub async fn set_global(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if !super::allowed(&app, &headers) {
        return super::refused("the global knobs");
    }
    let form = Fields::parse(&body);
    let patch = (|| {
        Ok::<_, String>(GlobalPatch {
            delay_min_ms: form.count("delay_min_ms", MAX_DELAY_MS)?,
            delay_max_ms: form.count("delay_max_ms", MAX_DELAY_MS)?,
            error_rate: form.decimal("error_rate", 0.0, 1.0)?,
            error_status: form
                .number("error_status", 400, 599)?
                .and_then(|s| u16::try_from(s).ok()),
        })
    })();
    let set = patch.and_then(|patch| {
        actions::set_global(&app, &patch, Via::Dashboard).map_err(|e| message(&e))
    });
    match set {
        Ok(_) => done(PAGE, "Global knobs saved"),
        Err(problem) => failed(PAGE, &problem),
    }
}

/// `POST /ui/clock/advance` with `minutes` (may be negative) or `seconds`.
pub async fn clock_advance(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !super::allowed(&app, &headers) {
        return super::refused("the clock");
    }
    let form = Fields::parse(&body);
    // Ten years either way: further is a typo, not a test.
    let limit = 10 * 366 * 86_400;
    let seconds = match (
        form.number("minutes", -limit / 60, limit / 60),
        form.number("seconds", -limit, limit),
    ) {
        (Err(problem), _) | (_, Err(problem)) => return failed(PAGE, &problem),
        (Ok(Some(minutes)), _) => minutes * 60,
        (Ok(None), Ok(Some(seconds))) => seconds,
        (Ok(None), Ok(None)) => return failed(PAGE, "minutes: a number of minutes is needed"),
    };
    let change = ClockMove {
        advance_seconds: Some(seconds),
        ..ClockMove::default()
    };
    let view = actions::move_clock(&app, change, Via::Dashboard);
    done(
        PAGE,
        &format!("Clock moved {seconds:+} s, now {}", view.now),
    )
}

/// `POST /ui/clock/freeze` with `frozen=true|false`.
pub async fn clock_freeze(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !super::allowed(&app, &headers) {
        return super::refused("the clock");
    }
    let frozen = Fields::parse(&body).checked("frozen");
    let change = ClockMove {
        freeze: Some(frozen),
        ..ClockMove::default()
    };
    actions::move_clock(&app, change, Via::Dashboard);
    done(
        PAGE,
        if frozen {
            "Clock frozen"
        } else {
            "Clock running"
        },
    )
}

/// `POST /ui/clock/reset`.
pub async fn clock_reset(State(app): State<AppState>, headers: HeaderMap) -> Response {
    if !super::allowed(&app, &headers) {
        return super::refused("the clock");
    }
    actions::reset_clock(&app, Via::Dashboard);
    done(PAGE, "Clock back to real time")
}

/// `POST /ui/keys/rotate`.
pub async fn rotate_key(State(app): State<AppState>, headers: HeaderMap) -> Response {
    if !super::allowed(&app, &headers) {
        return super::refused("keys");
    }
    match actions::rotate_key(&app, Via::Dashboard).await {
        Ok(key) => done(PAGE, &format!("New signing key {}", key.kid)),
        Err(error) => failed(PAGE, &message(&error)),
    }
}

/// `POST /ui/keys/retire` with `kid`.
pub async fn retire_key(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if !super::allowed(&app, &headers) {
        return super::refused("keys");
    }
    let form = Fields::parse(&body);
    let kid = form.text("kid");
    match actions::retire_key(&app, kid, Via::Dashboard).await {
        Ok(()) => done(PAGE, &format!("Retired {kid}")),
        Err(error) => failed(PAGE, &message(&error)),
    }
}

/// `POST /ui/key`: keeps the `DEV_API_KEY` in an HttpOnly cookie.
pub async fn remember_key(body: Bytes) -> Response {
    let form = Fields::parse(&body);
    // The cookie value cannot carry `;` or spaces; such a key would not match anyway.
    let key: String = form
        .text("key")
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != ';' && *c != ',')
        .collect();
    let cookie = format!(
        "{}={key}; Path=/; HttpOnly; SameSite=Strict",
        super::KEY_COOKIE
    );
    (
        [(header::SET_COOKIE, cookie)],
        Redirect::to("/ui/faults?flash=Key+remembered"),
    )
        .into_response()
}
