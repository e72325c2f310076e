//! The test control plane (`/api/dev/*`, contract section 10).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{PASSWORD, assert_422_naming, assert_error, spawn_app, spawn_with};

async fn json_of(response: reqwest::Response) -> Value {
    response.json().await.expect("json body")
}

#[tokio::test]
async fn advancing_the_clock_expires_access_then_refresh_tokens() {
    let app = spawn_app().await;
    let pair = app.login("alice@example.com").await;
    let access = pair["access_token"].as_str().unwrap();
    let view = json_of(
        app.post_json("/api/dev/clock", &json!({"advance_seconds": 31 * 60}))
            .await,
    )
    .await;
    assert!(view["offset_seconds"].as_i64().unwrap() >= 31 * 60 - 1);
    assert_error(
        app.get_authed("/api/auth/me", access).await,
        401,
        "token_expired",
    )
    .await;
    app.post_json("/api/dev/clock", &json!({"advance_seconds": 8 * 86_400}))
        .await;
    let refreshed = app
        .post_json(
            "/api/auth/refresh",
            &json!({"refresh_token": pair["refresh_token"]}),
        )
        .await;
    assert_error(refreshed, 401, "token_expired").await;
    let reset = json_of(app.delete("/api/dev/clock").await).await;
    assert_eq!(reset["offset_seconds"], 0);
    let frozen = json_of(
        app.post_json("/api/dev/clock", &json!({"freeze": true}))
            .await,
    )
    .await;
    assert_eq!(frozen["frozen"], true);
    let set = json_of(
        app.post_json("/api/dev/clock", &json!({"set": "2030-01-01T00:00:00Z"}))
            .await,
    )
    .await;
    assert_eq!(set["now"], "2030-01-01T00:00:00Z");
    assert_422_naming(
        app.post_json("/api/dev/clock", &json!({"set": "soon"}))
            .await,
        "set",
    )
    .await;
    assert_eq!(
        json_of(app.get("/api/dev/clock").await).await["frozen"],
        true
    );
}

#[tokio::test]
async fn tokens_on_demand_follow_every_field() {
    let app = spawn_app().await;
    let made = json_of(
        app.post_json(
            "/api/dev/tokens",
            &json!({"user": "alice@example.com", "expires_in": -60, "claims": {"tenant": "acme"},
                    "remove_claims": ["name"], "issuer": "other", "audience": "aud-x", "kid": "k1"}),
        )
        .await,
    )
    .await;
    assert_eq!(made["claims"]["tenant"], "acme");
    assert!(made["claims"].get("name").is_none());
    assert_eq!(made["claims"]["iss"], "other");
    assert_eq!(made["claims"]["aud"], "aud-x");
    assert_eq!(made["header"]["kid"], "k1");
    assert!(made["claims"]["exp"].as_i64().unwrap() < crate::helpers::now());
    let expired = json_of(
        app.post_json(
            "/api/dev/tokens",
            &json!({"user": "alice@example.com", "expires_in": -60}),
        )
        .await,
    )
    .await;
    assert_error(
        app.get_authed("/api/auth/me", expired["token"].as_str().unwrap())
            .await,
        401,
        "token_expired",
    )
    .await;
    let unsigned = json_of(
        app.post_json("/api/dev/tokens", &json!({"sub": "x", "sign": "none"}))
            .await,
    )
    .await;
    assert_eq!(unsigned["header"]["alg"], "none");
    let refresh = json_of(
        app.post_json(
            "/api/dev/tokens",
            &json!({"user": "alice@example.com", "type": "refresh", "not_before": 600}),
        )
        .await,
    )
    .await;
    assert_eq!(refresh["claims"]["type"], "refresh");
    assert!(refresh["claims"]["nbf"].is_i64());
    let good = json_of(
        app.post_json("/api/dev/tokens", &json!({"user": "alice@example.com"}))
            .await,
    )
    .await;
    let me = app
        .get_authed("/api/auth/me", good["token"].as_str().unwrap())
        .await;
    assert_eq!(me.status(), StatusCode::OK);
    assert_error(
        app.post_json("/api/dev/tokens", &json!({"user": "nobody@example.com"}))
            .await,
        404,
        "not_found",
    )
    .await;
    assert_422_naming(
        app.post_json("/api/dev/tokens", &json!({"sub": "x", "sign": "maybe"}))
            .await,
        "sign",
    )
    .await;
}

async fn check_catalogue(app: &crate::helpers::TestApp, expect_kid: bool) {
    let catalogue = json_of(app.get("/api/dev/tokens/bad?user=alice@example.com").await).await;
    let valid = catalogue["valid"]["token"].as_str().unwrap();
    assert_eq!(
        app.get_authed("/api/auth/me", valid).await.status(),
        StatusCode::OK
    );
    let cases = catalogue["cases"].as_array().unwrap();
    let names: Vec<&str> = cases.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names.contains(&"unknown_kid"), expect_kid);
    assert!(!names.contains(&"wrong_audience"));
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let code = match name {
            "expired" => "token_expired",
            "wrong_type" => "wrong_token_type",
            "revoked" => "token_revoked",
            "deleted_user" => "user_not_found",
            _ => "invalid_token",
        };
        let response = app
            .get_authed("/api/auth/me", case["token"].as_str().unwrap())
            .await;
        assert_eq!(response.status(), 401, "{name}");
        let body = json_of(response).await;
        assert_eq!(body["code"], code, "{name}: {body}");
    }
}

#[tokio::test]
async fn every_catalogue_case_is_refused_by_me_with_its_code() {
    let app = spawn_app().await;
    check_catalogue(&app, false).await;
}

#[tokio::test]
async fn token_faults_on_login_give_the_access_token_the_defect() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/auth/login"))
        .header("X-Mock-Token-Fault", "expired")
        .json(&json!({"email": "alice@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let pair = json_of(response).await;
    assert_error(
        app.get_authed("/api/auth/me", pair["access_token"].as_str().unwrap())
            .await,
        401,
        "token_expired",
    )
    .await;
    let bad = app
        .client
        .post(app.url("/api/auth/register?mock_token_fault=nonsense"))
        .json(&json!({"email": "new@example.com", "password": PASSWORD, "name": "New"}))
        .send()
        .await
        .unwrap();
    assert_422_naming(bad, "X-Mock-Token-Fault").await;
    // Nothing happened: the user was not created.
    app.register("new@example.com").await;
}

#[tokio::test]
async fn users_are_created_patched_disabled_and_deleted() {
    let app = spawn_app().await;
    let created = app
        .post_json(
            "/api/dev/users",
            &json!({"email": "dana@example.com", "password": PASSWORD, "name": "Dana",
                    "roles": ["admin"], "claims": {"tenant": "acme"}, "email_verified": false}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let user = json_of(created).await;
    assert_eq!(user["claims"]["tenant"], "acme");
    assert_eq!(user["email_verified"], false);
    let id = user["id"].as_str().unwrap().to_owned();
    let pair = app.login("dana@example.com").await;
    let access = pair["access_token"].as_str().unwrap().to_owned();
    let patched = app
        .client
        .patch(app.url(&format!("/api/dev/users/{id}")))
        .json(
            &json!({"name": "Dana X", "roles": ["user"], "email_verified": true, "disabled": true}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    assert_eq!(json_of(patched).await["disabled"], true);
    assert_error(
        app.get_authed("/api/auth/me", &access).await,
        401,
        "user_disabled",
    )
    .await;
    let reserved = app
        .client
        .patch(app.url(&format!("/api/dev/users/{id}")))
        .json(&json!({"claims": {"sub": "evil"}}))
        .send()
        .await
        .unwrap();
    assert_422_naming(reserved, "claims.sub").await;
    // A claim the server writes itself would appear twice in the token.
    let duplicate = app
        .post_json(
            "/api/dev/users",
            &json!({"email": "dup@example.com", "password": PASSWORD, "name": "Dup",
                    "claims": {"email": "other@example.com"}}),
        )
        .await;
    assert_422_naming(duplicate, "claims.email").await;
    let new_password = app
        .client
        .patch(app.url(&format!("/api/dev/users/{id}")))
        .json(&json!({"password": "another-password", "disabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(new_password.status(), 200);
    let login = app
        .post_json(
            "/api/auth/login",
            &json!({"email": "dana@example.com", "password": "another-password"}),
        )
        .await;
    assert_eq!(login.status(), 200);
    assert_eq!(
        app.delete(&format!("/api/dev/users/{id}")).await.status(),
        204
    );
    assert_error(
        app.get_authed("/api/auth/me", &access).await,
        401,
        "user_not_found",
    )
    .await;
    assert_error(
        app.delete(&format!("/api/dev/users/{id}")).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn fake_users_are_deterministic_and_fast() {
    let app = spawn_app().await;
    let started = std::time::Instant::now();
    let body = json_of(
        app.post_json(
            "/api/dev/users/generate",
            &json!({"count": 100000, "seed": 7}),
        )
        .await,
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(body["created"], 100000);
    assert_eq!(body["users"].as_array().unwrap().len(), 100);
    let first = body["users"][0]["email"].as_str().unwrap().to_owned();
    app.post_json("/api/dev/reset", &json!({})).await;
    let again = json_of(
        app.post_json("/api/dev/users/generate", &json!({"count": 5, "seed": 7}))
            .await,
    )
    .await;
    assert_eq!(again["users"][0]["email"], first);
    let login = app
        .post_json(
            "/api/auth/login",
            &json!({"email": first, "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status(), 200);
    assert_422_naming(
        app.post_json("/api/dev/users/generate", &json!({"count": 0}))
            .await,
        "count",
    )
    .await;
}

#[tokio::test]
async fn a_times_5_rule_hits_exactly_5_of_50_concurrent_requests() {
    let app = spawn_app().await;
    let rule = app
        .post_json(
            "/api/dev/faults",
            &json!({"match": {"method": "GET", "route": "/api/auth/me"}, "status": 503, "retry_after": 7, "times": 5}),
        )
        .await;
    assert_eq!(rule.status(), 201);
    let id = json_of(rule).await["id"].as_u64().unwrap();
    let token = app.login("alice@example.com").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let requests = (0..50).map(|_| app.get_authed("/api/auth/me", &token));
    let statuses: Vec<reqwest::Response> = futures_join(requests).await;
    let failed: Vec<_> = statuses.iter().filter(|r| r.status() == 503).collect();
    assert_eq!(failed.len(), 5);
    assert_eq!(failed[0].headers()["retry-after"], "7");
    let rules = json_of(app.get("/api/dev/faults").await).await;
    assert_eq!(rules["rules"][0]["hits"], 5);
    assert_eq!(
        app.delete(&format!("/api/dev/faults/{id}")).await.status(),
        204
    );
    assert_error(
        app.delete(&format!("/api/dev/faults/{id}")).await,
        404,
        "not_found",
    )
    .await;
}

async fn futures_join<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let handles: Vec<_> = futures.collect();
    let mut out = Vec::new();
    // Start them all at once by pinning into a join set of local futures.
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = handles.into_iter().map(Box::pin).collect();
    let mut results: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, future) in pinned.iter_mut().enumerate() {
            if results[i].is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => results[i] = Some(value),
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
    out.extend(results.into_iter().flatten());
    out
}

#[tokio::test]
async fn fail_after_then_recover_and_bad_rules() {
    let app = spawn_app().await;
    app.post_json(
        "/api/dev/faults",
        &json!({"match": {"route": "/api/auth/login"}, "status": 500, "after": 1, "times": 2}),
    )
    .await;
    let body = json!({"email": "alice@example.com", "password": PASSWORD});
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(
            app.post_json("/api/auth/login", &body)
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(got, [200, 500, 500, 200]);
    assert_422_naming(
        app.post_json("/api/dev/faults", &json!({"status": 99}))
            .await,
        "status",
    )
    .await;
    assert_422_naming(
        app.post_json(
            "/api/dev/faults",
            &json!({"status": 500, "probability": 2.0}),
        )
        .await,
        "probability",
    )
    .await;
    // Dev endpoints are never hit by rules.
    app.post_json("/api/dev/faults", &json!({"status": 500}))
        .await;
    assert_eq!(app.get("/api/dev/faults").await.status(), 200);
    assert_eq!(app.delete("/api/dev/faults").await.status(), 204);
    assert_eq!(
        json_of(app.get("/api/dev/faults").await).await["rules"],
        json!([])
    );
}

#[tokio::test]
async fn a_rule_by_user_and_delay() {
    let app = spawn_app().await;
    app.post_json(
        "/api/dev/faults",
        &json!({"match": {"user": "bob@example.com"}, "status": 429}),
    )
    .await;
    let alice = app.login("alice@example.com").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let bob = app.login("bob@example.com").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.get_authed("/api/auth/me", &alice).await.status(), 200);
    assert_error(
        app.get_authed("/api/auth/me", &bob).await,
        429,
        "simulated_error",
    )
    .await;
    app.delete("/api/dev/faults").await;
    app.post_json(
        "/api/dev/faults",
        &json!({"match": {"route": "/health"}, "delay_ms": 150}),
    )
    .await;
    let started = std::time::Instant::now();
    assert_eq!(app.get("/health").await.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn a_drop_rule_closes_the_connection_with_no_answer() {
    let app = spawn_app().await;
    app.post_json(
        "/api/dev/faults",
        &json!({"match": {"route": "/health"}, "drop": true}),
    )
    .await;
    let address = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the connection was closed");
    assert!(
        answer.is_empty(),
        "no answer: {:?}",
        String::from_utf8_lossy(&answer)
    );
}

#[tokio::test]
async fn global_knobs_are_set_at_run_time() {
    let app = spawn_app().await;
    let put = app
        .client
        .put(app.url("/api/dev/faults/global"))
        .json(&json!({"error_rate": 1.0, "error_status": 503}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let body = json!({"email": "alice@example.com", "password": PASSWORD});
    assert_error(
        app.post_json("/api/auth/login", &body).await,
        503,
        "simulated_error",
    )
    .await;
    let knobs = json_of(app.get("/api/dev/faults/global").await).await;
    assert_eq!(knobs["error_rate"], 1.0);
    let bad = app
        .client
        .put(app.url("/api/dev/faults/global"))
        .json(&json!({"error_rate": 3.0}))
        .send()
        .await
        .unwrap();
    assert_422_naming(bad, "error_rate").await;
    app.post_json("/api/dev/reset", &json!({})).await;
    assert_eq!(app.post_json("/api/auth/login", &body).await.status(), 200);
}

#[tokio::test]
async fn keys_rotate_list_and_retire() {
    let app = spawn_app().await;
    let rotated = app.post_json("/api/dev/keys/rotate", &json!({})).await;
    assert_eq!(rotated.status(), 201);
    let kid = json_of(rotated).await["kid"].as_str().unwrap().to_owned();
    let keys = json_of(app.get("/api/dev/keys").await).await;
    let list = keys["keys"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    let old = list.iter().find(|k| k["kid"] != kid.as_str()).unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.delete(&format!("/api/dev/keys/{kid}")).await.status(),
        422
    );
    assert_eq!(
        app.delete(&format!("/api/dev/keys/{old}")).await.status(),
        204
    );
    assert_error(app.delete("/api/dev/keys/nope").await, 404, "not_found").await;
}

#[tokio::test]
async fn settings_and_reset() {
    let app = spawn_app().await;
    let put = app
        .client
        .put(app.url("/api/dev/settings"))
        .json(&json!({"refresh_reuse": "revoke-family"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(put).await["refresh_reuse"], "revoke-family");
    let bad = app
        .client
        .put(app.url("/api/dev/settings"))
        .json(&json!({"refresh_reuse": "sometimes"}))
        .send()
        .await
        .unwrap();
    assert_422_naming(bad, "refresh_reuse").await;
    app.register("temp@example.com").await;
    app.post_json("/api/dev/clock", &json!({"advance_seconds": 100}))
        .await;
    let reset = json_of(app.post_json("/api/dev/reset", &json!({})).await).await;
    assert_eq!(reset["users"], 5);
    assert_eq!(
        json_of(app.get("/api/dev/clock").await).await["offset_seconds"],
        0
    );
    assert_eq!(
        app.state.dev.refresh_reuse(),
        mock_auth_server::config::RefreshReuse::Reject
    );
}

#[tokio::test]
async fn dev_routes_are_404_when_disabled_and_guarded_by_the_key() {
    let off = spawn_with(|c| c.enable_dev_endpoints = false).await;
    assert_error(off.get("/api/dev/clock").await, 404, "not_found").await;
    let guarded = spawn_with(|c| c.dev.dev_api_key = Some("k3y".into())).await;
    assert_error(guarded.get("/api/dev/clock").await, 401, "missing_token").await;
    assert_error(guarded.get("/api/auth/users").await, 401, "missing_token").await;
    let wrong = guarded
        .client
        .get(guarded.url("/api/dev/clock"))
        .header("X-Dev-Api-Key", "nope")
        .send()
        .await
        .unwrap();
    assert_error(wrong, 401, "invalid_token").await;
    let right = guarded
        .client
        .get(guarded.url("/api/dev/clock"))
        .header("X-Dev-Api-Key", "k3y")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
}

#[tokio::test]
async fn seed_fake_users_come_at_start_and_after_reset() {
    let app = spawn_with(|c| {
        c.dev.seed_fake_users = 50;
        c.dev.seed_fake_users_seed = 3;
    })
    .await;
    assert_eq!(app.state.users.len(), 55);
    let reset = json_of(app.post_json("/api/dev/reset", &json!({})).await).await;
    assert_eq!(reset["users"], 55);
}
