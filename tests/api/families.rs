//! `REFRESH_REUSE`: a reused rotated refresh token is refused (reject), and
//! with revoke-family it also revokes every token of its login.

use mock_auth_server::config::RefreshReuse;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, spawn_app, spawn_with};

async fn refresh(app: &TestApp, token: &Value) -> reqwest::Response {
    app.post_json("/api/auth/refresh", &json!({"refresh_token": token}))
        .await
}

#[tokio::test]
async fn with_revoke_family_a_reused_refresh_token_revokes_its_whole_family() {
    let app = spawn_with(|c| c.dev.refresh_reuse = RefreshReuse::RevokeFamily).await;
    let first = app.login("alice@example.com").await;
    let second: Value = refresh(&app, &first["refresh_token"])
        .await
        .json()
        .await
        .unwrap();
    let other_login = app.login("alice@example.com").await;
    assert_error(
        refresh(&app, &first["refresh_token"]).await,
        401,
        "token_revoked",
    )
    .await;
    let access = second["access_token"].as_str().unwrap();
    assert_error(
        app.get_authed("/api/auth/me", access).await,
        401,
        "token_revoked",
    )
    .await;
    assert_error(
        refresh(&app, &second["refresh_token"]).await,
        401,
        "token_revoked",
    )
    .await;
    // Another login of the same user is another family.
    let other = other_login["access_token"].as_str().unwrap();
    assert_eq!(app.get_authed("/api/auth/me", other).await.status(), 200);
}

#[tokio::test]
async fn with_reject_a_reuse_is_refused_but_the_family_lives_on() {
    let app = spawn_app().await;
    let first = app.login("bob@example.com").await;
    let second: Value = refresh(&app, &first["refresh_token"])
        .await
        .json()
        .await
        .unwrap();
    assert_error(
        refresh(&app, &first["refresh_token"]).await,
        401,
        "token_revoked",
    )
    .await;
    let access = second["access_token"].as_str().unwrap();
    assert_eq!(app.get_authed("/api/auth/me", access).await.status(), 200);
    assert_eq!(refresh(&app, &second["refresh_token"]).await.status(), 200);
}

#[tokio::test]
async fn the_policy_can_be_switched_at_run_time() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let response = client
        .put(app.url("/api/dev/settings"))
        .json(&json!({"refresh_reuse": "revoke-family"}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let first = app.login("charlie@example.com").await;
    let second: Value = refresh(&app, &first["refresh_token"])
        .await
        .json()
        .await
        .unwrap();
    refresh(&app, &first["refresh_token"]).await;
    let access = second["access_token"].as_str().unwrap();
    assert_error(
        app.get_authed("/api/auth/me", access).await,
        401,
        "token_revoked",
    )
    .await;
}
