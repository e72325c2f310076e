//! Register, login, me, refresh and logout: success paths and every error code.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, assert_error, decode, spawn_app};

#[tokio::test]
async fn login_returns_token_pair_with_user_and_lifetimes() {
    let app = spawn_app().await;
    let pair = app.login("alice@example.com").await;
    assert_eq!(pair["token_type"], "bearer");
    assert_eq!(pair["expires_in"], 1800);
    assert_eq!(pair["refresh_expires_in"], 604_800);
    assert_eq!(
        pair["user"],
        json!({"id": "test-user-123", "email": "alice@example.com", "name": "Alice Johnson",
               "roles": ["admin", "user"], "created_at": pair["user"]["created_at"],
               "claims": {}, "email_verified": true, "disabled": false})
    );
    let created_at = pair["user"]["created_at"].as_str().unwrap();
    assert!(
        created_at.ends_with('Z') && created_at.len() == 20,
        "RFC 3339 UTC: {created_at}"
    );
}

#[tokio::test]
async fn login_email_is_trimmed_and_case_insensitive() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/auth/login",
            &json!({"email": "  BOB@Example.com ", "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn login_with_wrong_password_or_unknown_email_is_the_same_401() {
    let app = spawn_app().await;
    let wrong = app
        .post_json(
            "/api/auth/login",
            &json!({"email": "alice@example.com", "password": "nope-nope"}),
        )
        .await;
    assert_eq!(wrong.headers()["www-authenticate"], "Bearer");
    let wrong = assert_error(wrong, 401, "invalid_credentials").await;
    let unknown = app
        .post_json(
            "/api/auth/login",
            &json!({"email": "nobody@example.com", "password": PASSWORD}),
        )
        .await;
    let unknown = assert_error(unknown, 401, "invalid_credentials").await;
    assert_eq!(wrong, unknown);
}

#[tokio::test]
async fn login_with_password_sharing_first_72_bytes_is_refused() {
    let app = spawn_app().await;
    let long = "a".repeat(72);
    app.post_json(
        "/api/auth/register",
        &json!({"email": "long@example.com", "password": long, "name": "L"}),
    )
    .await;
    let longer = format!("{long}EXTRA");
    let response = app
        .post_json(
            "/api/auth/login",
            &json!({"email": "long@example.com", "password": longer}),
        )
        .await;
    assert_error(response, 401, "invalid_credentials").await;
}

#[tokio::test]
async fn login_with_missing_or_empty_fields_is_422_naming_the_field() {
    let app = spawn_app().await;
    let missing = app
        .post_json("/api/auth/login", &json!({"email": "alice@example.com"}))
        .await;
    let body = assert_error(missing, 422, "validation_error").await;
    assert!(
        body["detail"].as_str().unwrap().contains("password"),
        "{body}"
    );
    let empty = app
        .post_json("/api/auth/login", &json!({"email": " ", "password": "x"}))
        .await;
    let body = assert_error(empty, 422, "validation_error").await;
    assert!(body["detail"].as_str().unwrap().contains("email"), "{body}");
}

#[tokio::test]
async fn register_creates_user_with_uuid_id_and_user_role() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/auth/register",
            &json!({"email": " New.Person@Example.com ", "password": "longenough", "name": "  New Person "}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let pair: Value = response.json().await.unwrap();
    let user = &pair["user"];
    let id = user["id"].as_str().unwrap();
    let uuid = id.strip_prefix("user-").expect("user- prefix");
    assert_eq!(uuid::Uuid::parse_str(uuid).unwrap().get_version_num(), 4);
    assert_eq!(user["email"], "new.person@example.com");
    assert_eq!(user["name"], "New Person");
    assert_eq!(user["roles"], json!(["user"]));
    assert_eq!(decode(pair["access_token"].as_str().unwrap())["sub"], id);
    // The new user can log in.
    let login = app
        .post_json(
            "/api/auth/login",
            &json!({"email": "new.person@example.com", "password": "longenough"}),
        )
        .await;
    assert_eq!(login.status(), StatusCode::OK);
}

#[tokio::test]
async fn register_with_taken_email_in_any_case_is_409() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/auth/register",
            &json!({"email": "ALICE@example.com", "password": PASSWORD, "name": "A"}),
        )
        .await;
    assert_error(response, 409, "email_taken").await;
}

#[tokio::test]
async fn register_validation_errors_name_the_field() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"email": "not-an-email", "password": PASSWORD, "name": "N"}),
            "email",
        ),
        (
            json!({"email": "a@nodot", "password": PASSWORD, "name": "N"}),
            "email",
        ),
        (
            json!({"email": format!("{}@example.com", "a".repeat(250)), "password": PASSWORD, "name": "N"}),
            "email",
        ),
        (
            json!({"email": "ok@example.com", "password": "short", "name": "N"}),
            "password",
        ),
        (
            json!({"email": "ok@example.com", "password": "x".repeat(73), "name": "N"}),
            "password",
        ),
        (
            json!({"email": "ok@example.com", "password": PASSWORD, "name": "   "}),
            "name",
        ),
        (
            json!({"email": "ok@example.com", "password": PASSWORD, "name": "n".repeat(101)}),
            "name",
        ),
        (
            json!({"email": "ok@example.com", "password": PASSWORD}),
            "name",
        ),
        (
            json!({"email": 42, "password": PASSWORD, "name": "N"}),
            "email",
        ),
    ];
    for (body, field) in cases {
        let response = app.post_json("/api/auth/register", &body).await;
        let error = assert_error(response, 422, "validation_error").await;
        assert!(
            error["detail"].as_str().unwrap().contains(field),
            "{field}: {error}"
        );
    }
    assert_eq!(
        app.state.users.len(),
        5,
        "no invalid registration was stored"
    );
}

#[tokio::test]
async fn register_accepts_password_of_exactly_72_bytes() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/auth/register",
            &json!({"email": "b72@example.com", "password": "é".repeat(36), "name": "B"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn concurrent_registrations_of_one_email_have_exactly_one_winner() {
    let app = spawn_app().await;
    let attempts = (0..20).map(|i| {
        app.post_json(
            "/api/auth/register",
            &json!({"email": "race@example.com", "password": PASSWORD, "name": format!("Racer {i}")}),
        )
    });
    let statuses: Vec<u16> = futures_statuses(attempts).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        19,
        "{statuses:?}"
    );
    assert_eq!(app.state.users.len(), 6);
}

async fn futures_statuses(
    requests: impl Iterator<Item = impl std::future::Future<Output = reqwest::Response>>,
) -> Vec<u16> {
    let handles: Vec<_> = requests.collect();
    let mut statuses = Vec::new();
    for response in join_all(handles).await {
        statuses.push(response.status().as_u16());
    }
    statuses
}

/// Polls all futures concurrently (they share this task, so they overlap).
pub async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in pinned.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
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
    outputs.into_iter().flatten().collect()
}

#[tokio::test]
async fn me_returns_the_token_user() {
    let app = spawn_app().await;
    let pair = app.login("diana@example.com").await;
    let response = app
        .get_authed("/api/auth/me", pair["access_token"].as_str().unwrap())
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let user: Value = response.json().await.unwrap();
    assert_eq!(user, pair["user"]);
    let text = user.to_string();
    assert!(
        !text.contains("password") && !text.contains("$2b$"),
        "no secret in {text}"
    );
}

#[tokio::test]
async fn me_without_token_is_missing_token_with_bearer_challenge() {
    let app = spawn_app().await;
    let response = app.get("/api/auth/me").await;
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_error(response, 401, "missing_token").await;
    let basic = app
        .client
        .get(app.url("/api/auth/me"))
        .header("authorization", "Basic YWxpY2U6cGFzcw==")
        .send()
        .await
        .unwrap();
    assert_error(basic, 401, "missing_token").await;
}

#[tokio::test]
async fn me_with_garbage_token_is_invalid_token_with_error_challenge() {
    let app = spawn_app().await;
    let response = app.get_authed("/api/auth/me", "not.a.jwt").await;
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.starts_with(r#"Bearer error="invalid_token""#),
        "{challenge}"
    );
    assert_error(response, 401, "invalid_token").await;
}

#[tokio::test]
async fn me_with_refresh_token_is_wrong_token_type() {
    let app = spawn_app().await;
    let pair = app.login("bob@example.com").await;
    let response = app
        .get_authed("/api/auth/me", pair["refresh_token"].as_str().unwrap())
        .await;
    assert_error(response, 401, "wrong_token_type").await;
}

#[tokio::test]
async fn me_after_user_was_reset_away_is_user_not_found() {
    let app = spawn_app().await;
    let pair = app.register("gone@example.com").await;
    app.delete("/api/auth/users/reset").await;
    let response = app
        .get_authed("/api/auth/me", pair["access_token"].as_str().unwrap())
        .await;
    assert_error(response, 401, "user_not_found").await;
}

#[tokio::test]
async fn refresh_rotates_and_refuses_reuse() {
    let app = spawn_app().await;
    let pair = app.login("alice@example.com").await;
    let old = pair["refresh_token"].as_str().unwrap();
    let response = app
        .post_json("/api/auth/refresh", &json!({"refresh_token": old}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let new: Value = response.json().await.unwrap();
    assert_ne!(new["refresh_token"], pair["refresh_token"]);
    assert_ne!(new["access_token"], pair["access_token"]);
    assert_eq!(new["user"]["id"], "test-user-123");
    let reuse = app
        .post_json("/api/auth/refresh", &json!({"refresh_token": old}))
        .await;
    let challenge = reuse.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );
    assert_error(reuse, 401, "token_revoked").await;
    // The rotated token works once.
    let next = app
        .post_json(
            "/api/auth/refresh",
            &json!({"refresh_token": new["refresh_token"]}),
        )
        .await;
    assert_eq!(next.status(), StatusCode::OK);
}

#[tokio::test]
async fn concurrent_refreshes_of_one_token_have_exactly_one_winner() {
    let app = spawn_app().await;
    let pair = app.login("charlie@example.com").await;
    let body = json!({"refresh_token": pair["refresh_token"]});
    let attempts: Vec<_> = (0..20)
        .map(|_| app.post_json("/api/auth/refresh", &body))
        .collect();
    let statuses: Vec<u16> = join_all(attempts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        19,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn refresh_with_access_token_is_wrong_token_type() {
    let app = spawn_app().await;
    let pair = app.login("alice@example.com").await;
    let response = app
        .post_json(
            "/api/auth/refresh",
            &json!({"refresh_token": pair["access_token"]}),
        )
        .await;
    assert_error(response, 401, "wrong_token_type").await;
}

#[tokio::test]
async fn refresh_with_garbage_or_missing_token() {
    let app = spawn_app().await;
    let garbage = app
        .post_json("/api/auth/refresh", &json!({"refresh_token": "abc"}))
        .await;
    assert_error(garbage, 401, "invalid_token").await;
    let missing = app.post_json("/api/auth/refresh", &json!({})).await;
    let body = assert_error(missing, 422, "validation_error").await;
    assert!(body["detail"].as_str().unwrap().contains("refresh_token"));
}

#[tokio::test]
async fn logout_revokes_the_refresh_token() {
    let app = spawn_app().await;
    let pair = app.login("ethan@example.com").await;
    let body = json!({"refresh_token": pair["refresh_token"]});
    let response = app.post_json("/api/auth/logout", &body).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.bytes().await.unwrap().is_empty());
    assert_error(
        app.post_json("/api/auth/refresh", &body).await,
        401,
        "token_revoked",
    )
    .await;
    assert_error(
        app.post_json("/api/auth/logout", &body).await,
        401,
        "token_revoked",
    )
    .await;
}

#[tokio::test]
async fn reset_revokes_refresh_tokens_issued_before_it_even_in_the_same_second() {
    let app = spawn_app().await;
    let before = app.login("alice@example.com").await;
    app.delete("/api/auth/users/reset").await;
    let after = app.login("alice@example.com").await;
    let refused = app
        .post_json(
            "/api/auth/refresh",
            &json!({"refresh_token": before["refresh_token"]}),
        )
        .await;
    assert_error(refused, 401, "token_revoked").await;
    let accepted = app
        .post_json(
            "/api/auth/refresh",
            &json!({"refresh_token": after["refresh_token"]}),
        )
        .await;
    assert_eq!(accepted.status(), StatusCode::OK);
}

#[tokio::test]
async fn refresh_for_a_user_reset_away_is_user_not_found() {
    let app = spawn_app().await;
    let pair = app.register("temp@example.com").await;
    // A token for the vanished user that is not revoked: signed after the reset.
    app.delete("/api/auth/users/reset").await;
    let mut claims = app
        .state
        .tokens
        .verify(
            pair["refresh_token"].as_str().unwrap(),
            mock_auth_server::auth::tokens::TokenType::Refresh,
        )
        .await
        .unwrap();
    claims.jti = uuid::Uuid::now_v7().to_string();
    let token = app.sign(&claims).await;
    let response = app
        .post_json("/api/auth/refresh", &json!({"refresh_token": token}))
        .await;
    assert_error(response, 401, "user_not_found").await;
}
