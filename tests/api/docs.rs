//! The OpenAPI document and the documentation pages, served with no CDN.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::spawn_app;

/// Every operation with the statuses its handler can give; the middleware's
/// own (422 for a bad fault value, 500 for a caught panic, 408 for a body
/// sent too slowly, and 400, 413, 415 for a JSON body) are added by
/// `with_middleware_statuses`.
const OPERATIONS: [(&str, &str, &[&str]); 43] = [
    ("/health", "get", &["200"]),
    ("/metrics", "get", &["200"]),
    (
        "/api/auth/register",
        "post",
        &["201", "400", "409", "413", "415", "422"],
    ),
    (
        "/api/auth/login",
        "post",
        &["200", "400", "401", "413", "415", "422"],
    ),
    (
        "/api/auth/refresh",
        "post",
        &["200", "400", "401", "413", "415", "422"],
    ),
    (
        "/api/auth/logout",
        "post",
        &["204", "400", "401", "413", "415", "422"],
    ),
    ("/api/auth/me", "get", &["200", "401"]),
    ("/api/auth/users", "get", &["200", "422"]),
    ("/api/auth/users/reset", "delete", &["200"]),
    ("/api/auth/metrics", "get", &["200"]),
    ("/api/auth/metrics", "delete", &["204"]),
    ("/oauth2/authorize", "get", &["200", "302", "400"]),
    ("/oauth2/authorize", "post", &["200", "302", "400", "401"]),
    ("/oauth2/token", "post", &["200", "400", "401"]),
    ("/oauth2/userinfo", "get", &["200", "401"]),
    ("/oauth2/userinfo", "post", &["200", "401"]),
    ("/oauth2/introspect", "post", &["200", "400", "401"]),
    ("/oauth2/revoke", "post", &["200", "400", "401"]),
    ("/oauth2/logout", "get", &["200", "302", "400"]),
    ("/api/dev/requests", "get", &["200", "422"]),
    ("/api/dev/requests", "delete", &["204"]),
    ("/api/dev/requests/stream", "get", &["200"]),
    ("/api/dev/tokens/{jti}", "get", &["200", "404"]),
    ("/api/dev/clock", "get", &["200"]),
    ("/api/dev/clock", "post", &["200", "422"]),
    ("/api/dev/clock", "delete", &["200"]),
    ("/api/dev/faults", "get", &["200"]),
    ("/api/dev/faults", "post", &["201", "422"]),
    ("/api/dev/faults", "delete", &["204"]),
    ("/api/dev/faults/global", "get", &["200"]),
    ("/api/dev/faults/{id}", "delete", &["204", "404"]),
    ("/api/dev/keys", "get", &["200"]),
    ("/api/dev/keys/rotate", "post", &["201"]),
    ("/api/dev/keys/{kid}", "delete", &["204", "404"]),
    ("/api/dev/reset", "post", &["200"]),
    ("/api/dev/tokens", "post", &["200", "404", "422"]),
    ("/api/dev/tokens/bad", "get", &["200", "404"]),
    ("/api/dev/users", "post", &["201", "409", "422"]),
    ("/api/dev/users/generate", "post", &["201", "422"]),
    ("/api/dev/users/{id}", "delete", &["204", "404"]),
    ("/.well-known/jwks.json", "get", &["200"]),
    ("/.well-known/openid-configuration", "get", &["200"]),
    ("/.well-known/oauth-authorization-server", "get", &["200"]),
];

fn with_middleware_statuses(
    path: &str,
    method: &str,
    statuses: &[&'static str],
) -> Vec<&'static str> {
    let mut all = statuses.to_vec();
    all.extend(["422", "500"]);
    // Bodiless POSTs have no 408 (the body read is what times out); POST
    // /oauth2/userinfo takes its token in a header.
    let bodiless = matches!(
        path,
        "/api/dev/keys/rotate" | "/api/dev/reset" | "/oauth2/userinfo"
    );
    if method == "post" && !bodiless {
        all.push("408");
    }
    // The JSON body extractor's own answers, before any handler runs.
    let json_body = path.starts_with("/api/") && method == "post" && !bodiless;
    if json_body {
        all.extend(["400", "413", "415"]);
    }
    all.sort();
    all.dedup();
    all
}

#[tokio::test]
async fn document_lists_every_operation_with_its_statuses() {
    let app = spawn_app().await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for (path, method, statuses) in OPERATIONS {
        let operation = &doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} missing");
        let responses = operation["responses"].as_object().unwrap();
        let mut documented: Vec<&str> = responses.keys().map(String::as_str).collect();
        documented.sort();
        assert_eq!(
            documented,
            with_middleware_statuses(path, method, statuses),
            "{method} {path}"
        );
        let knobs: Vec<&str> = doc["paths"][path]["parameters"]
            .as_array()
            .map(|params| params.iter().filter_map(|p| p["name"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(
            knobs,
            [
                "simulate_error",
                "simulate_delay",
                "X-Mock-Error",
                "X-Mock-Delay"
            ],
            "{path}: fault-injection parameters"
        );
    }
    let paths = doc["paths"].as_object().unwrap();
    let operations: usize = paths
        .values()
        .map(|item| {
            ["get", "post", "delete"]
                .iter()
                .filter(|m| item[**m].is_object())
                .count()
        })
        .sum();
    assert_eq!(operations, OPERATIONS.len(), "no operation left unchecked");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert_eq!(
        doc["paths"]["/api/auth/me"]["get"]["security"][0]["bearer"],
        serde_json::json!([])
    );
    let description = doc["info"]["description"].as_str().unwrap();
    for topic in [
        "simulate_error",
        "X-Mock-Delay",
        "MOCK_ERROR_RATE",
        "alice@example.com",
    ] {
        assert!(description.contains(topic), "{topic}");
    }
}

#[tokio::test]
async fn document_matches_the_committed_snapshot() {
    let app = spawn_app().await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    let rendered = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/openapi.json");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, &rendered).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == rendered,
        "the OpenAPI document changed; review it and run UPDATE_SNAPSHOTS=1 cargo test --test api docs"
    );
}

fn external_urls(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\"", "url: \"", "url(\""] {
        for (i, _) in text.match_indices(attribute) {
            let value: String = text[i + attribute.len()..]
                .chars()
                .take_while(|c| *c != '"')
                .collect();
            if value.starts_with("http") || value.starts_with("//") {
                found.push(value);
            }
        }
    }
    found
}

#[tokio::test]
async fn swagger_ui_is_served_locally_and_points_at_our_document() {
    let app = spawn_app().await;
    let page = app.get("/docs").await;
    assert_eq!(page.status(), StatusCode::OK, "redirect followed to /docs/");
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"));
    assert!(
        external_urls(&html).is_empty(),
        "{:?}",
        external_urls(&html)
    );
    let init = app
        .get("/docs/swagger-initializer.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(init.contains("/openapi.json"), "{init}");
    assert!(
        init.contains("\"validatorUrl\": \"none\"") || init.contains("\"validatorUrl\":\"none\""),
        "{init}"
    );
    for asset in [
        "/docs/swagger-ui.css",
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-ui-standalone-preset.js",
    ] {
        assert_eq!(app.get(asset).await.status(), StatusCode::OK, "{asset}");
    }
}

#[tokio::test]
async fn redoc_is_served_locally() {
    let app = spawn_app().await;
    let html = app.get("/redoc").await.text().await.unwrap();
    assert!(html.contains("spec-url=\"/openapi.json\""));
    assert!(
        external_urls(&html).is_empty(),
        "{:?}",
        external_urls(&html)
    );
    let script = app.get("/redoc/redoc.standalone.js").await;
    assert_eq!(script.status(), StatusCode::OK);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    assert!(script.text().await.unwrap().len() > 100_000);
}

#[tokio::test]
async fn every_error_response_has_examples_and_they_are_what_the_server_answers() {
    let app = spawn_app().await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(responses) = operation["responses"].as_object() else {
                continue;
            };
            for (status, response) in responses.iter().filter(|(s, _)| s.as_str() < "400") {
                let examples = &response["content"]["application/json"]["examples"];
                assert!(examples.is_null(), "{method} {path} {status}: {examples}");
            }
            for (status, response) in responses.iter().filter(|(s, _)| s.as_str() >= "400") {
                // The login page's errors are HTML pages (issue 10), not JSON.
                if response["content"]["text/html"].is_object() {
                    continue;
                }
                let examples = response["content"]["application/json"]["examples"]
                    .as_object()
                    .unwrap_or_else(|| panic!("{method} {path} {status}: no examples"));
                assert!(!examples.is_empty(), "{method} {path} {status}");
                for (code, example) in examples {
                    assert_eq!(&example["value"]["code"], code, "{method} {path} {status}");
                }
            }
        }
    }
    let me_401 = doc["paths"]["/api/auth/me"]["get"]["responses"]["401"]["content"]
        ["application/json"]["examples"]
        .as_object()
        .unwrap();
    assert_eq!(
        me_401.keys().collect::<Vec<_>>(),
        [
            "invalid_token",
            "missing_token",
            "token_expired",
            "user_not_found",
            "wrong_token_type"
        ]
    );
    let example = |path: &str, method: &str, status: &str, code: &str| {
        doc["paths"][path][method]["responses"][status]["content"]["application/json"]["examples"]
            [code]["value"]
            .clone()
    };
    let taken = app
        .post_json(
            "/api/auth/register",
            &serde_json::json!({"email": "alice@example.com", "password": "password123", "name": "A"}),
        )
        .await;
    assert_eq!(
        taken.json::<Value>().await.unwrap(),
        example("/api/auth/register", "post", "409", "email_taken")
    );
    let empty = app
        .post_json(
            "/api/auth/login",
            &serde_json::json!({"email": "", "password": "x"}),
        )
        .await;
    assert_eq!(
        empty.json::<Value>().await.unwrap(),
        example("/api/auth/login", "post", "422", "validation_error")
    );
    let anonymous: Value = app.get("/api/auth/me").await.json().await.unwrap();
    assert_eq!(
        anonymous,
        example("/api/auth/me", "get", "401", "missing_token")
    );
    let bad_knob: Value = app
        .get("/health?simulate_delay=soon")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        bad_knob,
        example("/health", "get", "422", "validation_error")
    );
}
