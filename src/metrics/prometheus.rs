//! The Prometheus text exposition of [`Metrics`], encoded by the
//! `prometheus-client` crate from our own counters (one source of truth:
//! the JSON and the scrape never disagree).

use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::{Registry, Unit};

use super::Metrics;

/// Histogram bucket bounds in seconds (the usual HTTP latency ladder,
/// stretched to the largest simulated delay).
const BUCKETS_S: [f64; 16] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0,
];

/// Media type of the exposition format served at `/metrics`.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Collects from a metrics snapshot at scrape time.
#[derive(Debug)]
struct Collector {
    text: std::sync::Arc<Exposition>,
}

#[derive(Debug)]
struct Exposition {
    uptime: f64,
    users: i64,
    totals: [(&'static str, &'static str, u64); 4],
    statuses: Vec<(String, u64)>,
    routes: Vec<RouteSeries>,
    control: Vec<(String, u64)>,
}

/// One route's series: key, count, errors, latency sum (s), cumulative buckets.
#[derive(Debug)]
struct RouteSeries {
    route: String,
    count: u64,
    errors: u64,
    sum_s: f64,
    buckets: Vec<(f64, u64)>,
}

/// Renders the metrics, plus the user count gauge, as Prometheus text.
pub fn render(metrics: &Metrics, users: usize) -> Result<String, std::fmt::Error> {
    let snapshot = metrics.snapshot();
    let routes = metrics
        .routes_data()
        .into_iter()
        .map(|(key, data)| {
            let buckets = BUCKETS_S
                .iter()
                .map(|bound| {
                    let bound_us = (bound * 1_000_000.0) as u64;
                    (*bound, data.latency_us.count_between(0, bound_us))
                })
                .collect();
            RouteSeries {
                route: key,
                count: data.count,
                errors: data.errors,
                sum_s: data.sum_us as f64 / 1e6,
                buckets,
            }
        })
        .collect();
    let exposition = Exposition {
        uptime: snapshot.uptime_seconds,
        users: i64::try_from(users).unwrap_or(i64::MAX),
        totals: [
            (
                "mock_auth_http_requests",
                "Requests answered, all routes.",
                snapshot.total_requests,
            ),
            (
                "mock_auth_http_errors",
                "Responses with status >= 400, all routes.",
                snapshot.total_errors,
            ),
            (
                "mock_auth_simulated_errors",
                "Errors injected by fault injection.",
                snapshot.simulated_errors,
            ),
            (
                "mock_auth_simulated_delays",
                "Delays injected by fault injection.",
                snapshot.simulated_delays,
            ),
        ],
        statuses: snapshot.status_codes.into_iter().collect(),
        routes,
        control: snapshot.control_plane.into_iter().collect(),
    };
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Collector {
        text: std::sync::Arc::new(exposition),
    }));
    let mut out = String::new();
    prometheus_client::encoding::prometheus_text::encode(&mut out, &registry)?;
    Ok(out)
}

impl prometheus_client::collector::Collector for Collector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let e = &self.text;
        ConstGauge::new(e.uptime).encode(encoder.encode_descriptor(
            "mock_auth_uptime",
            "Seconds since the server started.",
            Some(&Unit::Seconds),
            MetricType::Gauge,
        )?)?;
        ConstGauge::new(e.users).encode(encoder.encode_descriptor(
            "mock_auth_users",
            "Users in the store.",
            None,
            MetricType::Gauge,
        )?)?;
        for (name, help, value) in e.totals {
            ConstCounter::new(value).encode(encoder.encode_descriptor(
                name,
                help,
                None,
                MetricType::Counter,
            )?)?;
        }
        let mut by_status = encoder.encode_descriptor(
            "mock_auth_http_responses",
            "Responses by status code.",
            None,
            MetricType::Counter,
        )?;
        for (status, n) in &e.statuses {
            let labels = [("status", status.as_str())];
            ConstCounter::new(*n).encode(by_status.encode_family(&labels)?)?;
        }
        let mut actions = encoder.encode_descriptor(
            "mock_auth_control_plane_actions",
            "Control-plane actions (clock changes, tokens minted, fault rule hits, key rotations, resets, ...).",
            None,
            MetricType::Counter,
        )?;
        for (action, n) in &e.control {
            let labels = [("action", action.as_str())];
            ConstCounter::new(*n).encode(actions.encode_family(&labels)?)?;
        }
        let mut by_route = encoder.encode_descriptor(
            "mock_auth_route_requests",
            "Requests answered per route (METHOD /template, or UNMATCHED).",
            None,
            MetricType::Counter,
        )?;
        for series in &e.routes {
            let labels = [("route", series.route.as_str())];
            ConstCounter::new(series.count).encode(by_route.encode_family(&labels)?)?;
        }
        let mut errors_by_route = encoder.encode_descriptor(
            "mock_auth_route_errors",
            "Responses with status >= 400 per route.",
            None,
            MetricType::Counter,
        )?;
        for series in &e.routes {
            let labels = [("route", series.route.as_str())];
            ConstCounter::new(series.errors).encode(errors_by_route.encode_family(&labels)?)?;
        }
        let mut latency = encoder.encode_descriptor(
            "mock_auth_route_request_duration",
            "Request latency per route.",
            Some(&Unit::Seconds),
            MetricType::Histogram,
        )?;
        for series in &e.routes {
            let labels = [("route", series.route.as_str())];
            let mut family = latency.encode_family(&labels)?;
            let mut all = series.buckets.clone();
            all.push((f64::INFINITY, series.count));
            // The encoder wants per-bucket counts and accumulates them itself.
            let mut previous = 0;
            let per_bucket: Vec<(f64, u64)> = all
                .into_iter()
                .map(|(bound, cumulative)| {
                    let own = cumulative.saturating_sub(previous);
                    previous = cumulative.max(previous);
                    (bound, own)
                })
                .collect();
            family.encode_histogram::<prometheus_client::encoding::NoLabelSet>(
                series.sum_s,
                series.count,
                &per_bucket,
                None,
            )?;
        }
        Ok(())
    }
}
