//! The one fault engine. For every request of a faulted route it decides,
//! in this order, and the first source that yields a fault wins:
//!
//! 1. the **request knobs** (`?simulate_error=`, `?simulate_delay=`,
//!    `X-Mock-Error`, `X-Mock-Delay`, section 5);
//! 2. the **fault rules** of `POST /api/dev/faults`, in creation order (only
//!    on routes that are neither docs nor dev endpoints);
//! 3. the **global knobs** (`MOCK_*`, settable at run time with
//!    `PUT /api/dev/faults/global`), on `/api/auth/*` and the OAuth routes.
//!
//! The layer in `middleware/faults.rs` only calls [`FaultEngine`]. With no
//! rule and no global knob set, the hot path reads two atomics and allocates
//! nothing.
//!
//! A rule's `user` matches the `sub` of the request's bearer token (checked
//! with the one verifier) or, for HTTP Basic credentials, their user name; a
//! rule given an email is resolved to that user's id at creation (when the
//! user exists), so `{"user": "alice@example.com"}` matches Alice's tokens.
//! Login bodies are not read (a rule matching logins matches by route).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use axum::http::{HeaderMap, HeaderName, Method, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::config::Config;
use crate::error::ApiError;

/// Most rules held at once; one more is 422.
pub const MAX_RULES: usize = 1000;

/// Longest delay a request may ask for, in milliseconds.
pub const MAX_DELAY_MS: u64 = 60_000;

/// Which faults a group of routes takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Only what the request asks for (health, dev endpoints).
    RequestOnly,
    /// What the request asks for, else the server-wide random faults (`/api/auth/*`).
    RequestAndGlobal,
}

/// The faults one request asked for.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Requested {
    /// Delay in milliseconds.
    pub delay_ms: Option<u64>,
    /// Status of the error to answer with.
    pub error: Option<StatusCode>,
}

impl Requested {
    /// Reads the query parameters and headers; a bad value is a 422 naming it.
    /// The query parameter wins when both are given.
    pub fn parse(query: Option<&str>, headers: &HeaderMap) -> Result<Self, ApiError> {
        let mut delay = header(headers, &X_MOCK_DELAY, "X-Mock-Delay")?;
        let mut error = header(headers, &X_MOCK_ERROR, "X-Mock-Error")?;
        if let Some(query) = query {
            for (key, value) in form_pairs(query) {
                match key.as_str() {
                    "simulate_delay" => delay = Some(("simulate_delay", value)),
                    "simulate_error" => error = Some(("simulate_error", value)),
                    _ => {}
                }
            }
        }
        let delay_ms = delay
            .map(|(name, raw)| parse_in(name, &raw, 0, MAX_DELAY_MS))
            .transpose()?;
        let error = error
            .map(|(name, raw)| {
                let code = parse_in(name, &raw, 400, 599)?;
                StatusCode::from_u16(u16::try_from(code).unwrap_or(500))
                    .map_err(|_| ApiError::validation(name, "is not a status code"))
            })
            .transpose()?;
        Ok(Self { delay_ms, error })
    }
}

/// Pre-parsed names: a lookup by `&str` parses the name on every request.
static X_MOCK_DELAY: HeaderName = HeaderName::from_static("x-mock-delay");
static X_MOCK_ERROR: HeaderName = HeaderName::from_static("x-mock-error");

/// The header's value with its name as the 422 spells it (`display`).
fn header(
    headers: &HeaderMap,
    name: &'static HeaderName,
    display: &'static str,
) -> Result<Option<(&'static str, String)>, ApiError> {
    headers
        .get(name)
        .map(|value| match value.to_str() {
            Ok(text) => Ok((display, text.to_owned())),
            Err(_) => Err(ApiError::validation(display, "must be ASCII digits")),
        })
        .transpose()
}

fn form_pairs(query: &str) -> Vec<(String, String)> {
    let uri = format!("/?{query}");
    uri.parse::<axum::http::Uri>()
        .ok()
        .and_then(|uri| axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&uri).ok())
        .map(|q| q.0)
        .unwrap_or_default()
}

fn parse_in(name: &str, raw: &str, min: u64, max: u64) -> Result<u64, ApiError> {
    match raw.trim().parse::<u64>() {
        Ok(value) if (min..=max).contains(&value) => Ok(value),
        _ => Err(ApiError::validation(
            name,
            format!("must be an integer from {min} to {max}, got '{raw}'"),
        )),
    }
}

/// What the engine decided for one request.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Hold the response this long.
    pub delay_ms: Option<u64>,
    /// Answer with this status (a `simulated_error` body).
    pub error: Option<StatusCode>,
    /// `Retry-After` of the error, seconds.
    pub retry_after: Option<u64>,
    /// Close the connection with no answer.
    pub drop: bool,
    /// The rule that decided, if one did.
    pub rule: Option<u64>,
}

impl Decision {
    /// Whether anything is to be done.
    pub fn is_fault(&self) -> bool {
        self.delay_ms.is_some() || self.error.is_some() || self.drop
    }
}

/// The server-wide knobs of section 5.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GlobalKnobs {
    /// Lower bound of the uniform random delay, ms.
    #[schema(example = 0)]
    pub delay_min_ms: u64,
    /// Upper bound of the uniform random delay, ms (0: off).
    #[schema(example = 0)]
    pub delay_max_ms: u64,
    /// Share of requests answered with `error_status`, 0.0 to 1.0.
    #[schema(example = 0.0)]
    pub error_rate: f64,
    /// Status of the random errors.
    #[schema(example = 500)]
    pub error_status: u16,
}

impl GlobalKnobs {
    fn from_config(config: &Config) -> Self {
        Self {
            delay_min_ms: config.mock_delay_min_ms,
            delay_max_ms: config.mock_delay_max_ms,
            error_rate: config.mock_error_rate,
            error_status: config.mock_error_status,
        }
    }

    fn active(&self) -> bool {
        self.delay_max_ms > 0 || self.error_rate > 0.0
    }
}

/// A `PUT /api/dev/faults/global`: each knob optional.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GlobalPatch {
    /// Lower bound of the random delay, 0 to 60000 (at most `delay_max_ms`).
    #[schema(example = 50, minimum = 0, maximum = 60000)]
    pub delay_min_ms: Option<u64>,
    /// Upper bound of the random delay, 0 to 60000.
    #[schema(example = 200, minimum = 0, maximum = 60000)]
    pub delay_max_ms: Option<u64>,
    /// 0.0 to 1.0.
    #[schema(example = 0.1, minimum = 0.0, maximum = 1.0)]
    pub error_rate: Option<f64>,
    /// 400 to 599.
    #[schema(example = 503, minimum = 400, maximum = 599)]
    pub error_status: Option<u16>,
}

/// What a rule matches; every given field must match.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleMatch {
    /// HTTP method, e.g. `POST` (any case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "POST", pattern = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")]
    pub method: Option<String>,
    /// Route template as routed, e.g. `/api/auth/login` or `/api/dev/users/{id}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "/api/auth/login", pattern = "^/")]
    pub route: Option<String>,
    /// User id or email: matches the `sub` of the request's token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// The body of `POST /api/dev/faults`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// What the rule matches (empty: every faulted request).
    #[serde(default, rename = "match", deserialize_with = "object_only")]
    pub matcher: RuleMatch,
    /// Answer with this status, 400 to 599.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = 503, minimum = 400, maximum = 599)]
    pub status: Option<u16>,
    /// Hold the answer this long, 0 to 60000 ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 60000)]
    pub delay_ms: Option<u64>,
    /// `Retry-After` seconds on the error (needs `status`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = 30)]
    pub retry_after: Option<u64>,
    /// Hit at most this many requests (at least 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = 3, minimum = 1)]
    pub times: Option<u64>,
    /// Let this many matching requests through first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<u64>,
    /// Chance of hitting a matching request, 0.0 to 1.0 (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub probability: Option<f64>,
    /// Close the connection with no answer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drop: bool,
}

/// A nested struct from a JSON object only: serde's derive also takes one
/// written as an array (`"match": [null, "/x"]`), which no document shows.
fn object_only<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<RuleMatch, D::Error> {
    let map = serde_json::Map::deserialize(deserializer)?;
    serde_json::from_value(serde_json::Value::Object(map)).map_err(serde::de::Error::custom)
}

impl RuleSpec {
    /// 422 naming the first bad field.
    pub fn validate(&self) -> Result<(), ApiError> {
        if let Some(status) = self.status
            && !(400..=599).contains(&status)
        {
            return Err(ApiError::validation("status", "must be from 400 to 599"));
        }
        if let Some(ms) = self.delay_ms
            && ms > MAX_DELAY_MS
        {
            return Err(ApiError::validation("delay_ms", "must be from 0 to 60000"));
        }
        if self.retry_after.is_some() && self.status.is_none() {
            return Err(ApiError::validation("retry_after", "needs a status"));
        }
        if self.times == Some(0) {
            return Err(ApiError::validation("times", "must be at least 1"));
        }
        if let Some(p) = self.probability
            && !(0.0..=1.0).contains(&p)
        {
            return Err(ApiError::validation(
                "probability",
                "must be from 0.0 to 1.0",
            ));
        }
        if let Some(method) = &self.matcher.method
            && Method::from_bytes(method.to_ascii_uppercase().as_bytes()).is_err()
        {
            return Err(ApiError::validation(
                "match.method",
                "is not an HTTP method",
            ));
        }
        if let Some(route) = &self.matcher.route
            && !route.starts_with('/')
        {
            return Err(ApiError::validation("match.route", "must start with /"));
        }
        if self.status.is_none() && self.delay_ms.is_none() && !self.drop {
            return Err(ApiError::validation(
                "status",
                "a rule needs status, delay_ms or drop",
            ));
        }
        Ok(())
    }
}

/// A rule as held and listed.
#[derive(Debug)]
pub struct Rule {
    /// Its id.
    pub id: u64,
    /// As created (user resolved to an id when it was an email).
    pub spec: RuleSpec,
    method: Option<Method>,
    /// Matching requests seen (for `after`).
    seen: AtomicU64,
    /// Requests hit.
    hits: AtomicU64,
}

/// A rule in `GET /api/dev/faults`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RuleView {
    /// Its id (for `DELETE /api/dev/faults/{id}`).
    pub id: u64,
    /// Requests it hit so far.
    pub hits: u64,
    /// The rule as created.
    #[serde(flatten)]
    pub spec: RuleSpec,
}

impl Rule {
    fn view(&self) -> RuleView {
        RuleView {
            id: self.id,
            hits: self.hits.load(Ordering::SeqCst),
            spec: self.spec.clone(),
        }
    }

    fn matches(&self, method: &Method, route: Option<&str>, user: Option<&str>) -> bool {
        if let Some(want) = &self.method
            && want != method
        {
            return false;
        }
        if let Some(want) = &self.spec.matcher.route
            && Some(want.as_str()) != route
        {
            return false;
        }
        if let Some(want) = &self.spec.matcher.user
            && Some(want.as_str()) != user
        {
            return false;
        }
        true
    }

    /// Counts the request and says whether the rule hits it. Exact under
    /// concurrency: `after` by one atomic ticket, `times` by a CAS on hits.
    fn take(&self) -> bool {
        let ticket = self.seen.fetch_add(1, Ordering::SeqCst);
        if ticket < self.spec.after.unwrap_or(0) {
            return false;
        }
        if let Some(p) = self.spec.probability
            && p < 1.0
            && rand::random::<f64>() >= p
        {
            return false;
        }
        let limit = self.spec.times.unwrap_or(u64::MAX);
        self.hits
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |hits| {
                (hits < limit).then_some(hits + 1)
            })
            .is_ok()
    }
}

/// Fault rules and the run-time global knobs.
#[derive(Debug)]
pub struct FaultEngine {
    rules: RwLock<Vec<Arc<Rule>>>,
    /// `rules.len()`, read first on the hot path.
    count: AtomicUsize,
    /// Whether any rule matches by user (then the token is decoded).
    next_id: AtomicU64,
    global: RwLock<GlobalKnobs>,
    global_active: AtomicBool,
    start: GlobalKnobs,
}

impl Default for FaultEngine {
    fn default() -> Self {
        Self::new(&Config::default())
    }
}

impl FaultEngine {
    /// The engine of the start: no rules, the global knobs of the configuration.
    pub fn new(config: &Config) -> Self {
        let start = GlobalKnobs::from_config(config);
        Self {
            rules: RwLock::default(),
            count: AtomicUsize::new(0),
            next_id: AtomicU64::new(1),
            global: RwLock::new(start),
            global_active: AtomicBool::new(start.active()),
            start,
        }
    }

    /// Whether any rule is set (one atomic load).
    pub fn has_rules(&self) -> bool {
        self.count.load(Ordering::Acquire) > 0
    }

    /// Whether any rule matches by user.
    pub fn needs_user(&self) -> bool {
        self.read_rules()
            .iter()
            .any(|rule| rule.spec.matcher.user.is_some())
    }

    fn read_rules(&self) -> Vec<Arc<Rule>> {
        match self.rules.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Adds a validated rule; 422 past [`MAX_RULES`].
    pub fn add(&self, spec: RuleSpec) -> Result<RuleView, ApiError> {
        spec.validate()?;
        let method = spec
            .matcher
            .method
            .as_deref()
            .and_then(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok());
        let mut rules = match self.rules.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if rules.len() >= MAX_RULES {
            return Err(ApiError::validation(
                "rules",
                format!("at most {MAX_RULES} rules; delete some first"),
            ));
        }
        let rule = Arc::new(Rule {
            id: self.next_id.fetch_add(1, Ordering::SeqCst),
            spec,
            method,
            seen: AtomicU64::new(0),
            hits: AtomicU64::new(0),
        });
        rules.push(rule.clone());
        self.count.store(rules.len(), Ordering::Release);
        Ok(rule.view())
    }

    /// The rules in creation order, with their hits.
    pub fn list(&self) -> Vec<RuleView> {
        self.read_rules().iter().map(|rule| rule.view()).collect()
    }

    /// Removes one rule; `false` when there is none with this id.
    pub fn remove(&self, id: u64) -> bool {
        let mut rules = match self.rules.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let before = rules.len();
        rules.retain(|rule| rule.id != id);
        self.count.store(rules.len(), Ordering::Release);
        rules.len() != before
    }

    /// Removes every rule.
    pub fn clear(&self) {
        let mut rules = match self.rules.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        rules.clear();
        self.count.store(0, Ordering::Release);
    }

    /// The global knobs now.
    pub fn global(&self) -> GlobalKnobs {
        match self.global.read() {
            Ok(guard) => *guard,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }

    /// Sets some global knobs; 422 naming the field, nothing changed then.
    pub fn set_global(&self, patch: &GlobalPatch) -> Result<GlobalKnobs, ApiError> {
        let mut next = self.global();
        if let Some(v) = patch.delay_min_ms {
            next.delay_min_ms = v;
        }
        if let Some(v) = patch.delay_max_ms {
            next.delay_max_ms = v;
        }
        if let Some(v) = patch.error_rate {
            next.error_rate = v;
        }
        if let Some(v) = patch.error_status {
            next.error_status = v;
        }
        if next.delay_min_ms > MAX_DELAY_MS {
            return Err(ApiError::validation(
                "delay_min_ms",
                "must be from 0 to 60000",
            ));
        }
        if next.delay_max_ms > MAX_DELAY_MS {
            return Err(ApiError::validation(
                "delay_max_ms",
                "must be from 0 to 60000",
            ));
        }
        if next.delay_min_ms > next.delay_max_ms {
            return Err(ApiError::validation(
                "delay_min_ms",
                "must not exceed delay_max_ms",
            ));
        }
        if !(0.0..=1.0).contains(&next.error_rate) {
            return Err(ApiError::validation(
                "error_rate",
                "must be from 0.0 to 1.0",
            ));
        }
        if !(400..=599).contains(&next.error_status) {
            return Err(ApiError::validation(
                "error_status",
                "must be from 400 to 599",
            ));
        }
        self.store_global(next);
        Ok(next)
    }

    fn store_global(&self, knobs: GlobalKnobs) {
        let mut global = match self.global.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *global = knobs;
        self.global_active.store(knobs.active(), Ordering::Release);
    }

    /// Back to the start: no rules, the configured global knobs.
    pub fn reset(&self) {
        self.clear();
        self.store_global(self.start);
    }

    /// Step 1 and 3 (no rules): the request's own knobs, else the global draw.
    pub fn decide_simple(&self, requested: &Requested, global: bool) -> Decision {
        let mut decision = Decision {
            delay_ms: requested.delay_ms.filter(|ms| *ms > 0),
            error: requested.error,
            ..Decision::default()
        };
        if requested.delay_ms.is_none()
            && requested.error.is_none()
            && global
            && self.global_active.load(Ordering::Acquire)
        {
            decision = self.draw_global();
        }
        decision
    }

    fn draw_global(&self) -> Decision {
        let knobs = self.global();
        let delay_ms = (knobs.delay_max_ms > 0)
            .then(|| rand::random_range(knobs.delay_min_ms..=knobs.delay_max_ms))
            .filter(|ms| *ms > 0);
        let error =
            (knobs.error_rate > 0.0 && rand::random::<f64>() < knobs.error_rate).then(|| {
                StatusCode::from_u16(knobs.error_status)
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            });
        Decision {
            delay_ms,
            error,
            ..Decision::default()
        }
    }

    /// The whole order: request knobs, then the first rule that hits, then
    /// the global knobs. `route` is the matched template, `user` the sub.
    pub fn decide(
        &self,
        requested: &Requested,
        global: bool,
        method: &Method,
        route: Option<&str>,
        user: Option<&str>,
    ) -> Decision {
        if requested.delay_ms.is_some() || requested.error.is_some() {
            return self.decide_simple(requested, global);
        }
        if !route.is_some_and(is_exempt) {
            for rule in self.read_rules() {
                if rule.matches(method, route, user) && rule.take() {
                    return Decision {
                        delay_ms: rule.spec.delay_ms.filter(|ms| *ms > 0),
                        error: rule.spec.status.and_then(|s| StatusCode::from_u16(s).ok()),
                        retry_after: rule.spec.retry_after,
                        drop: rule.spec.drop,
                        rule: Some(rule.id),
                    };
                }
            }
        }
        self.decide_simple(requested, global)
    }
}

/// Routes rules never touch: the docs and every dev endpoint.
pub fn is_exempt(route: &str) -> bool {
    route.starts_with("/api/dev/")
        || matches!(
            route,
            "/api/auth/users" | "/api/auth/users/reset" | "/api/auth/metrics"
        )
        || matches!(route, "/docs" | "/redoc" | "/openapi.json")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc as StdArc;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn query_and_headers_are_read() {
        let from_query = Requested::parse(
            Some("simulate_error=503&simulate_delay=10&x=1"),
            &HeaderMap::new(),
        )
        .unwrap();
        assert_eq!(
            from_query,
            Requested {
                delay_ms: Some(10),
                error: Some(StatusCode::SERVICE_UNAVAILABLE)
            }
        );
        let from_headers = Requested::parse(
            None,
            &headers(&[("x-mock-error", "418"), ("x-mock-delay", "5")]),
        )
        .unwrap();
        assert_eq!(
            from_headers,
            Requested {
                delay_ms: Some(5),
                error: Some(StatusCode::IM_A_TEAPOT)
            }
        );
    }

    #[test]
    fn query_wins_over_header() {
        let both = Requested::parse(
            Some("simulate_error=502"),
            &headers(&[("x-mock-error", "503")]),
        )
        .unwrap();
        assert_eq!(both.error, Some(StatusCode::BAD_GATEWAY));
    }

    #[test]
    fn out_of_range_values_name_the_parameter() {
        for (query, name) in [
            ("simulate_error=399", "simulate_error"),
            ("simulate_error=600", "simulate_error"),
            ("simulate_error=abc", "simulate_error"),
            ("simulate_delay=60001", "simulate_delay"),
            ("simulate_delay=-1", "simulate_delay"),
        ] {
            let error = Requested::parse(Some(query), &HeaderMap::new()).unwrap_err();
            assert_eq!(error.code(), "validation_error");
            assert!(error.to_string().starts_with(name), "{query}: {error}");
        }
        let error = Requested::parse(None, &headers(&[("x-mock-delay", "soon")])).unwrap_err();
        assert!(error.to_string().starts_with("X-Mock-Delay"));
    }

    #[test]
    fn no_fault_parameters_means_nothing_requested() {
        assert_eq!(
            Requested::parse(Some("limit=5"), &HeaderMap::new()).unwrap(),
            Requested::default()
        );
    }

    #[test]
    fn times_is_exact_under_concurrency() {
        let engine = StdArc::new(FaultEngine::default());
        engine
            .add(RuleSpec {
                status: Some(503),
                times: Some(5),
                ..RuleSpec::default()
            })
            .unwrap();
        let handles: Vec<_> = (0..50)
            .map(|_| {
                let engine = engine.clone();
                std::thread::spawn(move || {
                    engine
                        .decide(&Requested::default(), false, &Method::GET, Some("/x"), None)
                        .is_fault()
                })
            })
            .collect();
        let hit = handles
            .into_iter()
            .filter_map(|h| h.join().ok())
            .filter(|faulted| *faulted)
            .count();
        assert_eq!(hit, 5);
        assert_eq!(engine.list()[0].hits, 5);
    }

    #[test]
    fn after_lets_requests_through_first() {
        let engine = FaultEngine::default();
        engine
            .add(RuleSpec {
                status: Some(500),
                after: Some(2),
                times: Some(1),
                ..RuleSpec::default()
            })
            .unwrap();
        let got: Vec<bool> = (0..4)
            .map(|_| {
                engine
                    .decide(&Requested::default(), false, &Method::GET, Some("/x"), None)
                    .is_fault()
            })
            .collect();
        assert_eq!(got, [false, false, true, false]);
    }

    fn status_of(engine: &FaultEngine, requested: &Requested) -> Option<u16> {
        engine
            .decide(requested, true, &Method::GET, Some("/x"), None)
            .error
            .map(|s| s.as_u16())
    }

    // The documented order: the request's own knobs, then the rules in
    // creation order, then the global knobs.
    #[test]
    fn request_knobs_then_rules_in_creation_order_then_global_knobs() {
        let engine = FaultEngine::default();
        engine
            .set_global(&GlobalPatch {
                error_rate: Some(1.0),
                error_status: Some(502),
                ..GlobalPatch::default()
            })
            .unwrap();
        for (status, times) in [(503, 1), (504, 1)] {
            engine
                .add(RuleSpec {
                    status: Some(status),
                    times: Some(times),
                    ..RuleSpec::default()
                })
                .unwrap();
        }
        let knob = Requested {
            error: Some(StatusCode::IM_A_TEAPOT),
            ..Requested::default()
        };
        assert_eq!(status_of(&engine, &knob), Some(418));
        // The request knob took the request: no rule counted it.
        assert!(engine.list().iter().all(|r| r.hits == 0));
        let none = Requested::default();
        assert_eq!(status_of(&engine, &none), Some(503));
        assert_eq!(status_of(&engine, &none), Some(504));
        // Both rules spent: the global knobs answer.
        assert_eq!(status_of(&engine, &none), Some(502));
    }

    #[test]
    fn probability_zero_never_hits_and_one_always_does() {
        let engine = FaultEngine::default();
        engine
            .add(RuleSpec {
                status: Some(503),
                probability: Some(0.0),
                ..RuleSpec::default()
            })
            .unwrap();
        engine
            .add(RuleSpec {
                status: Some(500),
                probability: Some(1.0),
                ..RuleSpec::default()
            })
            .unwrap();
        for _ in 0..100 {
            assert_eq!(status_of(&engine, &Requested::default()), Some(500));
        }
        let hits: Vec<u64> = engine.list().iter().map(|r| r.hits).collect();
        assert_eq!(hits, [0, 100]);
    }

    #[test]
    fn bad_rules_name_the_field_and_rules_are_bounded() {
        let engine = FaultEngine::default();
        let error = engine
            .add(RuleSpec {
                status: Some(99),
                ..RuleSpec::default()
            })
            .unwrap_err();
        assert!(error.to_string().starts_with("status"));
        for _ in 0..MAX_RULES {
            engine
                .add(RuleSpec {
                    delay_ms: Some(1),
                    ..RuleSpec::default()
                })
                .unwrap();
        }
        assert!(
            engine
                .add(RuleSpec {
                    delay_ms: Some(1),
                    ..RuleSpec::default()
                })
                .is_err()
        );
    }
}
