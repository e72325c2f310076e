//! OAuth 2.0 / OpenID Connect over HTTP: authorize + login page, every
//! grant, userinfo, introspection, revocation, logout and the RFC errors.

use aws_lc_rs::digest;
use mock_auth_server::auth::keys::b64url;
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app, spawn_with};

const REDIRECT: &str = "http://localhost:3000/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-verifier";

fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

fn no_redirect() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn challenge() -> String {
    b64url(digest::digest(&digest::SHA256, VERIFIER.as_bytes()).as_ref())
}

async fn post_form(app: &TestApp, path: &str, body: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(body))
        .send()
        .await
        .expect("sent")
}

fn query_of(location: &str) -> std::collections::HashMap<String, String> {
    let query = location.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

fn authorize_params(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let c = challenge();
    let mut base: Vec<(String, String)> = [
        ("response_type", "code"),
        ("client_id", "spa"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid profile email roles offline_access"),
        ("state", "st-1"),
        ("nonce", "n-1"),
        ("code_challenge", c.as_str()),
        ("code_challenge_method", "S256"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for (k, v) in extra {
        base.retain(|(bk, _)| bk != k);
        base.push(((*k).to_owned(), (*v).to_owned()));
    }
    base
}

/// Logs in as `email` with "continue as" and returns the redirect's query and the cookie.
async fn login_code(
    app: &TestApp,
    email: &str,
    extra: &[(&str, &str)],
) -> (std::collections::HashMap<String, String>, String) {
    let user = app.state.users.find_by_email(email).expect("seeded user");
    let mut params = authorize_params(extra);
    params.push(("action".into(), "continue".into()));
    params.push(("user_id".into(), user.id.to_string()));
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let response = no_redirect()
        .post(app.url("/oauth2/authorize"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&pairs))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 302);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(REDIRECT));
    (
        query_of(&location),
        cookie.split(';').next().unwrap().to_owned(),
    )
}

async fn exchange(app: &TestApp, code: &str) -> reqwest::Response {
    post_form(
        app,
        "/oauth2/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", "spa"),
            ("code_verifier", VERIFIER),
        ],
    )
    .await
}

fn claims(jwt: &str) -> Value {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn code_flow_with_pkce_gives_access_refresh_and_id_tokens() {
    let app = spawn_app().await;
    let (query, _) = login_code(&app, "alice@example.com", &[]).await;
    assert_eq!(query["state"], "st-1");
    let response = exchange(&app, &query["code"]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["refresh_token"].is_string());
    let access = claims(body["access_token"].as_str().unwrap());
    assert_eq!(access["type"], "access");
    assert_eq!(access["client_id"], "spa");
    assert_eq!(access["aud"], "spa");
    let id = claims(body["id_token"].as_str().unwrap());
    assert_eq!(id["nonce"], "n-1");
    assert_eq!(id["aud"], "spa");
    assert_eq!(id["email"], "alice@example.com");
    let expected = {
        let d = digest::digest(
            &digest::SHA256,
            body["access_token"].as_str().unwrap().as_bytes(),
        );
        b64url(&d.as_ref()[..16])
    };
    assert_eq!(id["at_hash"], expected);
    // The access token works on /me and on userinfo.
    let me = app
        .get_authed("/api/auth/me", body["access_token"].as_str().unwrap())
        .await;
    assert_eq!(me.status(), 200);
    let info: Value = app
        .get_authed("/oauth2/userinfo", body["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info["email"], "alice@example.com");
}

#[tokio::test]
async fn a_second_use_of_a_code_is_invalid_grant_and_revokes_its_tokens() {
    let app = spawn_app().await;
    let (query, _) = login_code(&app, "alice@example.com", &[]).await;
    let first: Value = exchange(&app, &query["code"]).await.json().await.unwrap();
    let second = exchange(&app, &query["code"]).await;
    assert_eq!(second.status(), 400);
    let error: Value = second.json().await.unwrap();
    assert_eq!(error["error"], "invalid_grant");
    assert_eq!(error["code"], "invalid_grant");
    let me = app
        .get_authed("/api/auth/me", first["access_token"].as_str().unwrap())
        .await;
    assert_eq!(me.status(), 401);
}

#[tokio::test]
async fn a_wrong_verifier_and_an_expired_code_are_invalid_grant() {
    let app = spawn_app().await;
    let (query, _) = login_code(&app, "alice@example.com", &[]).await;
    let bad = post_form(
        &app,
        "/oauth2/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &query["code"]),
            ("redirect_uri", REDIRECT),
            ("client_id", "spa"),
            ("code_verifier", &"x".repeat(43)),
        ],
    )
    .await;
    assert_eq!(bad.status(), 400);
    let (query, _) = login_code(&app, "alice@example.com", &[]).await;
    app.state.clock.advance(61);
    let late: Value = exchange(&app, &query["code"]).await.json().await.unwrap();
    assert_eq!(late["error"], "invalid_grant");
}

#[tokio::test]
async fn refresh_rotates_and_reuse_is_invalid_grant() {
    let app = spawn_app().await;
    let (query, _) = login_code(&app, "alice@example.com", &[]).await;
    let first: Value = exchange(&app, &query["code"]).await.json().await.unwrap();
    let rt = first["refresh_token"].as_str().unwrap();
    let body = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt),
        ("client_id", "spa"),
    ];
    let again = post_form(&app, "/oauth2/token", &body).await;
    assert_eq!(again.status(), 200);
    let reuse: Value = post_form(&app, "/oauth2/token", &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(reuse["error"], "invalid_grant");
}

#[tokio::test]
async fn password_grant_checks_the_password() {
    let app = spawn_app().await;
    let ok = post_form(
        &app,
        "/oauth2/token",
        &[
            ("grant_type", "password"),
            ("username", "alice@example.com"),
            ("password", "password123"),
            ("client_id", "cli"),
            ("scope", "openid email"),
        ],
    )
    .await;
    assert_eq!(ok.status(), 200);
    let body: Value = ok.json().await.unwrap();
    assert!(body["id_token"].is_string() && body["refresh_token"].is_string());
    let bad: Value = post_form(
        &app,
        "/oauth2/token",
        &[
            ("grant_type", "password"),
            ("username", "alice@example.com"),
            ("password", "nope-nope"),
            ("client_id", "cli"),
        ],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(bad["error"], "invalid_grant");
}

#[tokio::test]
async fn client_credentials_with_basic_has_the_client_as_sub_and_no_refresh_token() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/oauth2/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", "Basic YmFja2VuZDpzM2NyZXQ=") // backend:s3cret
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body.get("refresh_token").is_none());
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["sub"],
        "backend"
    );
    let public: Value = post_form(
        &app,
        "/oauth2/token",
        &[("grant_type", "client_credentials"), ("client_id", "x")],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(public["error"], "invalid_client");
}

#[tokio::test]
async fn malformed_token_requests_are_rfc_errors() {
    let app = spawn_app().await;
    let json = app
        .client
        .post(app.url("/oauth2/token"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 400);
    assert_eq!(
        json.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );
    let dup: Value = app
        .client
        .post(app.url("/oauth2/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=password&grant_type=password")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(dup["error"], "invalid_request");
    let unknown: Value = post_form(
        &app,
        "/oauth2/token",
        &[("grant_type", "magic"), ("client_id", "x")],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(unknown["error"], "unsupported_grant_type");
    let missing: Value = post_form(&app, "/oauth2/token", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(missing["error"], "invalid_request");
}

#[tokio::test]
async fn authorize_shows_the_login_page_and_errors_go_back_to_the_client() {
    let app = spawn_app().await;
    let params = authorize_params(&[("login_hint", "bob@example.com")]);
    let query = form(
        &params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
    );
    let page = app.get(&format!("/oauth2/authorize?{query}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Continue as")
            && html.contains("alice@example.com")
            && html.contains("autofocus")
    );
    assert!(!html.contains("http://") || !html.contains("<link"));
    let bad = authorize_params(&[("response_type", "token")]);
    let query = form(
        &bad.iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
    );
    let response = no_redirect()
        .get(app.url(&format!("/oauth2/authorize?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let q = query_of(response.headers()["location"].to_str().unwrap());
    assert_eq!(q["error"], "unsupported_response_type");
    assert_eq!(q["state"], "st-1");
    let foreign = authorize_params(&[("redirect_uri", "https://evil.example/cb")]);
    let query = form(
        &foreign
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
    );
    let response = no_redirect()
        .get(app.url(&format!("/oauth2/authorize?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let none = authorize_params(&[("prompt", "none")]);
    let query = form(
        &none
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
    );
    let response = no_redirect()
        .get(app.url(&format!("/oauth2/authorize?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        query_of(response.headers()["location"].to_str().unwrap())["error"],
        "login_required"
    );
}

#[tokio::test]
async fn the_session_cookie_skips_the_page_and_logout_ends_it() {
    let app = spawn_app().await;
    let (_, cookie) = login_code(&app, "alice@example.com", &[]).await;
    let params = authorize_params(&[]);
    let query = form(
        &params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
    );
    let again = no_redirect()
        .get(app.url(&format!("/oauth2/authorize?{query}")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 302);
    assert!(query_of(again.headers()["location"].to_str().unwrap()).contains_key("code"));
    let out = no_redirect()
        .get(app.url(
            "/oauth2/logout?post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A3000%2F&state=bye",
        ))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 302);
    assert_eq!(
        out.headers()["location"],
        "http://localhost:3000/?state=bye"
    );
    let after = no_redirect()
        .get(app.url(&format!("/oauth2/authorize?{query}")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 200);
}

#[tokio::test]
async fn wrong_password_and_bad_claims_are_shown_on_the_page_and_deny_is_access_denied() {
    let app = spawn_app().await;
    let mut params = authorize_params(&[]);
    params.extend([
        ("action".into(), "password".into()),
        ("email".into(), "alice@example.com".into()),
        ("password".into(), "wrong-one".into()),
    ]);
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let page = post_form(&app, "/oauth2/authorize", &pairs).await;
    assert_eq!(page.status(), 401);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Wrong email or password")
    );
    let mut params = authorize_params(&[]);
    params.extend([
        ("action".into(), "continue".into()),
        ("user_id".into(), "x".into()),
        ("extra_claims".into(), "{nope".into()),
    ]);
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let page = post_form(&app, "/oauth2/authorize", &pairs).await;
    assert_eq!(page.status(), 400);
    assert!(page.text().await.unwrap().contains("not valid JSON"));
    let mut params = authorize_params(&[]);
    params.push(("action".into(), "deny".into()));
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let response = no_redirect()
        .post(app.url("/oauth2/authorize"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&pairs))
        .send()
        .await
        .unwrap();
    assert_eq!(
        query_of(response.headers()["location"].to_str().unwrap())["error"],
        "access_denied"
    );
}

#[tokio::test]
async fn extra_claims_of_the_login_go_into_the_tokens() {
    let app = spawn_app().await;
    let (query, _) = login_code(
        &app,
        "alice@example.com",
        &[("extra_claims", r#"{"tenant":"acme"}"#)],
    )
    .await;
    let body: Value = exchange(&app, &query["code"]).await.json().await.unwrap();
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["tenant"],
        "acme"
    );
    assert_eq!(claims(body["id_token"].as_str().unwrap())["tenant"], "acme");
}

#[tokio::test]
async fn extra_claims_that_set_a_reserved_claim_are_shown_on_the_page() {
    let app = spawn_app().await;
    let mut params = authorize_params(&[]);
    params.extend([
        ("action".into(), "continue".into()),
        ("user_id".into(), "test-user-123".into()),
        (
            "extra_claims".into(),
            r#"{"email":"mallory@example.com"}"#.into(),
        ),
    ]);
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let page = post_form(&app, "/oauth2/authorize", &pairs).await;
    assert_eq!(page.status(), 400);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("may not set &quot;email&quot;")
            || html.contains("may not set &#34;email&#34;"),
        "{html}"
    );
}

#[tokio::test]
async fn introspection_and_revocation_follow_rfc_7662_and_7009() {
    let app = spawn_app().await;
    let (query, _) = login_code(&app, "alice@example.com", &[]).await;
    let body: Value = exchange(&app, &query["code"]).await.json().await.unwrap();
    let at = body["access_token"].as_str().unwrap();
    let active: Value = post_form(&app, "/oauth2/introspect", &[("token", at)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(active["active"], true);
    assert_eq!(active["client_id"], "spa");
    let junk: Value = post_form(&app, "/oauth2/introspect", &[("token", "not.a.jwt")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(junk, serde_json::json!({"active": false}));
    assert_eq!(
        post_form(&app, "/oauth2/revoke", &[("token", at)])
            .await
            .status(),
        200
    );
    assert_eq!(
        post_form(&app, "/oauth2/revoke", &[("token", "garbage")])
            .await
            .status(),
        200
    );
    let after: Value = post_form(&app, "/oauth2/introspect", &[("token", at)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["active"], false);
    let info = app.get_authed("/oauth2/userinfo", at).await;
    assert_eq!(info.status(), 401);
    assert!(
        info.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    assert_eq!(app.get_authed("/api/auth/me", at).await.status(), 401);
}

#[tokio::test]
async fn strict_clients_check_secrets_and_exact_redirect_uris() {
    let dir = std::env::temp_dir().join(format!("clients-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(
        &dir,
        r#"[{"client_id":"web","client_secret":"pw","redirect_uris":["https://app.example/cb"]}]"#,
    )
    .unwrap();
    let path = dir.clone();
    let app = spawn_with(move |c| c.oauth.oauth_clients_file = Some(path)).await;
    let unknown = app
        .client
        .post(app.url("/oauth2/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", "Basic bm9ib2R5Onh4")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 401);
    assert!(
        unknown.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    let wrong: Value = post_form(
        &app,
        "/oauth2/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "web"),
            ("client_secret", "no"),
        ],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(wrong["error"], "invalid_client");
    let ok = post_form(
        &app,
        "/oauth2/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "web"),
            ("client_secret", "pw"),
        ],
    )
    .await;
    assert_eq!(ok.status(), 200);
    let loopback = app
        .get(&format!(
            "/oauth2/authorize?response_type=code&client_id=web&redirect_uri={}",
            "http%3A%2F%2Flocalhost%3A3000%2Fcb"
        ))
        .await;
    assert_eq!(loopback.status(), 400);
    let introspect = post_form(&app, "/oauth2/introspect", &[("token", "x")]).await;
    assert_eq!(introspect.status(), 401);
    let _ = std::fs::remove_file(dir);
}

#[test]
fn a_clients_file_that_does_not_parse_names_the_setting_and_the_entry() {
    let dir = std::env::temp_dir().join(format!("clients-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(
        &dir,
        r#"[{"client_id":"ok","redirect_uris":[]},{"client_id":"bad","redirect_uris":"nope"}]"#,
    )
    .unwrap();
    let mut config = mock_auth_server::config::Config::default();
    config.oauth.oauth_clients_file = Some(dir.clone());
    let error = mock_auth_server::oauth::OAuthState::new(&config)
        .err()
        .expect("refused");
    assert!(
        error.contains("OAUTH_CLIENTS_FILE") && error.contains("'bad'"),
        "{error}"
    );
    let _ = std::fs::remove_file(dir);
}

// openid-client reads the challenge of a 401 before its body: a client that
// authenticated in the form body presented no access token, so RFC 6750's
// `error="invalid_token"` would send it looking for a bad token it never
// had. Basic keeps its own challenge; userinfo keeps `invalid_token`.
#[tokio::test]
async fn invalid_client_without_basic_is_a_plain_bearer_challenge() {
    let app = spawn_app().await;
    let public = post_form(
        &app,
        "/oauth2/token",
        &[("grant_type", "client_credentials"), ("client_id", "x")],
    )
    .await;
    assert_eq!(public.status(), 401);
    assert_eq!(public.headers()["www-authenticate"], "Bearer");
    let body: Value = public.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    let info = app
        .client
        .get(app.url("/oauth2/userinfo"))
        .header("authorization", "Bearer not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), 401);
    assert!(
        info.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains(r#"error="invalid_token""#)
    );
}
