//! Token format (a contract with the chat-api) and strict verification.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use mock_auth_server::config::JwtAlgorithm;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{SECRET, assert_error, claims_unchecked, decode, now, spawn_app, spawn_with};

fn keys(claims: &Value) -> Vec<String> {
    let mut keys: Vec<String> = claims.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

fn header_of(token: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    json!({"alg": format!("{:?}", header.alg), "typ": header.typ})
}

#[tokio::test]
async fn access_token_has_exactly_the_contract_claims() {
    let app = spawn_app().await;
    let pair = app.login("alice@example.com").await;
    let token = pair["access_token"].as_str().unwrap();
    assert_eq!(header_of(token), json!({"alg": "HS256", "typ": "JWT"}));
    let claims = decode(token);
    assert_eq!(
        keys(&claims),
        [
            "email", "exp", "iat", "iss", "jti", "name", "roles", "sub", "type"
        ]
    );
    assert_eq!(claims["sub"], "test-user-123");
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(claims["name"], "Alice Johnson");
    assert_eq!(claims["roles"], json!(["admin", "user"]));
    assert_eq!(claims["type"], "access");
    assert_eq!(claims["iss"], "mock-auth-server");
    let iat = claims["iat"].as_i64().unwrap();
    assert!((iat - now()).abs() <= 5, "iat is now");
    assert_eq!(claims["exp"].as_i64().unwrap() - iat, 30 * 60);
}

#[tokio::test]
async fn refresh_token_has_exactly_the_contract_claims() {
    let app = spawn_app().await;
    let pair = app.login("bob@example.com").await;
    let claims = decode(pair["refresh_token"].as_str().unwrap());
    assert_eq!(keys(&claims), ["exp", "iat", "iss", "jti", "sub", "type"]);
    assert_eq!(claims["type"], "refresh");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        7 * 86_400
    );
}

#[tokio::test]
async fn jtis_are_unique_across_tokens() {
    let app = spawn_app().await;
    let mut seen = std::collections::HashSet::new();
    for _ in 0..5 {
        let pair = app.login("alice@example.com").await;
        for token in ["access_token", "refresh_token"] {
            assert!(seen.insert(decode(pair[token].as_str().unwrap())["jti"].to_string()));
        }
    }
}

#[tokio::test]
async fn audience_and_lifetimes_follow_configuration() {
    let app = spawn_with(|c| {
        c.jwt_audience = Some("chat-api".into());
        c.jwt_issuer = "test-issuer".into();
        c.access_token_expire_minutes = 5;
        c.refresh_token_expire_days = 1;
    })
    .await;
    let pair = app.login("alice@example.com").await;
    assert_eq!(pair["expires_in"], 300);
    assert_eq!(pair["refresh_expires_in"], 86_400);
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&["chat-api"]);
    validation.set_issuer(&["test-issuer"]);
    let claims = jsonwebtoken::decode::<Value>(
        pair["refresh_token"].as_str().unwrap(),
        &DecodingKey::from_secret(SECRET.as_bytes()),
        &validation,
    )
    .unwrap()
    .claims;
    assert_eq!(claims["aud"], "chat-api");
    assert_eq!(claims["iss"], "test-issuer");
    let me = app
        .get_authed("/api/auth/me", pair["access_token"].as_str().unwrap())
        .await;
    assert_eq!(me.status(), StatusCode::OK);
}

#[tokio::test]
async fn hs512_configuration_signs_with_hs512_and_refuses_hs256() {
    let app = spawn_with(|c| c.jwt_algorithm = JwtAlgorithm::Hs512).await;
    let pair = app.login("alice@example.com").await;
    let token = pair["access_token"].as_str().unwrap();
    assert_eq!(header_of(token)["alg"], "HS512");
    assert_eq!(
        app.get_authed("/api/auth/me", token).await.status(),
        StatusCode::OK
    );
    let hs256 = forge(&claims_unchecked(token), Algorithm::HS256, SECRET);
    assert_error(
        app.get_authed("/api/auth/me", &hs256).await,
        401,
        "invalid_token",
    )
    .await;
}

fn forge(claims: &Value, alg: Algorithm, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn me_with_claims(edit: impl FnOnce(&mut Value)) -> reqwest::Response {
    let app = spawn_app().await;
    let pair = app.login("alice@example.com").await;
    let mut claims = decode(pair["access_token"].as_str().unwrap());
    edit(&mut claims);
    let token = forge(&claims, Algorithm::HS256, SECRET);
    let response = app.get_authed("/api/auth/me", &token).await;
    drop(app);
    response
}

#[tokio::test]
async fn expired_access_token_is_token_expired() {
    let response = me_with_claims(|c| {
        c["iat"] = json!(now() - 3600);
        c["exp"] = json!(now() - 10);
    })
    .await;
    assert_error(response, 401, "token_expired").await;
}

#[tokio::test]
async fn token_without_exp_is_invalid() {
    let response = me_with_claims(|c| {
        c.as_object_mut().unwrap().remove("exp");
    })
    .await;
    assert_error(response, 401, "invalid_token").await;
}

#[tokio::test]
async fn token_from_another_issuer_or_for_an_audience_is_invalid() {
    let response = me_with_claims(|c| c["iss"] = json!("someone-else")).await;
    assert_error(response, 401, "invalid_token").await;
    let response = me_with_claims(|c| {
        c.as_object_mut().unwrap().remove("iss");
    })
    .await;
    assert_error(response, 401, "invalid_token").await;
    let response = me_with_claims(|c| c["aud"] = json!("other-api")).await;
    assert_error(response, 401, "invalid_token").await;
}

#[tokio::test]
async fn token_with_access_type_changed_is_wrong_token_type() {
    let response = me_with_claims(|c| c["type"] = json!("id")).await;
    assert_error(response, 401, "wrong_token_type").await;
}

#[tokio::test]
async fn token_signed_with_another_secret_is_invalid() {
    let app = spawn_app().await;
    let pair = app.login("alice@example.com").await;
    let claims = decode(pair["access_token"].as_str().unwrap());
    let forged = forge(&claims, Algorithm::HS256, "not-the-secret");
    assert_error(
        app.get_authed("/api/auth/me", &forged).await,
        401,
        "invalid_token",
    )
    .await;
    let hs384 = forge(&claims, Algorithm::HS384, SECRET);
    assert_error(
        app.get_authed("/api/auth/me", &hs384).await,
        401,
        "invalid_token",
    )
    .await;
}

#[tokio::test]
async fn alg_none_token_is_invalid() {
    let app = spawn_app().await;
    let pair = app.login("alice@example.com").await;
    let payload = pair["access_token"]
        .as_str()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap()
        .to_owned();
    for header in [
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0", // {"alg":"none","typ":"JWT"}
        "eyJhbGciOiJOb25lIiwidHlwIjoiSldUIn0", // {"alg":"None","typ":"JWT"}
    ] {
        let token = format!("{header}.{payload}.");
        assert_error(
            app.get_authed("/api/auth/me", &token).await,
            401,
            "invalid_token",
        )
        .await;
    }
}

#[tokio::test]
async fn expired_refresh_token_is_token_expired() {
    let app = spawn_app().await;
    let pair = app.login("alice@example.com").await;
    let mut claims = decode(pair["refresh_token"].as_str().unwrap());
    claims["exp"] = json!(now() - 1);
    let token = forge(&claims, Algorithm::HS256, SECRET);
    let response = app
        .post_json("/api/auth/refresh", &json!({"refresh_token": token}))
        .await;
    assert_error(response, 401, "token_expired").await;
}
