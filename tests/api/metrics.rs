//! Metrics: exact counts, route keys, reset, health summary, and the
//! Prometheus exposition parsed back.

use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::Value;

use crate::auth::join_all;
use crate::helpers::spawn_app;

async fn metrics(app: &crate::helpers::TestApp) -> Value {
    app.get("/api/auth/metrics").await.json().await.unwrap()
}

#[tokio::test]
async fn counts_are_exact_after_a_concurrent_burst() {
    let app = spawn_app().await;
    let burst: Vec<_> = (0..300).map(|_| app.get("/health")).collect();
    join_all(burst).await;
    let snapshot = metrics(&app).await;
    assert_eq!(snapshot["routes"]["GET /health"]["count"], 300);
    assert_eq!(
        snapshot["total_requests"], 300,
        "the metrics request itself is counted after it answers"
    );
    assert_eq!(snapshot["status_codes"]["200"], 300);
    let after = metrics(&app).await;
    assert_eq!(after["routes"]["GET /api/auth/metrics"]["count"], 1);
    assert_eq!(after["total_requests"], 301);
}

#[tokio::test]
async fn routes_are_keyed_by_method_and_template_and_strays_by_unmatched() {
    let app = spawn_app().await;
    app.login("alice@example.com").await;
    app.get("/api/auth/me").await;
    app.get("/does/not/exist").await;
    app.get("/another/404").await;
    app.client.put(app.url("/health")).send().await.unwrap();
    app.client
        .request(
            reqwest::Method::from_bytes(b"BREW").unwrap(),
            app.url("/health"),
        )
        .send()
        .await
        .unwrap();
    let snapshot = metrics(&app).await;
    let routes = snapshot["routes"].as_object().unwrap();
    let mut keys: Vec<&str> = routes.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        ["GET /api/auth/me", "POST /api/auth/login", "UNMATCHED"]
    );
    let unmatched = &routes["UNMATCHED"];
    assert_eq!(
        (unmatched["count"].as_u64(), unmatched["errors"].as_u64()),
        (Some(4), Some(4))
    );
    let me = &routes["GET /api/auth/me"];
    assert_eq!(me["errors"], 1);
    for field in ["avg_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms"] {
        assert!(me[field].as_f64().unwrap() >= 0.0, "{field}");
    }
    assert_eq!(snapshot["total_errors"], 5);
}

#[tokio::test]
async fn delete_resets_counters_to_zero() {
    let app = spawn_app().await;
    app.get("/health").await;
    app.get("/nope").await;
    assert_eq!(
        app.delete("/api/auth/metrics").await.status(),
        StatusCode::NO_CONTENT
    );
    let snapshot = metrics(&app).await;
    // Only the DELETE itself has been counted since the reset.
    assert_eq!(snapshot["total_requests"], 1);
    assert_eq!(snapshot["total_errors"], 0);
    assert_eq!(
        snapshot["routes"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["DELETE /api/auth/metrics"]
    );
    assert!(
        snapshot["uptime_seconds"].as_f64().unwrap() > 0.0,
        "uptime is not reset"
    );
}

#[tokio::test]
async fn health_summarises_the_same_counters() {
    let app = spawn_app().await;
    app.get("/nope").await;
    app.get("/health").await;
    let health: Value = app.get("/health").await.json().await.unwrap();
    assert_eq!(health["status"], "healthy");
    assert_eq!(health["users"], 5);
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(health["metrics"]["total_requests"], 2);
    assert_eq!(health["metrics"]["total_errors"], 1);
    assert!(health["metrics"]["avg_latency_ms"].as_f64().is_some());
    assert!(health["uptime_seconds"].as_f64().is_some());
}

/// One sample line of the text format: name, labels, value.
type Sample = (String, HashMap<String, String>, f64);

fn parse_exposition(text: &str) -> (Vec<Sample>, HashMap<String, String>) {
    let mut samples = Vec::new();
    let mut types = HashMap::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE line");
            types.insert(name.to_owned(), kind.to_owned());
            continue;
        }
        if line.starts_with('#') {
            assert!(line.starts_with("# HELP "), "unknown comment {line}");
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("sample has a value");
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("numeric value in {line}"));
        let (name, labels) = match series.split_once('{') {
            None => (series.to_owned(), HashMap::new()),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').expect("closing brace");
                let labels = body
                    .split("\",")
                    .filter(|p| !p.is_empty())
                    .map(|pair| {
                        let (k, v) = pair.split_once("=\"").expect("label pair");
                        (k.to_owned(), v.trim_end_matches('"').to_owned())
                    })
                    .collect();
                (name.to_owned(), labels)
            }
        };
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "metric name {name}"
        );
        samples.push((name, labels, value));
    }
    (samples, types)
}

#[tokio::test]
async fn prometheus_text_parses_and_matches_the_json_counts() {
    let app = spawn_app().await;
    for _ in 0..7 {
        app.get("/health").await;
    }
    app.get("/api/auth/me").await;
    app.get("/health?simulate_error=500").await;
    let response = app.get("/metrics").await;
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    let (samples, types) = parse_exposition(&text);
    let value = |name: &str, label: Option<(&str, &str)>| {
        samples
            .iter()
            .find(|(n, l, _)| {
                n == name && label.is_none_or(|(k, v)| l.get(k).map(String::as_str) == Some(v))
            })
            .map(|s| s.2)
            .unwrap_or_else(|| panic!("no sample {name} {label:?} in\n{text}"))
    };
    assert_eq!(types["mock_auth_http_requests_total"], "counter");
    assert_eq!(
        types["mock_auth_route_request_duration_seconds"],
        "histogram"
    );
    assert_eq!(value("mock_auth_http_requests_total", None), 9.0);
    assert_eq!(value("mock_auth_http_errors_total", None), 2.0);
    assert_eq!(value("mock_auth_simulated_errors_total", None), 1.0);
    assert_eq!(
        value(
            "mock_auth_route_requests_total",
            Some(("route", "GET /health"))
        ),
        8.0
    );
    assert_eq!(
        value(
            "mock_auth_route_errors_total",
            Some(("route", "GET /api/auth/me"))
        ),
        1.0
    );
    assert_eq!(
        value("mock_auth_http_responses_total", Some(("status", "401"))),
        1.0
    );
    assert_eq!(value("mock_auth_users", None), 5.0);
    // The histogram: cumulative buckets, +Inf equal to the count.
    let buckets: Vec<(f64, f64)> = samples
        .iter()
        .filter(|(n, l, _)| {
            n == "mock_auth_route_request_duration_seconds_bucket" && l["route"] == "GET /health"
        })
        .map(|(_, l, v)| {
            (
                if l["le"] == "+Inf" {
                    f64::INFINITY
                } else {
                    l["le"].parse().unwrap()
                },
                *v,
            )
        })
        .collect();
    assert!(buckets.len() > 5);
    assert!(
        buckets
            .windows(2)
            .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1),
        "{buckets:?}"
    );
    assert_eq!(buckets.last().unwrap(), &(f64::INFINITY, 8.0));
    let count = samples
        .iter()
        .find(|(n, l, _)| {
            n == "mock_auth_route_request_duration_seconds_count" && l["route"] == "GET /health"
        })
        .unwrap();
    assert_eq!(count.2, 8.0);
}

#[tokio::test]
async fn a_request_whose_client_leaves_mid_delay_counts_as_499() {
    let app = spawn_app().await;
    let abandoned = app
        .client
        .get(app.url("/api/auth/me?simulate_delay=10000"))
        .timeout(std::time::Duration::from_millis(200))
        .send()
        .await;
    assert!(abandoned.is_err(), "the client gave up first");
    // The server notices the closed connection on its own schedule: poll
    // (bounded) rather than sleep a guessed time.
    let mut snapshot = metrics(&app).await;
    for _ in 0..100 {
        if snapshot["status_codes"]["499"] == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        snapshot = metrics(&app).await;
    }
    assert_eq!(snapshot["status_codes"]["499"], 1, "{snapshot}");
    assert_eq!(snapshot["routes"]["GET /api/auth/me"]["count"], 1);
    assert_eq!(snapshot["routes"]["GET /api/auth/me"]["errors"], 1);
    assert_eq!(snapshot["simulated_delays"], 1);
}
