//! Section 9: OAuth 2.0 and OpenID Connect over HTTP — the code flow through
//! the login form, every grant, the errors, strict clients, userinfo,
//! introspection, revocation and logout.

use base64::Engine;
use jsonwebtoken::{DecodingKey, Validation, jwk::Jwk};
use reqwest::header::{CONTENT_TYPE, LOCATION, SET_COOKIE};
use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp, decode, spawn_app, spawn_with};

const REDIRECT: &str = "http://localhost:3000/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn encode(pairs: &[(&str, &str)]) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        form.append_pair(k, v);
    }
    form.finish()
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn post_form(app: &TestApp, path: &str, pairs: &[(&str, &str)]) -> Response {
    no_redirects()
        .post(app.url(path))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(encode(pairs))
        .send()
        .await
        .unwrap()
}

async fn get(app: &TestApp, path: &str, cookie: Option<&str>) -> Response {
    let mut request = no_redirects().get(app.url(path));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

async fn authorize(app: &TestApp, params: &[(&str, &str)], cookie: Option<&str>) -> Response {
    get(
        app,
        &format!("/oauth2/authorize?{}", encode(params)),
        cookie,
    )
    .await
}

/// The query parameters of a redirect's `Location`.
fn location_params(response: &Response) -> (String, Vec<(String, String)>) {
    let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
    let (base, query) = location.split_once('?').unwrap_or((&location, ""));
    let params = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    (base.to_owned(), params)
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn authorize_params<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", "spa"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid profile email roles"),
        ("state", "st-1"),
        ("nonce", "n-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    params.extend_from_slice(extra);
    params
}

/// Logs in as `user_id` through the login form; returns the code and the cookie.
async fn login_code(app: &TestApp, user_id: &str) -> (String, String) {
    let page = authorize(app, &authorize_params(&[]), None).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Continue as Alice Johnson"), "{html}");
    assert!(html.contains(&format!(r#"name="code_challenge" value="{CHALLENGE}""#)));
    let response = post_form(
        app,
        "/oauth2/authorize",
        &authorize_params(&[("user_id", user_id)]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("mas_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(cookie.contains("Path=/"));
    let (base, params) = location_params(&response);
    assert_eq!(base, REDIRECT);
    assert_eq!(param(&params, "state"), Some("st-1"));
    let code = param(&params, "code").unwrap().to_owned();
    (code, cookie.split(';').next().unwrap().to_owned())
}

async fn exchange(app: &TestApp, code: &str, verifier: &str) -> Response {
    post_form(
        app,
        "/oauth2/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", "spa"),
            ("code_verifier", verifier),
        ],
    )
    .await
}

async fn oauth_error(response: Response, status: u16, error: &str) -> Value {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["code"], error);
    assert!(body["error_description"].is_string());
    body
}

async fn verify_id_token(app: &TestApp, token: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    let jwks = app.state.keys().jwks().await.unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"].as_str() == header.kid.as_deref())
        .expect("the ID token's kid is in the JWKS");
    let jwk: Jwk = serde_json::from_value(jwk.clone()).unwrap();
    let key = DecodingKey::from_jwk(&jwk).unwrap();
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&["spa"]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .expect("ID token verifies against the JWKS")
        .claims
}

fn refresh_form(refresh: &str) -> [(&str, &str); 3] {
    [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
        ("client_id", "spa"),
    ]
}

#[tokio::test]
async fn code_flow_with_pkce_through_the_login_form() {
    let app = spawn_app().await;
    let (code, cookie) = login_code(&app, "test-user-123").await;
    let response = exchange(&app, &code, VERIFIER).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "openid profile email roles");
    assert!(body["expires_in"].as_i64().unwrap() > 0);
    assert!(body["refresh_token"].is_string());
    let access = body["access_token"].as_str().unwrap();
    let claims = decode(access);
    assert_eq!(claims["type"], "access");
    assert_eq!(claims["client_id"], "spa");
    assert_eq!(claims["aud"], "spa");
    assert_eq!(claims["scope"], "openid profile email roles");

    let id = verify_id_token(&app, body["id_token"].as_str().unwrap()).await;
    assert_eq!(id["sub"], "test-user-123");
    assert_eq!(id["nonce"], "n-1");
    assert_eq!(id["email"], "alice@example.com");
    assert_eq!(id["email_verified"], true);
    assert_eq!(id["name"], "Alice Johnson");
    assert!(id["auth_time"].is_i64());
    assert!(id["iss"].as_str().unwrap().starts_with("http://127.0.0.1:"));
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access.as_bytes());
    let half = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16]);
    assert_eq!(id["at_hash"], half);

    // The REST API accepts the OAuth access token; so does userinfo.
    let me = app.get_authed("/api/auth/me", access).await;
    assert_eq!(me.status(), StatusCode::OK);
    let info: Value = app
        .get_authed("/oauth2/userinfo", access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info["sub"], "test-user-123");
    assert_eq!(info["email"], "alice@example.com");
    assert_eq!(info["roles"], serde_json::json!(["admin", "user"]));

    // With the session cookie the page is skipped, unless prompt=login.
    let again = authorize(&app, &authorize_params(&[]), Some(&cookie)).await;
    assert_eq!(again.status(), StatusCode::FOUND);
    let (_, params) = location_params(&again);
    assert!(param(&params, "code").is_some());
    let forced = authorize(
        &app,
        &authorize_params(&[("prompt", "login")]),
        Some(&cookie),
    )
    .await;
    assert_eq!(forced.status(), StatusCode::OK);

    // A second use of the code fails and revokes what the first gave.
    oauth_error(exchange(&app, &code, VERIFIER).await, 400, "invalid_grant").await;
    let me = app.get_authed("/api/auth/me", access).await;
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    let refresh = body["refresh_token"].as_str().unwrap();
    let refreshed = post_form(&app, "/oauth2/token", &refresh_form(refresh)).await;
    oauth_error(refreshed, 400, "invalid_grant").await;
}

#[tokio::test]
async fn wrong_verifier_and_missing_pkce() {
    let app = spawn_app().await;
    let (code, _) = login_code(&app, "test-user-123").await;
    let wrong = "x".repeat(43);
    oauth_error(exchange(&app, &code, &wrong).await, 400, "invalid_grant").await;
    // Public clients must send a challenge: an error redirect.
    let response = authorize(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", "spa"),
            ("redirect_uri", REDIRECT),
            ("state", "s"),
        ],
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let (_, params) = location_params(&response);
    assert_eq!(param(&params, "error"), Some("invalid_request"));
    assert_eq!(param(&params, "state"), Some("s"));
}

#[tokio::test]
async fn authorize_errors_page_or_redirect() {
    let app = spawn_app().await;
    let bad_redirect = authorize(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", "spa"),
            ("redirect_uri", "https://evil.example/cb"),
        ],
        None,
    )
    .await;
    assert_eq!(bad_redirect.status(), StatusCode::BAD_REQUEST);
    assert!(bad_redirect.headers().get(LOCATION).is_none());
    let content_type = bad_redirect.headers()[CONTENT_TYPE].to_str().unwrap();
    assert!(content_type.starts_with("text/html"));

    let mut params = authorize_params(&[]);
    params[0] = ("response_type", "token");
    let response = authorize(&app, &params, None).await;
    let (_, query) = location_params(&response);
    assert_eq!(param(&query, "error"), Some("unsupported_response_type"));
    assert_eq!(param(&query, "state"), Some("st-1"));

    let none = authorize(&app, &authorize_params(&[("prompt", "none")]), None).await;
    let (_, query) = location_params(&none);
    assert_eq!(param(&query, "error"), Some("login_required"));

    let deny = post_form(
        &app,
        "/oauth2/authorize",
        &authorize_params(&[("action", "deny")]),
    )
    .await;
    let (_, query) = location_params(&deny);
    assert_eq!(param(&query, "error"), Some("access_denied"));
    assert_eq!(param(&query, "state"), Some("st-1"));

    let bad_json = post_form(
        &app,
        "/oauth2/authorize",
        &authorize_params(&[("user_id", "test-user-123"), ("claims", "{not json")]),
    )
    .await;
    assert_eq!(bad_json.status(), StatusCode::BAD_REQUEST);
    let html = bad_json.text().await.unwrap();
    assert!(html.contains("Extra claims are not valid JSON"));

    let wrong = post_form(
        &app,
        "/oauth2/authorize",
        &authorize_params(&[
            ("action", "password"),
            ("email", "alice@example.com"),
            ("password", "nope-nope"),
        ]),
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("Wrong email or password")
    );

    let hinted = authorize(
        &app,
        &authorize_params(&[("login_hint", "bob@example.com")]),
        None,
    )
    .await;
    let html = hinted.text().await.unwrap();
    assert!(html.contains(r#"value="bob@example.com""#));
    assert_eq!(html.matches("autofocus").count(), 1);
}

#[tokio::test]
async fn password_login_with_extra_claims() {
    let app = spawn_app().await;
    let response = post_form(
        &app,
        "/oauth2/authorize",
        &authorize_params(&[
            ("action", "password"),
            ("email", "alice@example.com"),
            ("password", PASSWORD),
            ("claims", r#"{"tenant": "acme"}"#),
        ]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, params) = location_params(&response);
    let body: Value = exchange(&app, param(&params, "code").unwrap(), VERIFIER)
        .await
        .json()
        .await
        .unwrap();
    let access = decode(body["access_token"].as_str().unwrap());
    assert_eq!(access["tenant"], "acme");
    let id = verify_id_token(&app, body["id_token"].as_str().unwrap()).await;
    assert_eq!(id["tenant"], "acme");
}

#[tokio::test]
async fn password_grant_and_refresh_rotation() {
    let app = spawn_app().await;
    let response = post_form(
        &app,
        "/oauth2/token",
        &[
            ("grant_type", "password"),
            ("username", "alice@example.com"),
            ("password", PASSWORD),
            ("client_id", "spa"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["scope"], "openid profile email");
    assert!(body["id_token"].is_string());
    let refresh = body["refresh_token"].as_str().unwrap();
    let rotated = post_form(&app, "/oauth2/token", &refresh_form(refresh)).await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let rotated: Value = rotated.json().await.unwrap();
    assert_ne!(rotated["refresh_token"], body["refresh_token"]);
    assert_eq!(rotated["scope"], "openid profile email");
    let reused = post_form(&app, "/oauth2/token", &refresh_form(refresh)).await;
    oauth_error(reused, 400, "invalid_grant").await;
    let wrong = post_form(
        &app,
        "/oauth2/token",
        &[
            ("grant_type", "password"),
            ("username", "alice@example.com"),
            ("password", "wrong-password"),
            ("client_id", "spa"),
        ],
    )
    .await;
    oauth_error(wrong, 400, "invalid_grant").await;
}

#[tokio::test]
async fn client_credentials() {
    let app = spawn_app().await;
    let response = no_redirects()
        .post(app.url("/oauth2/token"))
        .basic_auth("backend", Some("any-secret"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&scope=roles")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert!(body.get("refresh_token").is_none() && body.get("id_token").is_none());
    assert_eq!(body["scope"], "roles");
    let claims = decode(body["access_token"].as_str().unwrap());
    assert_eq!(claims["sub"], "backend");
    assert_eq!(claims["type"], "access");
    assert_eq!(claims["client_id"], "backend");
    let public = post_form(
        &app,
        "/oauth2/token",
        &[("grant_type", "client_credentials"), ("client_id", "spa")],
    )
    .await;
    oauth_error(public, 400, "unauthorized_client").await;
}

#[tokio::test]
async fn malformed_token_requests() {
    let app = spawn_app().await;
    let dup = no_redirects()
        .post(app.url("/oauth2/token"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("grant_type=password&grant_type=password&client_id=a")
        .send()
        .await
        .unwrap();
    oauth_error(dup, 400, "invalid_request").await;
    let json = app
        .post_json(
            "/oauth2/token",
            &serde_json::json!({"grant_type": "password"}),
        )
        .await;
    oauth_error(json, 400, "invalid_request").await;
    let unknown = post_form(
        &app,
        "/oauth2/token",
        &[("grant_type", "magic"), ("client_id", "a")],
    )
    .await;
    oauth_error(unknown, 400, "unsupported_grant_type").await;
    let missing = post_form(&app, "/oauth2/token", &[("client_id", "a")]).await;
    oauth_error(missing, 400, "invalid_request").await;
}

#[tokio::test]
async fn strict_clients_file() {
    let path = std::env::temp_dir().join(format!("oauth-clients-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(
        &path,
        r#"[{"client_id": "web", "client_secret": "s3cret", "redirect_uris": ["https://app.example/cb"],
             "post_logout_redirect_uris": ["https://app.example/bye"]}]"#,
    )
    .unwrap();
    let file = path.clone();
    let app = spawn_with(move |c| c.oauth.oauth_clients_file = Some(file)).await;
    std::fs::remove_file(&path).unwrap();
    let unknown = no_redirects()
        .post(app.url("/oauth2/token"))
        .basic_auth("nobody", Some("x"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    let challenge = unknown.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Basic"), "{challenge}");
    oauth_error(unknown, 401, "invalid_client").await;
    let wrong = post_form(
        &app,
        "/oauth2/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "web"),
            ("client_secret", "nope"),
        ],
    )
    .await;
    oauth_error(wrong, 401, "invalid_client").await;
    let ok = post_form(
        &app,
        "/oauth2/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "web"),
            ("client_secret", "s3cret"),
        ],
    )
    .await;
    assert_eq!(ok.status(), StatusCode::OK);
    // Loopback is no longer enough: only the registered URI.
    let page = authorize(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", "web"),
            ("redirect_uri", REDIRECT),
        ],
        None,
    )
    .await;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    // Introspection needs client authentication.
    let anonymous = post_form(&app, "/oauth2/introspect", &[("token", "x")]).await;
    oauth_error(anonymous, 401, "invalid_client").await;
    let logout = get(
        &app,
        "/oauth2/logout?post_logout_redirect_uri=https%3A%2F%2Fapp.example%2Fbye&state=z",
        None,
    )
    .await;
    assert_eq!(logout.status(), StatusCode::FOUND);
    assert_eq!(
        logout.headers()[LOCATION],
        "https://app.example/bye?state=z"
    );
}

#[tokio::test]
async fn introspect_revoke_and_logout() {
    let app = spawn_app().await;
    let (code, cookie) = login_code(&app, "test-user-123").await;
    let body: Value = exchange(&app, &code, VERIFIER).await.json().await.unwrap();
    let access = body["access_token"].as_str().unwrap();
    let refresh = body["refresh_token"].as_str().unwrap();
    let introspect = async |token: &str| -> Value {
        post_form(&app, "/oauth2/introspect", &[("token", token)])
            .await
            .json()
            .await
            .unwrap()
    };
    let active = introspect(access).await;
    assert_eq!(active["active"], true);
    assert_eq!(active["sub"], "test-user-123");
    assert_eq!(active["client_id"], "spa");
    assert_eq!(
        introspect("not-a-jwt").await,
        serde_json::json!({"active": false})
    );

    let revoke = post_form(&app, "/oauth2/revoke", &[("token", access)]).await;
    assert_eq!(revoke.status(), StatusCode::OK);
    let junk = post_form(&app, "/oauth2/revoke", &[("token", "junk")]).await;
    assert_eq!(junk.status(), StatusCode::OK);
    assert_eq!(introspect(access).await["active"], false);
    let me = app.get_authed("/api/auth/me", access).await;
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    let info = app.get_authed("/oauth2/userinfo", access).await;
    assert_eq!(info.status(), StatusCode::UNAUTHORIZED);
    let challenge = info.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("invalid_token"), "{challenge}");

    let revoke = post_form(&app, "/oauth2/revoke", &[("token", refresh)]).await;
    assert_eq!(revoke.status(), StatusCode::OK);
    let refreshed = post_form(&app, "/oauth2/token", &refresh_form(refresh)).await;
    oauth_error(refreshed, 400, "invalid_grant").await;

    let logout = get(
        &app,
        "/oauth2/logout?post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A3000%2F&state=bye",
        Some(&cookie),
    )
    .await;
    assert_eq!(logout.status(), StatusCode::FOUND);
    assert_eq!(
        logout.headers()[LOCATION],
        "http://localhost:3000/?state=bye"
    );
    let cleared = logout.headers()[SET_COOKIE].to_str().unwrap();
    assert!(cleared.contains("Max-Age=0"));
    let none = authorize(
        &app,
        &authorize_params(&[("prompt", "none")]),
        Some(&cookie),
    )
    .await;
    let (_, query) = location_params(&none);
    assert_eq!(param(&query, "error"), Some("login_required"));
    let page = get(&app, "/oauth2/logout", None).await;
    assert_eq!(page.status(), StatusCode::OK);
}
