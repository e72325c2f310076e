//! Fault injection: per-request errors and delays by query or header, the
//! global random faults, and their validation.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::auth::join_all;
use crate::helpers::{PASSWORD, assert_422_naming, assert_error, spawn_app, spawn_with};

#[tokio::test]
async fn simulate_error_by_query_answers_that_status() {
    let app = spawn_app().await;
    let response = app.get("/health?simulate_error=503").await;
    let body = assert_error(response, 503, "simulated_error").await;
    assert_eq!(body["detail"], "Simulated 503 error");
}

#[tokio::test]
async fn simulate_error_by_header_answers_that_status() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/auth/login"))
        .header("x-mock-error", "429")
        .json(&json!({"email": "alice@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_error(response, 429, "simulated_error").await;
}

#[tokio::test]
async fn simulated_401_carries_a_bearer_challenge() {
    let app = spawn_app().await;
    let response = app.get("/api/auth/me?simulate_error=401").await;
    assert!(response.headers().contains_key("www-authenticate"));
    assert_error(response, 401, "simulated_error").await;
}

#[tokio::test]
async fn simulated_error_runs_no_handler() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/auth/register?simulate_error=500",
            &json!({"email": "ghost@example.com", "password": PASSWORD, "name": "Ghost"}),
        )
        .await;
    assert_error(response, 500, "simulated_error").await;
    assert!(app.state.users.find_by_email("ghost@example.com").is_none());
    let reset = app.delete("/api/auth/users/reset?simulate_error=502").await;
    assert_error(reset, 502, "simulated_error").await;
    let pair = app.login("alice@example.com").await;
    let refresh = json!({"refresh_token": pair["refresh_token"]});
    assert_error(
        app.post_json("/api/auth/logout?simulate_error=500", &refresh)
            .await,
        500,
        "simulated_error",
    )
    .await;
    assert_eq!(
        app.post_json("/api/auth/refresh", &refresh).await.status(),
        StatusCode::OK,
        "not revoked"
    );
}

#[tokio::test]
async fn simulate_delay_holds_the_response_by_query_and_header() {
    let app = spawn_app().await;
    let started = Instant::now();
    assert_eq!(
        app.get("/health?simulate_delay=300").await.status(),
        StatusCode::OK
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    let response = app
        .client
        .get(app.url("/health"))
        .header("x-mock-delay", "250")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(250));
}

#[tokio::test]
async fn delay_and_error_together_wait_then_fail() {
    let app = spawn_app().await;
    let started = Instant::now();
    let response = app
        .get("/api/auth/users?simulate_delay=200&simulate_error=504")
        .await;
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_error(response, 504, "simulated_error").await;
}

#[tokio::test]
async fn out_of_range_fault_values_are_422_naming_the_parameter() {
    let app = spawn_app().await;
    for (query, name) in [
        ("simulate_error=200", "simulate_error"),
        ("simulate_error=600", "simulate_error"),
        ("simulate_error=oops", "simulate_error"),
        ("simulate_delay=60001", "simulate_delay"),
        ("simulate_delay=fast", "simulate_delay"),
    ] {
        assert_422_naming(app.get(&format!("/health?{query}")).await, name).await;
    }
    let response = app
        .client
        .get(app.url("/health"))
        .header("x-mock-error", "99")
        .send()
        .await
        .unwrap();
    let body = assert_error(response, 422, "validation_error").await;
    assert!(body["detail"].as_str().unwrap().contains("X-Mock-Error"));
}

#[tokio::test]
async fn fault_parameters_do_not_disturb_route_queries() {
    let app = spawn_app().await;
    let page: Value = app
        .get("/api/auth/users?limit=2&simulate_delay=1&offset=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (page["limit"].as_u64(), page["offset"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(page["users"][0]["email"], "bob@example.com");
    assert_eq!(page["users"].as_array().unwrap().len(), 2);
    let metrics: Value = app.get("/api/auth/metrics").await.json().await.unwrap();
    assert_eq!(metrics["simulated_delays"], 1, "the delayed path was taken");
}

#[tokio::test]
async fn the_ends_of_each_range_are_accepted() {
    let app = spawn_app().await;
    for status in [400, 599] {
        let response = app.get(&format!("/health?simulate_error={status}")).await;
        assert_error(response, status, "simulated_error").await;
        let by_header = app
            .client
            .get(app.url("/health"))
            .header("x-mock-error", status.to_string())
            .send()
            .await
            .unwrap();
        assert_error(by_header, status, "simulated_error").await;
    }
    assert_eq!(
        app.get("/health?simulate_delay=0").await.status(),
        StatusCode::OK
    );
    // 60000 is accepted: the answer is held (the client gives up), not a 422.
    for request in [
        app.client.get(app.url("/health?simulate_delay=60000")),
        app.client
            .get(app.url("/health"))
            .header("x-mock-delay", "60000"),
    ] {
        let held = request.timeout(Duration::from_millis(300)).send().await;
        assert!(held.is_err_and(|e| e.is_timeout()), "held, not refused");
    }
}

#[tokio::test]
async fn an_out_of_range_delay_header_is_422_naming_the_header() {
    let app = spawn_app().await;
    for value in ["60001", "-1", "soon"] {
        let response = app
            .client
            .get(app.url("/api/auth/me"))
            .header("x-mock-delay", value)
            .send()
            .await
            .unwrap();
        assert_422_naming(response, "X-Mock-Delay").await;
    }
}

#[tokio::test]
async fn docs_routes_ignore_fault_injection() {
    let app = spawn_app().await;
    assert_eq!(
        app.get("/openapi.json?simulate_error=500").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get("/redoc?simulate_error=500").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get("/docs/?simulate_error=500").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn global_error_rate_one_fails_auth_routes_only() {
    let app = spawn_with(|c| {
        c.mock_error_rate = 1.0;
        c.mock_error_status = 503;
    })
    .await;
    let login = app
        .post_json(
            "/api/auth/login",
            &json!({"email": "alice@example.com", "password": PASSWORD}),
        )
        .await;
    assert_error(login, 503, "simulated_error").await;
    assert_error(app.get("/api/auth/me").await, 503, "simulated_error").await;
    assert_eq!(app.get("/health").await.status(), StatusCode::OK);
    assert_eq!(app.get("/api/auth/users").await.status(), StatusCode::OK);
    assert_eq!(app.get("/api/auth/metrics").await.status(), StatusCode::OK);
    assert_eq!(app.get("/openapi.json").await.status(), StatusCode::OK);
    // A request's own setting replaces the global one.
    let own = app.get("/api/auth/me?simulate_error=418").await;
    assert_error(own, 418, "simulated_error").await;
}

#[tokio::test]
async fn global_error_rate_zero_point_five_fails_about_half() {
    let app = spawn_with(|c| c.mock_error_rate = 0.5).await;
    let requests: Vec<_> = (0..200).map(|_| app.get("/api/auth/me")).collect();
    let failed = join_all(requests)
        .await
        .iter()
        .filter(|r| r.status() == StatusCode::INTERNAL_SERVER_ERROR)
        .count();
    // Binomial(200, 0.5): outside 50..150 has a probability below 1e-12.
    assert!((50..150).contains(&failed), "{failed} of 200");
}

#[tokio::test]
async fn global_delay_applies_to_auth_routes_but_not_health() {
    let app = spawn_with(|c| {
        c.mock_delay_min_ms = 300;
        c.mock_delay_max_ms = 400;
    })
    .await;
    let started = Instant::now();
    app.get("/api/auth/me").await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    app.get("/health").await;
    let metrics: Value = app.get("/api/auth/metrics").await.json().await.unwrap();
    assert_eq!(
        metrics["simulated_delays"], 1,
        "only the auth route was delayed"
    );
}

#[tokio::test]
async fn two_hundred_delayed_requests_overlap_instead_of_queueing() {
    let app = spawn_app().await;
    let started = Instant::now();
    let requests: Vec<_> = (0..200)
        .map(|_| app.get("/health?simulate_delay=500"))
        .collect();
    let responses = join_all(requests).await;
    assert!(responses.iter().all(|r| r.status() == StatusCode::OK));
    // Serially this would take 100 s; overlapping, about half a second.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn simulated_faults_are_counted_in_metrics() {
    let app = spawn_app().await;
    app.get("/health?simulate_error=500").await;
    app.get("/health?simulate_delay=1").await;
    app.get("/health?simulate_delay=1&simulate_error=400").await;
    let metrics: Value = app.get("/api/auth/metrics").await.json().await.unwrap();
    assert_eq!(metrics["simulated_errors"], 2);
    assert_eq!(metrics["simulated_delays"], 2);
    assert_eq!(metrics["routes"]["GET /health"]["errors"], 2);
}
