//! Dev endpoints: the paginated user list, reset, and switching them off.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{assert_422_naming, assert_error, spawn_app, spawn_with};

#[tokio::test]
async fn list_shows_seed_users_first_in_creation_order() {
    let app = spawn_app().await;
    app.register("zed@example.com").await;
    let page: Value = app.get("/api/auth/users").await.json().await.unwrap();
    let ids: Vec<&str> = page["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        &ids[..5],
        [
            "test-user-123",
            "test-user-456",
            "test-user-789",
            "test-user-abc",
            "test-user-def"
        ]
    );
    assert!(ids[5].starts_with("user-"));
    assert_eq!(
        (
            page["total"].as_u64(),
            page["limit"].as_u64(),
            page["offset"].as_u64()
        ),
        (Some(6), Some(1000), Some(0))
    );
    assert!(!page.to_string().contains("password"));
}

#[tokio::test]
async fn list_pages_with_limit_and_offset_and_total_counts_all() {
    let app = spawn_app().await;
    let page: Value = app
        .get("/api/auth/users?limit=2&offset=1")
        .await
        .json()
        .await
        .unwrap();
    let emails: Vec<&str> = page["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["bob@example.com", "charlie@example.com"]);
    assert_eq!(page["total"], 5);
    let past_end: Value = app
        .get("/api/auth/users?offset=99")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(past_end["users"].as_array().unwrap().len(), 0);
    assert_eq!(past_end["total"], 5);
}

#[tokio::test]
async fn list_with_bad_limit_or_offset_is_422_naming_it() {
    let app = spawn_app().await;
    for (query, name) in [
        ("limit=0", "limit"),
        ("limit=10001", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
    ] {
        assert_422_naming(app.get(&format!("/api/auth/users?{query}")).await, name).await;
    }
}

#[tokio::test]
async fn reset_restores_exactly_the_seed_users() {
    let app = spawn_app().await;
    app.register("temp1@example.com").await;
    app.register("temp2@example.com").await;
    let response = app.delete("/api/auth/users/reset").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["users"], 5);
    assert!(body["message"].as_str().is_some());
    let page: Value = app.get("/api/auth/users").await.json().await.unwrap();
    assert_eq!(page["total"], 5);
    // Seed users still log in with their password.
    app.login("ethan@example.com").await;
}

#[tokio::test]
async fn reset_keeps_metrics() {
    let app = spawn_app().await;
    app.get("/health").await;
    app.delete("/api/auth/users/reset").await;
    let metrics: Value = app.get("/api/auth/metrics").await.json().await.unwrap();
    assert!(metrics["total_requests"].as_u64().unwrap() >= 2);
}

#[tokio::test]
async fn dev_endpoints_are_404_when_disabled() {
    let app = spawn_with(|c| c.enable_dev_endpoints = false).await;
    assert_error(app.get("/api/auth/users").await, 404, "not_found").await;
    assert_error(app.delete("/api/auth/users/reset").await, 404, "not_found").await;
    assert_error(app.get("/api/auth/metrics").await, 404, "not_found").await;
    assert_error(app.delete("/api/auth/metrics").await, 404, "not_found").await;
    assert_eq!(app.get("/health").await.status(), StatusCode::OK);
    assert_eq!(app.get("/metrics").await.status(), StatusCode::OK);
    app.login("alice@example.com").await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    assert!(
        doc["paths"].get("/api/auth/users").is_none(),
        "the document lists only what is served"
    );
}

#[tokio::test]
async fn seed_file_replaces_the_default_users() {
    let dir = std::env::temp_dir().join(format!("seed-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("users.json");
    let hash = bcrypt::hash("hashed-pass", 4)
        .unwrap()
        .replacen("$2b$", "$2y$", 1);
    let seed = serde_json::json!([
        {"id": "qa-1", "email": "QA@Example.com", "name": "QA Lead", "roles": ["qa"], "password": "plain-pass"},
        {"email": "ops@example.com", "name": "Ops", "password_hash": hash}
    ]);
    std::fs::write(&path, seed.to_string()).unwrap();
    let app = spawn_with(|c| c.seed_users_file = Some(path.clone())).await;
    let page: Value = app.get("/api/auth/users").await.json().await.unwrap();
    assert_eq!(page["total"], 2);
    assert_eq!(page["users"][0]["email"], "qa@example.com");
    assert_eq!(page["users"][0]["roles"], serde_json::json!(["qa"]));
    assert_eq!(page["users"][1]["roles"], serde_json::json!(["user"]));
    let login = |email: &str, password: &str| {
        app.post_json(
            "/api/auth/login",
            &serde_json::json!({"email": email, "password": password}),
        )
    };
    assert_eq!(
        login("qa@example.com", "plain-pass").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        login("ops@example.com", "hashed-pass").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        login("alice@example.com", "password123").await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.delete("/api/auth/users/reset").await;
    assert_eq!(
        login("ops@example.com", "hashed-pass").await.status(),
        StatusCode::OK
    );
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn seed_file_claims_and_email_verified_reach_tokens_me_and_userinfo() {
    let dir = std::env::temp_dir().join(format!("seed-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("users.json");
    let seed = serde_json::json!([
        {"id": "acme-1", "email": "eve@acme.test", "name": "Eve Acme", "password": "plain-pass",
         "claims": {"tenant": "acme", "plan": {"tier": 2}}, "email_verified": false}
    ]);
    std::fs::write(&path, seed.to_string()).unwrap();
    let app = spawn_with(|c| c.seed_users_file = Some(path.clone())).await;

    let pair: Value = app
        .post_json(
            "/api/auth/login",
            &serde_json::json!({"email": "eve@acme.test", "password": "plain-pass"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let access = pair["access_token"].as_str().unwrap();
    let claims = crate::helpers::claims_unchecked(access);
    assert_eq!(claims["tenant"], "acme");
    assert_eq!(claims["plan"]["tier"], 2);
    assert_eq!(pair["user"]["email_verified"], false);

    let me: Value = app
        .get_authed("/api/auth/me", access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["claims"]["tenant"], "acme");
    assert_eq!(me["email_verified"], false);

    let info: Value = app
        .get_authed("/oauth2/userinfo", access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info["tenant"], "acme");
    assert_eq!(info["email_verified"], false);

    // The OAuth password grant's ID token carries them too.
    let token: Value = app
        .client
        .post(app.url("/oauth2/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            "grant_type=password&username=eve%40acme.test&password=plain-pass\
             &client_id=backend&client_secret=any&scope=openid%20email",
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Signed with the asymmetric key: read the payload, the signature is
    // the OAuth tests' business.
    let payload = token["id_token"]
        .as_str()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap();
    let id: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(id["tenant"], "acme");
    assert_eq!(id["email_verified"], false);
    std::fs::remove_dir_all(dir).ok();
}

/// Runs the real binary with a seed file and returns its exit and stderr.
fn start_with_seed_file(seed: &Value) -> (std::process::ExitStatus, String) {
    let dir = std::env::temp_dir().join(format!("seed-bad-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("users.json"), seed.to_string()).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mock-auth-server"))
        .env_clear()
        .env("SEED_USERS_FILE", "users.json")
        .args(["--port", "0"])
        .current_dir(&dir)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("binary runs");
    std::fs::remove_dir_all(dir).ok();
    (
        output.status,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn seed_file_overriding_a_reserved_claim_stops_the_server_naming_user_and_claim() {
    let seed = serde_json::json!([
        {"email": "ok@example.com", "name": "Fine", "password": "plain-pass"},
        {"email": "mallory@example.com", "name": "Mallory", "password": "plain-pass",
         "claims": {"tenant": "acme", "iss": "https://evil.test"}}
    ]);
    let (status, stderr) = start_with_seed_file(&seed);
    assert!(!status.success(), "should fail: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    for part in ["SEED_USERS_FILE", "mallory@example.com", "claims.iss"] {
        assert!(stderr.contains(part), "{part} not named in: {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
}
