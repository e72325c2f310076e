//! `TestApp`: a server on a free port with per-test configuration, and the
//! request helpers the tests share.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use mock_auth_server::auth::tokens::Claims;
use mock_auth_server::config::Config;
use mock_auth_server::server::Server;
use mock_auth_server::state::AppState;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// The default test users' password.
pub const PASSWORD: &str = "password123";
/// The default secret, as the chat-api has it.
pub const SECRET: &str = "dev-secret-key-change-in-production";

/// A running server and a client for it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// A client without connection reuse surprises.
    pub client: reqwest::Client,
    /// The server's state, for assertions that HTTP cannot make.
    pub state: AppState,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A server with the contract's defaults.
pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

/// A server with the defaults edited by `edit` (port forced to 0).
pub async fn spawn_with(edit: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = Config::default();
    edit(&mut config);
    config.port = 0;
    let server = Server::bind(config).await.expect("server binds");
    let base = format!("http://{}", server.local_addr());
    let state = server.state().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    TestApp {
        base,
        client: reqwest::Client::new(),
        state,
        stop: Some(stop),
    }
}

impl TestApp {
    /// Full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET `path`.
    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// GET `path` with a bearer token.
    pub async fn get_authed(&self, path: &str, token: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    /// POST `body` as JSON to `path` (serialised now, so the future owns everything).
    pub fn post_json(
        &self,
        path: &str,
        body: &Value,
    ) -> impl std::future::Future<Output = Response> + use<> {
        let request = self.client.post(self.url(path)).json(body);
        async move { request.send().await.expect("request sent") }
    }

    /// DELETE `path`.
    pub async fn delete(&self, path: &str) -> Response {
        self.client
            .delete(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// Logs in and returns the token pair body; panics unless 200.
    pub async fn login(&self, email: &str) -> Value {
        let response = self
            .post_json(
                "/api/auth/login",
                &json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "login of {email}");
        response.json().await.expect("token pair")
    }

    /// Registers a user with a fresh email; returns the token pair body.
    pub async fn register(&self, email: &str) -> Value {
        let response = self
            .post_json(
                "/api/auth/register",
                &json!({"email": email, "password": PASSWORD, "name": "Test User"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "register {email}");
        response.json().await.expect("token pair")
    }

    /// Signs arbitrary claims with this server's key (a forged-but-valid token).
    pub async fn sign(&self, claims: &Claims) -> String {
        self.state.tokens.sign(claims).await.expect("signed")
    }
}

/// Asserts the contract's error body and returns it.
pub async fn assert_error(response: Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status().as_u16(), status, "status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "content-type {content_type}"
    );
    let body: Value = response.json().await.expect("JSON error body");
    assert_eq!(body["code"], code, "body {body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "detail in {body}"
    );
    assert_eq!(
        body.as_object().map(|o| o.len()),
        Some(2),
        "exactly detail and code: {body}"
    );
    body
}

/// Asserts a 422 whose detail starts with the offending field's name.
pub async fn assert_422_naming(response: Response, field: &str) {
    let body = assert_error(response, 422, "validation_error").await;
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.starts_with(field),
        "{field} not named first in: {detail}"
    );
}

/// Decodes a token the way the chat-api does: HS256 with the shared secret.
pub fn decode(token: &str) -> Value {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&["mock-auth-server"]);
    validation.leeway = 0;
    decode_with(token, &validation)
}

/// Reads a token's claims with the shared secret, whatever its expiry or issuer.
pub fn claims_unchecked(token: &str) -> Value {
    let alg = jsonwebtoken::decode_header(token).expect("JWT header").alg;
    let mut validation = Validation::new(alg);
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    decode_with(token, &validation)
}

fn decode_with(token: &str, validation: &Validation) -> Value {
    let key = DecodingKey::from_secret(SECRET.as_bytes());
    jsonwebtoken::decode::<Value>(token, &key, validation)
        .expect("token verifies with the shared secret")
        .claims
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}
