//! Every error of every layer has the contract's JSON body; request ids and
//! CORS apply to every response.

use axum::Router;
use axum::routing::get;
use mock_auth_server::config::Config;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, assert_error, spawn_app, spawn_with};

#[tokio::test]
async fn unknown_path_is_json_404() {
    let app = spawn_app().await;
    assert_error(app.get("/no/such/route").await, 404, "not_found").await;
}

#[tokio::test]
async fn wrong_method_is_json_405_with_allow_header() {
    let app = spawn_app().await;
    let response = app
        .client
        .put(app.url("/api/auth/login"))
        .send()
        .await
        .unwrap();
    assert!(response.headers().contains_key("allow"));
    assert_error(response, 405, "method_not_allowed").await;
    let response = app.delete("/health").await;
    assert_error(response, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn body_without_json_content_type_is_415() {
    let app = spawn_app().await;
    let login = r#"{"email":"alice@example.com","password":"password123"}"#;
    let plain = app
        .client
        .post(app.url("/api/auth/login"))
        .header("content-type", "text/plain")
        .body(login)
        .send()
        .await
        .unwrap();
    assert_error(plain, 415, "unsupported_media_type").await;
    let none = app
        .client
        .post(app.url("/api/auth/login"))
        .body(login)
        .send()
        .await
        .unwrap();
    assert_error(none, 415, "unsupported_media_type").await;
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    for body in ["{\"email\": ", "not json", ""] {
        let response = app
            .client
            .post(app.url("/api/auth/login"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_error(response, 400, "bad_request").await;
    }
}

#[tokio::test]
async fn json_of_the_wrong_shape_is_422() {
    let app = spawn_app().await;
    for body in [
        json!([1, 2]),
        json!(null),
        json!({"email": ["a"], "password": PASSWORD}),
    ] {
        let response = app.post_json("/api/auth/login", &body).await;
        assert_error(response, 422, "validation_error").await;
    }
}

#[tokio::test]
async fn body_of_exactly_the_limit_is_accepted_and_one_byte_more_is_413() {
    let app = spawn_with(|c| c.max_body_bytes = 256).await;
    let base = r#"{"email":"alice@example.com","password":"password123","pad":""}"#;
    let exact = base.replace(
        "\"pad\":\"\"",
        &format!("\"pad\":\"{}\"", "x".repeat(256 - base.len())),
    );
    assert_eq!(exact.len(), 256);
    let send = |body: String| {
        app.client
            .post(app.url("/api/auth/login"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    assert_eq!(send(exact.clone()).await.unwrap().status(), StatusCode::OK);
    let over = exact.replacen("\"pad\":\"", "\"pad\":\"x", 1);
    assert_eq!(over.len(), 257);
    assert_error(send(over).await.unwrap(), 413, "payload_too_large").await;
}

async fn boom() -> &'static str {
    panic!("deliberate")
}

#[tokio::test]
async fn a_panicking_handler_is_a_json_500_and_the_server_keeps_serving() {
    let state = mock_auth_server::build_state(Config::default())
        .await
        .unwrap();
    let router = Router::new()
        .route("/boom", get(boom))
        .route("/ok", get(|| async { "fine" }));
    let app = mock_auth_server::middleware::apply(router, &state).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let response = reqwest::get(format!("{base}/boom")).await.unwrap();
    assert!(response.headers().contains_key("x-request-id"));
    let body = assert_error(response, 500, "internal_error").await;
    assert!(
        !body["detail"].as_str().unwrap().contains("deliberate"),
        "panic text is not sent"
    );
    assert_eq!(
        reqwest::get(format!("{base}/ok")).await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn request_id_is_echoed_or_generated() {
    let app = spawn_app().await;
    let echoed = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "my-trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "my-trace-42");
    let fresh = app.get("/nowhere").await;
    let id = fresh.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    assert_ne!(
        app.get("/health").await.headers()["x-request-id"]
            .to_str()
            .unwrap(),
        id
    );
}

#[tokio::test]
async fn cors_preflight_allows_contract_methods_and_headers() {
    let app = spawn_app().await;
    let response = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/auth/login"))
        .header("origin", "http://localhost:3000")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,authorization,x-mock-delay",
        )
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let headers = response.headers();
    assert_eq!(headers["access-control-allow-origin"], "*");
    let methods = headers["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_uppercase();
    for method in ["GET", "POST", "DELETE", "OPTIONS"] {
        assert!(methods.contains(method), "{methods}");
    }
    let allowed = headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    for header in [
        "authorization",
        "content-type",
        "x-request-id",
        "x-mock-delay",
        "x-mock-error",
    ] {
        assert!(allowed.contains(header), "{allowed}");
    }
    let plain = app
        .client
        .get(app.url("/health"))
        .header("origin", "http://localhost:3000")
        .send()
        .await
        .unwrap();
    assert_eq!(
        plain.headers()["access-control-expose-headers"],
        "x-request-id"
    );
}

#[tokio::test]
async fn cors_list_allows_only_listed_origins() {
    let app = spawn_with(|c| c.cors_origins = "http://app.test,http://other.test".into()).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/auth/me"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .send()
    };
    let allowed = preflight("http://other.test").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "http://other.test"
    );
    let refused = preflight("http://evil.test").await.unwrap();
    assert!(
        !refused
            .headers()
            .contains_key("access-control-allow-origin")
    );
}

#[tokio::test]
async fn simulated_error_still_carries_cors_and_request_id() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/health?simulate_error=500"))
        .header("origin", "http://localhost:3000")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert!(response.headers().contains_key("x-request-id"));
    assert_error(response, 500, "simulated_error").await;
}
