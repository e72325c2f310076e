//! Issue 11's "every such action is visible in the metrics and logs", and
//! the control plane under load: rule hit counts and clock moves that no
//! concurrency can lose.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

/// The control-plane counters, read off the Prometheus text (the JSON
/// metrics object keeps Part I's keys).
async fn control_counts(app: &TestApp) -> Value {
    let text = app.get("/metrics").await.text().await.unwrap();
    let prefix = "mock_auth_control_plane_actions_total{action=\"";
    let counts = text
        .lines()
        .filter_map(|line| line.strip_prefix(prefix))
        .filter_map(|rest| rest.split_once("\"} "))
        .map(|(name, n)| (name.to_owned(), json!(n.parse::<u64>().unwrap())))
        .collect();
    Value::Object(counts)
}

async fn json_of(response: reqwest::Response) -> Value {
    response.json().await.expect("json body")
}

/// One of every logged action, through HTTP.
async fn do_one_of_each(client: &reqwest::Client, base: &str) {
    let post = |path: &str, body: Value| client.post(format!("{base}{path}")).json(&body).send();
    let ok = |r: reqwest::Response| {
        assert!(r.status().is_success(), "{} {}", r.url(), r.status());
        r
    };
    ok(post("/api/dev/clock", json!({"advance_seconds": 60}))
        .await
        .unwrap());
    ok(client
        .delete(format!("{base}/api/dev/clock"))
        .send()
        .await
        .unwrap());
    ok(
        post("/api/dev/tokens", json!({"user": "alice@example.com"}))
            .await
            .unwrap(),
    );
    ok(client
        .post(format!("{base}/api/auth/login"))
        .header("X-Mock-Token-Fault", "expired")
        .json(&json!({"email": "alice@example.com", "password": "password123"}))
        .send()
        .await
        .unwrap());
    let rule = ok(post(
        "/api/dev/faults",
        json!({"match": {"route": "/health"}, "status": 503, "times": 1}),
    )
    .await
    .unwrap());
    let id = rule.json::<Value>().await.unwrap()["id"].as_u64().unwrap();
    let hit = client.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(hit.status(), 503);
    ok(client
        .delete(format!("{base}/api/dev/faults/{id}"))
        .send()
        .await
        .unwrap());
    let rotated = ok(post("/api/dev/keys/rotate", json!({})).await.unwrap());
    let new_kid = rotated.json::<Value>().await.unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let keys: Value = client
        .get(format!("{base}/api/dev/keys"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let old = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] != new_kid.as_str())
        .unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(client
        .delete(format!("{base}/api/dev/keys/{old}"))
        .send()
        .await
        .unwrap());
    ok(post("/api/dev/reset", json!({})).await.unwrap());
}

#[tokio::test]
async fn every_control_plane_action_is_counted_in_both_metrics_views() {
    let app = spawn_app().await;
    do_one_of_each(&app.client, &app.base).await;
    let created = app
        .post_json("/api/dev/users/generate", &json!({"count": 7, "seed": 1}))
        .await;
    assert_eq!(created.status(), 201);

    let metrics = json_of(app.get("/api/auth/metrics").await).await;
    assert!(metrics.get("control_plane").is_none(), "Part I keys only");
    let counts = &control_counts(&app).await;
    for (name, expected) in [
        ("clock_changes", 2),
        ("tokens_minted", 1),
        ("token_faults", 1),
        ("fault_rules_added", 1),
        ("fault_rule_hits", 1),
        ("fault_rules_removed", 1),
        ("key_rotations", 1),
        ("key_retirements", 1),
        ("resets", 1),
        ("users_created", 7),
        ("settings_changes", 0),
    ] {
        assert_eq!(counts[name], expected, "{name} in {counts}");
    }
    let text = app.get("/metrics").await.text().await.unwrap();
    for line in [
        "mock_auth_control_plane_actions_total{action=\"clock_changes\"} 2",
        "mock_auth_control_plane_actions_total{action=\"fault_rule_hits\"} 1",
        "mock_auth_control_plane_actions_total{action=\"key_rotations\"} 1",
        "mock_auth_control_plane_actions_total{action=\"resets\"} 1",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} not in:\n{text}");
    }
    // Like every counter: a dev reset keeps them, DELETE /api/auth/metrics zeroes them.
    assert_eq!(app.delete("/api/auth/metrics").await.status(), 204);
    assert_eq!(control_counts(&app).await["resets"], 0);
}

/// The server binary, logging JSON lines to a buffer we can read.
struct LoggingServer {
    child: Child,
    base: String,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Drop for LoggingServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_logging_server() -> LoggingServer {
    let dir = std::env::temp_dir().join(format!("mock-auth-logs-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mock-auth-server"))
        .env_clear()
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .args(["--port", "0"])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let base = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {first:?}"))
        .to_owned();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    LoggingServer { child, base, lines }
}

/// The `message` of every JSON log line so far.
fn messages(server: &LoggingServer) -> Vec<String> {
    server
        .lines
        .lock()
        .unwrap()
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|v| v["fields"]["message"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn every_control_plane_action_is_logged_once() {
    let server = start_logging_server();
    let client = reqwest::Client::new();
    do_one_of_each(&client, &server.base).await;
    let expected = [
        "clock changed",
        "clock back to real time",
        "dev token made",
        "simulated token fault",
        "fault rule added",
        "simulated error",
        "fault rule removed",
        "signing key rotated",
        "signing key retired",
        "control plane reset",
    ];
    // The log is written by another process: wait for the last line, within
    // a bound, rather than for a fixed time.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !messages(&server).iter().any(|m| m == "control plane reset") && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let got = messages(&server);
    for message in expected {
        let n = got.iter().filter(|m| *m == message).count();
        assert_eq!(n, 1, "{message:?} logged {n} times in {got:#?}");
    }
}

/// Polls every future at once in this task: the requests are in flight
/// together, and the multi-threaded server answers them in parallel.
async fn join_all<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futures.map(Box::pin).collect();
    let mut results: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, future) in results.iter_mut().zip(pinned.iter_mut()) {
            if slot.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *slot = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results.into_iter().flatten().collect()
}

async fn advance(app: &TestApp, seconds: i64) -> reqwest::Response {
    app.post_json("/api/dev/clock", &json!({"advance_seconds": seconds}))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rule_hits_and_clock_moves_are_exact_under_load() {
    let app = spawn_app().await;
    let token = app.login("alice@example.com").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // No `times`: every one of the 50 requests is a hit, and each counts.
    let rule = app
        .post_json(
            "/api/dev/faults",
            &json!({"match": {"method": "GET", "route": "/api/auth/me"}, "delay_ms": 1}),
        )
        .await;
    assert_eq!(rule.status(), 201);
    let before = json_of(app.get("/api/dev/clock").await).await["offset_seconds"]
        .as_i64()
        .unwrap();

    // 50 requests hit by the rule and 40 clock moves of +1 s, all at once.
    let requests = (0..50).map(|_| app.get_authed("/api/auth/me", &token));
    let moves = (0..40).map(|_| advance(&app, 1));
    let (answers, moved) = tokio::join!(join_all(requests), join_all(moves));

    assert!(answers.iter().all(|r| r.status() == 200));
    assert!(moved.iter().all(|r| r.status() == 200));
    let rules = json_of(app.get("/api/dev/faults").await).await;
    assert_eq!(rules["rules"][0]["hits"], 50);
    let clock = json_of(app.get("/api/dev/clock").await).await;
    assert_eq!(clock["offset_seconds"].as_i64().unwrap() - before, 40);
    let counts = control_counts(&app).await;
    assert_eq!(counts["fault_rule_hits"], 50);
    assert_eq!(counts["clock_changes"], 40);

    // And the moved clock is the one verification reads: 30 min - 40 s more
    // puts the token past its `exp`.
    advance(&app, 1800 - 40 + 1).await;
    let expired = app.get_authed("/api/auth/me", &token).await;
    assert_eq!(expired.status(), 401);
    assert_eq!(json_of(expired).await["code"], "token_expired");
}

/// Every dev operation of the document (the `/api/dev/*` routes and the
/// section 4 dev routes), path parameters filled in: new routes join the
/// checks below by being documented.
async fn dev_operations(app: &TestApp) -> Vec<(reqwest::Method, String)> {
    let doc = json_of(app.get("/openapi.json").await).await;
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let dev = path.starts_with("/api/dev/")
            || [
                "/api/auth/users",
                "/api/auth/users/reset",
                "/api/auth/metrics",
            ]
            .contains(&path.as_str());
        if !dev {
            continue;
        }
        let concrete = path
            .replace("{id}", "1")
            .replace("{kid}", "k")
            .replace("{jti}", "j");
        let methods = ["get", "post", "put", "patch", "delete"];
        for method in item.as_object().unwrap().keys() {
            if !methods.contains(&method.as_str()) {
                continue;
            }
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            operations.push((method, concrete.clone()));
        }
    }
    operations
}

#[tokio::test]
async fn every_dev_operation_is_404_when_off_and_needs_the_key_when_set() {
    let reference = spawn_app().await;
    let operations = dev_operations(&reference).await;
    assert!(operations.len() >= 25, "{operations:?}");
    let off = crate::helpers::spawn_with(|c| c.enable_dev_endpoints = false).await;
    let guarded =
        crate::helpers::spawn_with(|c| c.dev.dev_api_key = Some("s3cret-key".into())).await;
    for (method, path) in &operations {
        let send = |app: &TestApp| {
            app.client
                .request(method.clone(), app.url(path))
                .header("content-type", "application/json")
                .body("{}")
                .send()
        };
        let answer = send(&off).await.unwrap();
        assert_eq!(
            answer.status(),
            404,
            "{method} {path} with dev endpoints off"
        );
        let answer = send(&guarded).await.unwrap();
        assert_eq!(answer.status(), 401, "{method} {path} without the key");
        let body = answer.text().await.unwrap();
        assert!(body.contains("missing_token"), "{method} {path}: {body}");
        assert!(
            !body.contains("s3cret-key"),
            "{method} {path} leaks the key"
        );
    }
}

#[tokio::test]
async fn a_clock_change_with_one_bad_value_changes_nothing() {
    let app = spawn_app().await;
    let bad = app
        .post_json(
            "/api/dev/clock",
            &json!({"set": "2030-01-01T00:00:00Z", "advance_seconds": i64::MAX}),
        )
        .await;
    crate::helpers::assert_422_naming(bad, "advance_seconds").await;
    let clock = json_of(app.get("/api/dev/clock").await).await;
    assert_eq!(clock["offset_seconds"], 0, "{clock}");
    assert_eq!(control_counts(&app).await["clock_changes"], 0);
}
