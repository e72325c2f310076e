//! Request metrics: exact counters (atomics) and per-route latency histograms
//! (`hdrhistogram`, fixed memory whatever the number of samples). Routes are
//! keyed by method and matched template, so the map is bounded by the router.

pub mod control;
pub mod prometheus;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;
use utoipa::ToSchema;

/// The key of requests that matched no route (or no method of a route).
pub const UNMATCHED: &str = "UNMATCHED";

/// Latencies are recorded in microseconds, up to an hour, at two significant
/// digits (1 % error): about 20 KiB per route, against ~150 KiB at three.
const HISTOGRAM_MAX_US: u64 = 3_600_000_000;
const HISTOGRAM_SIGFIG: u8 = 2;

/// Counters of one route.
pub struct RouteData {
    /// Requests answered.
    pub count: u64,
    /// Responses with status >= 400.
    pub errors: u64,
    /// Sum of latencies in microseconds (for the mean and Prometheus `_sum`).
    pub sum_us: u64,
    /// Latency distribution in microseconds.
    pub latency_us: Histogram<u64>,
}

impl RouteData {
    fn new(template: &Histogram<u64>) -> Self {
        Self {
            count: 0,
            errors: 0,
            sum_us: 0,
            latency_us: template.clone(),
        }
    }
}

/// All counters of the server; shared by the metrics middleware and routes.
pub struct Metrics {
    /// Start of the process (uptime is not reset by `DELETE /api/auth/metrics`).
    started: Instant,
    simulated_errors: AtomicU64,
    simulated_delays: AtomicU64,
    /// Request counts, one shard per worker thread (up to [`SHARDS`]).
    shards: Box<[Shard]>,
    /// An empty histogram with our bounds, cloned for each new route.
    template: Histogram<u64>,
    /// Control-plane actions (clock moves, token mints, rule hits, ...).
    control: control::ControlCounters,
}

/// How many shards the request counts are split into: a worker thread takes
/// one on its first request, round robin, and records into it alone.
const SHARDS: usize = 8;

/// One share of the request counts. Both workers counted every request in
/// the same atomics, route map and route lock, whose cache lines then went
/// from core to core on every request; a worker now writes only its own
/// shard, and a reader sums the shards. Aligned so no two share a line.
#[repr(align(128))]
struct Shard {
    total_requests: AtomicU64,
    total_errors: AtomicU64,
    total_latency_us: AtomicU64,
    /// Indexed by status code; a fixed array keeps counting lock-free.
    status_codes: Box<[AtomicU64]>,
    /// Per-route data; a std mutex per shard, never held across an await.
    routes: Mutex<HashMap<String, RouteData, foldhash::fast::RandomState>>,
}

impl Default for Shard {
    fn default() -> Self {
        Self {
            total_requests: AtomicU64::new(0),
            total_errors: AtomicU64::new(0),
            total_latency_us: AtomicU64::new(0),
            status_codes: (0..1000).map(|_| AtomicU64::new(0)).collect(),
            routes: Mutex::default(),
        }
    }
}

/// The shard of the calling thread.
fn shard_index() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: usize = NEXT.fetch_add(1, Relaxed) % SHARDS;
    }
    SHARD.try_with(|shard| *shard).unwrap_or(0)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            simulated_errors: AtomicU64::new(0),
            simulated_delays: AtomicU64::new(0),
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
            // Constant bounds, checked once here at start, not per request.
            template: Histogram::new_with_bounds(1, HISTOGRAM_MAX_US, HISTOGRAM_SIGFIG)
                .expect("constant histogram bounds are valid"),
            control: control::ControlCounters::default(),
        }
    }
}

/// Per-route figures of the JSON metrics object.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct RouteSnapshot {
    /// Requests answered.
    pub count: u64,
    /// Responses with status >= 400.
    pub errors: u64,
    /// Mean latency in milliseconds.
    pub avg_ms: f64,
    /// Median latency in milliseconds.
    pub p50_ms: f64,
    /// 95th percentile latency in milliseconds.
    pub p95_ms: f64,
    /// 99th percentile latency in milliseconds.
    pub p99_ms: f64,
    /// Largest latency in milliseconds.
    pub max_ms: f64,
}

/// The body of `GET /api/auth/metrics`.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct MetricsSnapshot {
    /// Seconds since the server started.
    pub uptime_seconds: f64,
    /// Every request answered, metrics requests included.
    pub total_requests: u64,
    /// Responses with status >= 400.
    pub total_errors: u64,
    /// Errors injected by fault injection.
    pub simulated_errors: u64,
    /// Delays injected by fault injection.
    pub simulated_delays: u64,
    /// Responses per status code, e.g. `{"200": 12, "401": 1}`.
    pub status_codes: BTreeMap<String, u64>,
    /// Per route, keyed `"METHOD /template"` or `"UNMATCHED"`.
    pub routes: BTreeMap<String, RouteSnapshot>,
    /// Control-plane actions by name (`clock_changes`, `tokens_minted`,
    /// `token_faults`, `fault_rule_hits`, `key_rotations`, `resets`, ...),
    /// every name always present. Shown at `/metrics` only: the metrics
    /// object's keys are fixed by Part I of the contract.
    #[serde(skip)]
    pub control_plane: BTreeMap<String, u64>,
}

/// The summary inside the health object.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct HealthMetrics {
    /// Every request answered.
    pub total_requests: u64,
    /// Responses with status >= 400.
    pub total_errors: u64,
    /// Mean latency in milliseconds.
    pub avg_latency_ms: f64,
}

/// Microseconds as milliseconds (three decimals, since the input is whole µs).
fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

impl Metrics {
    /// Counts one answered request.
    pub fn record(&self, route: &str, status: u16, elapsed: Duration) {
        let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let is_error = status >= 400;
        let shard = &self.shards[shard_index()];
        shard.total_requests.fetch_add(1, Relaxed);
        shard.total_latency_us.fetch_add(us, Relaxed);
        if is_error {
            shard.total_errors.fetch_add(1, Relaxed);
        }
        if let Some(counter) = shard.status_codes.get(usize::from(status)) {
            counter.fetch_add(1, Relaxed);
        }
        let mut routes = lock(&shard.routes);
        let data = match routes.get_mut(route) {
            Some(data) => data,
            None => routes
                .entry(route.to_owned())
                .or_insert_with(|| RouteData::new(&self.template)),
        };
        data.count += 1;
        data.errors += u64::from(is_error);
        data.sum_us = data.sum_us.saturating_add(us);
        data.latency_us.saturating_record(us.max(1));
    }

    /// Counts an injected error.
    pub fn count_simulated_error(&self) {
        self.simulated_errors.fetch_add(1, Relaxed);
    }

    /// Counts an injected delay.
    pub fn count_simulated_delay(&self) {
        self.simulated_delays.fetch_add(1, Relaxed);
    }

    /// Counts one control-plane action.
    pub fn count(&self, action: control::Action) {
        self.control.add(action, 1);
    }

    /// Counts `n` control-plane actions at once (a generated batch).
    pub fn count_n(&self, action: control::Action, n: u64) {
        self.control.add(action, n);
    }

    /// Sets every counter back to zero (uptime excepted).
    pub fn reset(&self) {
        for counter in [&self.simulated_errors, &self.simulated_delays] {
            counter.store(0, Relaxed);
        }
        for shard in &self.shards {
            for counter in [
                &shard.total_requests,
                &shard.total_errors,
                &shard.total_latency_us,
            ] {
                counter.store(0, Relaxed);
            }
            for counter in shard.status_codes.iter() {
                counter.store(0, Relaxed);
            }
            lock(&shard.routes).clear();
        }
        self.control.reset();
    }

    /// Seconds since start.
    pub fn uptime_seconds(&self) -> f64 {
        (self.started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0
    }

    /// The totals shown by `/health`.
    pub fn health(&self) -> HealthMetrics {
        let total = self.sum(|shard| &shard.total_requests);
        let latency = self.sum(|shard| &shard.total_latency_us);
        HealthMetrics {
            total_requests: total,
            total_errors: self.sum(|shard| &shard.total_errors),
            avg_latency_ms: latency.checked_div(total).map_or(0.0, ms),
        }
    }

    /// Everything, as served by `GET /api/auth/metrics`.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let status_codes = (0..1000)
            .filter_map(|code| {
                let n = self.sum(|shard| &shard.status_codes[code]);
                (n > 0).then(|| (code.to_string(), n))
            })
            .collect();
        let routes = self
            .routes_data()
            .into_iter()
            .map(|(key, data)| {
                let h = &data.latency_us;
                let snapshot = RouteSnapshot {
                    count: data.count,
                    errors: data.errors,
                    avg_ms: data.sum_us.checked_div(data.count).map_or(0.0, ms),
                    p50_ms: ms(h.value_at_quantile(0.50)),
                    p95_ms: ms(h.value_at_quantile(0.95)),
                    p99_ms: ms(h.value_at_quantile(0.99)),
                    max_ms: ms(h.max()),
                };
                (key, snapshot)
            })
            .collect();
        MetricsSnapshot {
            uptime_seconds: self.uptime_seconds(),
            total_requests: self.sum(|shard| &shard.total_requests),
            total_errors: self.sum(|shard| &shard.total_errors),
            simulated_errors: self.simulated_errors.load(Relaxed),
            simulated_delays: self.simulated_delays.load(Relaxed),
            status_codes,
            routes,
            control_plane: self.control.snapshot(),
        }
    }

    /// A counter summed over the shards.
    fn sum(&self, counter: impl Fn(&Shard) -> &AtomicU64) -> u64 {
        self.shards
            .iter()
            .map(|shard| counter(shard).load(Relaxed))
            .sum()
    }

    /// Each route's data summed over the shards, sorted by key.
    fn routes_data(&self) -> BTreeMap<String, RouteData> {
        let mut merged: BTreeMap<String, RouteData> = BTreeMap::new();
        for shard in &self.shards {
            for (key, data) in lock(&shard.routes).iter() {
                let into = merged
                    .entry(key.clone())
                    .or_insert_with(|| RouteData::new(&self.template));
                into.count += data.count;
                into.errors += data.errors;
                into.sum_us = into.sum_us.saturating_add(data.sum_us);
                // Same bounds on both sides, so adding cannot fail.
                let _ = into.latency_us.add(&data.latency_us);
            }
        }
        merged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_percentiles_follow_the_samples() {
        let metrics = Metrics::default();
        for ms in 1..=100 {
            metrics.record("GET /x", 200, Duration::from_millis(ms));
        }
        metrics.record("GET /x", 404, Duration::from_millis(1));
        let snap = metrics.snapshot();
        let route = &snap.routes["GET /x"];
        assert_eq!((route.count, route.errors), (101, 1));
        assert!((route.p50_ms - 50.0).abs() <= 1.0, "{}", route.p50_ms);
        assert!((route.p99_ms - 99.0).abs() <= 1.5, "{}", route.p99_ms);
        assert!((route.max_ms - 100.0).abs() <= 1.0, "{}", route.max_ms);
        assert_eq!(snap.status_codes["404"], 1);
        assert_eq!(snap.total_errors, 1);
    }

    #[test]
    fn reset_zeroes_counters_and_routes() {
        let metrics = Metrics::default();
        metrics.record("GET /x", 500, Duration::from_millis(3));
        metrics.count_simulated_error();
        metrics.reset();
        let snap = metrics.snapshot();
        assert_eq!(
            (
                snap.total_requests,
                snap.total_errors,
                snap.simulated_errors
            ),
            (0, 0, 0)
        );
        assert!(snap.routes.is_empty() && snap.status_codes.is_empty());
    }

    #[test]
    fn records_of_every_thread_are_summed_across_the_shards() {
        let metrics = std::sync::Arc::new(Metrics::default());
        let threads: Vec<_> = (1..=(2 * SHARDS as u64))
            .map(|n| {
                let metrics = metrics.clone();
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        metrics.record("GET /x", 200, Duration::from_millis(n));
                    }
                    metrics.record("GET /x", 503, Duration::from_millis(n));
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let threads = 2 * SHARDS as u64;
        let snap = metrics.snapshot();
        let route = &snap.routes["GET /x"];
        assert_eq!((route.count, route.errors), (threads * 1001, threads));
        assert!(
            (route.max_ms - threads as f64).abs() <= 0.5,
            "{}",
            route.max_ms
        );
        let median = (threads / 2) as f64;
        assert!((route.p50_ms - median).abs() <= 1.0, "{}", route.p50_ms);
        assert_eq!(snap.status_codes["503"], threads);
        assert_eq!(snap.status_codes["200"], threads * 1000);
        assert_eq!(metrics.health().total_requests, threads * 1001);
    }
}
