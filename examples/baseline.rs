//! The benchmark baseline: the least work each kind of route of the
//! mock-auth-server could do, on the same stack (axum 0.8, tokio's default
//! multi-threaded runtime, jsonwebtoken, bcrypt), so that `scripts/bench.sh`
//! can give every figure of ours as a ratio to it, measured in the same run on
//! the same machine.
//!
//! Routes:
//! - `GET /static`: a fixed JSON body, nothing else (the floor for `/health`).
//! - `GET /verify`: verifies the `Authorization: Bearer` HS256 JWT with the
//!   same rules as the server (signature, algorithm, `exp` with no leeway,
//!   `iss`, `type == "access"`) and answers its `sub` (the floor for `/me`
//!   and `/refresh`). With `?sleep_ms=N` it first sleeps N ms on a timer
//!   (the floor for `/me?simulate_delay=N`: what a delay costs the stack).
//! - `GET /verify/{alg}` (`RS256`, `ES256`, `EdDSA`): the same checks on a
//!   token signed with that algorithm by the key made at start (the floor
//!   for `/me` on an asymmetric server). Tokens come from:
//! - `POST /sign/{alg}`: signs a fixed set of access claims with
//!   jsonwebtoken (`aws_lc_rs`) and answers the token (the floor for a
//!   login's token issue, without the bcrypt). `HS256` signs with the shared
//!   secret (the floor for the defaults' client credentials). jsonwebtoken
//!   parses the PKCS#8 key again on every call, so:
//! - `POST /sign-parsed/{alg}?n=N`: the same claims signed N times (once by
//!   default) with the key kept parsed (aws-lc-rs, as the server's key set does):
//!   the floor for a route that issues N tokens (a code exchange with
//!   `openid`: access, refresh and ID token).
//! - `POST /login/{alg}`: one bcrypt verification at cost 4 on the blocking
//!   pool, then an access and a refresh token signed with the kept-parsed
//!   key (the floor for `/api/auth/login` on an asymmetric server).
//! - `GET /jwks`: the public keys of the three algorithms as a JWKS,
//!   serialised once at start (the floor for `/.well-known/jwks.json`).
//! - `POST /bcrypt/{cost}`: parses a login body and runs one bcrypt
//!   verification at `cost` on the blocking pool (the floor for login and
//!   register; a bcrypt hash costs what a verification does).
//!
//! Run: `cargo run --release --example baseline -- --port 0`. Like the
//! server, it prints `listening on http://127.0.0.1:PORT` as its first line
//! on stdout once bound. Flags: `--port N` (default 0), `--secret S` and
//! `--issuer S` (the server's defaults), `--bcrypt-costs 4,10` (the costs
//! whose hash is prepared at start).

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

// The server's allocator (see src/main.rs): the ratios compare work, not
// allocators.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The body of `GET /static`, about the size of a small JSON answer.
const STATIC_BODY: &str = r#"{"status":"healthy"}"#;
/// The password every bench user has; its hash is prepared at start.
const PASSWORD: &str = "password123";

/// Everything the routes share, read-only after start.
struct Baseline {
    /// HS256 key built from the shared secret.
    decoding: DecodingKey,
    /// The same secret as a signing key, for `POST /sign/HS256`.
    encoding: jsonwebtoken::EncodingKey,
    /// The same checks as the server's access-token verification.
    validation: Validation,
    /// A bcrypt hash of [`PASSWORD`] per prepared cost.
    hashes: HashMap<u32, String>,
    /// Per asymmetric algorithm: its signing key, public key, kid and rules.
    asymmetric: HashMap<&'static str, Asymmetric>,
    /// The JWKS document of the asymmetric keys.
    jwks: String,
}

/// One asymmetric algorithm's keys, made at start.
struct Asymmetric {
    /// The key pair kept parsed (aws-lc-rs), as the server keeps it.
    parsed: mock_auth_server::auth::keys::SigningKey,
    /// The JWS header, base64url-encoded once: it never changes.
    header_b64: String,
    encoding: jsonwebtoken::EncodingKey,
    decoding: DecodingKey,
    header: jsonwebtoken::Header,
    validation: Validation,
}

/// The algorithms of the asymmetric routes.
const ASYMMETRIC: [(&str, Algorithm); 3] = [
    ("RS256", Algorithm::RS256),
    ("ES256", Algorithm::ES256),
    ("EdDSA", Algorithm::EdDSA),
];

fn asymmetric(alg: Algorithm, issuer: &str) -> Result<Asymmetric, String> {
    use mock_auth_server::auth::keys::SigningKey;
    let key = SigningKey::generate(alg, time::OffsetDateTime::UNIX_EPOCH)?;
    let pem = key.private_pem()?;
    let encoding = match alg {
        Algorithm::ES256 => jsonwebtoken::EncodingKey::from_ec_pem(pem.as_bytes()),
        Algorithm::EdDSA => jsonwebtoken::EncodingKey::from_ed_pem(pem.as_bytes()),
        _ => jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()),
    }
    .map_err(|e| format!("{alg:?} key: {e}"))?;
    let mut header = jsonwebtoken::Header::new(alg);
    header.kid = Some(key.kid.clone());
    let mut validation = Validation::new(alg);
    validation.leeway = 0;
    validation.set_issuer(&[issuer]);
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    let header_b64 = serde_json::to_vec(&header)
        .map(|json| mock_auth_server::auth::keys::b64url(&json))
        .map_err(|e| format!("{alg:?} header: {e}"))?;
    Ok(Asymmetric {
        decoding: key.decoding.clone(),
        parsed: key,
        header_b64,
        encoding,
        header,
        validation,
    })
}

/// The claims the verify route reads; the rest of the token is ignored.
#[derive(Deserialize)]
struct Claims {
    /// Subject: the user id.
    sub: String,
    /// `access` or `refresh`.
    #[serde(rename = "type")]
    token_type: String,
}

/// A login body, as the server's login route takes it.
#[derive(Deserialize)]
struct LoginBody {
    /// Not looked at: there is no store, only the one prepared hash.
    #[allow(dead_code)]
    email: String,
    /// Verified against the prepared hash.
    password: String,
}

/// Command-line settings; a hand-rolled parser keeps the example free of
/// dependencies the server does not already have.
struct Args {
    port: u16,
    secret: String,
    issuer: String,
    costs: Vec<u32>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 0,
        secret: "dev-secret-key-change-in-production".to_owned(),
        issuer: "mock-auth-server".to_owned(),
        costs: vec![4, 10],
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--port" => {
                args.port = value
                    .parse()
                    .map_err(|_| format!("--port: not a port: {value}"))?
            }
            "--secret" => args.secret = value,
            "--issuer" => args.issuer = value,
            "--bcrypt-costs" => {
                args.costs = value
                    .split(',')
                    .map(|c| {
                        c.trim()
                            .parse()
                            .map_err(|_| format!("--bcrypt-costs: not a cost: {c}"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(args)
}

async fn static_json() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], STATIC_BODY).into_response()
}

async fn verify(
    State(base): State<Arc<Baseline>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let sleep_ms = query
        .as_deref()
        .and_then(|q| q.strip_prefix("sleep_ms="))
        .and_then(|ms| ms.parse().ok());
    if let Some(ms) = sleep_ms {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    let Some(token) = token else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match jsonwebtoken::decode::<Claims>(token, &base.decoding, &base.validation) {
        Ok(data) if data.claims.token_type == "access" => {
            Json(serde_json::json!({ "sub": data.claims.sub })).into_response()
        }
        _ => StatusCode::UNAUTHORIZED.into_response(),
    }
}

/// The claims of a typical access token (`type` as given), with a fresh
/// `jti` and the current time: what every token issue has to build.
fn claims(token_type: &str) -> serde_json::Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    serde_json::json!({
        "sub": "test-user-123", "email": "alice@example.com", "name": "Alice Johnson",
        "roles": ["admin", "user"], "type": token_type, "iat": now, "exp": now + 1800,
        "jti": uuid::Uuid::now_v7().to_string(), "iss": "mock-auth-server",
    })
}

/// A compact JWS of `claims` signed with the kept-parsed key.
fn sign_parsed(keys: &Asymmetric, claims: &serde_json::Value) -> Option<String> {
    use mock_auth_server::auth::keys::b64url;
    let body = b64url(&serde_json::to_vec(claims).ok()?);
    let input = format!("{}.{body}", keys.header_b64);
    let signature = keys.parsed.sign(input.as_bytes()).ok()?;
    Some(format!("{input}.{}", b64url(&signature)))
}

async fn sign_with(State(base): State<Arc<Baseline>>, Path(alg): Path<String>) -> Response {
    let hs256 = jsonwebtoken::Header::new(Algorithm::HS256);
    let (header, key) = match base.asymmetric.get(alg.as_str()) {
        Some(keys) => (&keys.header, &keys.encoding),
        None if alg == "HS256" => (&hs256, &base.encoding),
        None => return StatusCode::NOT_FOUND.into_response(),
    };
    match jsonwebtoken::encode(header, &claims("access"), key) {
        Ok(token) => Json(serde_json::json!({ "access_token": token })).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn sign_parsed_with(
    State(base): State<Arc<Baseline>>,
    Path(alg): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(keys) = base.asymmetric.get(alg.as_str()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let count = query
        .as_deref()
        .and_then(|q| q.strip_prefix("n="))
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, 8);
    let tokens: Option<Vec<String>> = (0..count)
        .map(|_| sign_parsed(keys, &claims("access")))
        .collect();
    match tokens {
        Some(tokens) => Json(serde_json::json!({ "tokens": tokens })).into_response(),
        None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn login_with(
    State(base): State<Arc<Baseline>>,
    Path(alg): Path<String>,
    Json(body): Json<LoginBody>,
) -> Response {
    if !base.asymmetric.contains_key(alg.as_str()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let Some(hash) = base.hashes.get(&4).cloned() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let ok =
        tokio::task::spawn_blocking(move || bcrypt::verify(body.password, &hash).unwrap_or(false))
            .await
            .unwrap_or(false);
    if !ok {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Some(keys) = base.asymmetric.get(alg.as_str()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match (
        sign_parsed(keys, &claims("access")),
        sign_parsed(keys, &claims("refresh")),
    ) {
        (Some(access), Some(refresh)) => {
            Json(serde_json::json!({ "access_token": access, "refresh_token": refresh }))
                .into_response()
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn jwks_document(State(base): State<Arc<Baseline>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        base.jwks.clone(),
    )
        .into_response()
}

async fn verify_with(
    State(base): State<Arc<Baseline>>,
    Path(alg): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(keys) = base.asymmetric.get(alg.as_str()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    let Some(token) = token else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match jsonwebtoken::decode::<Claims>(token, &keys.decoding, &keys.validation) {
        Ok(data) if data.claims.token_type == "access" => {
            Json(serde_json::json!({ "sub": data.claims.sub })).into_response()
        }
        _ => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn bcrypt_verify(
    State(base): State<Arc<Baseline>>,
    Path(cost): Path<u32>,
    Json(body): Json<LoginBody>,
) -> Response {
    let Some(hash) = base.hashes.get(&cost).cloned() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // On the blocking pool, as the server does: a verification is pure CPU
    // for a millisecond (cost 4) to tens of milliseconds (cost 10).
    let ok =
        tokio::task::spawn_blocking(move || bcrypt::verify(body.password, &hash).unwrap_or(false))
            .await
            .unwrap_or(false);
    if ok {
        Json(serde_json::json!({ "ok": true })).into_response()
    } else {
        StatusCode::UNAUTHORIZED.into_response()
    }
}

fn app(args: &Args) -> Result<Router, String> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.set_issuer(&[&args.issuer]);
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    let mut hashes = HashMap::new();
    for &cost in &args.costs {
        let hash = bcrypt::hash(PASSWORD, cost).map_err(|e| format!("bcrypt cost {cost}: {e}"))?;
        hashes.insert(cost, hash);
    }
    let mut asymmetric_keys = HashMap::new();
    for (name, alg) in ASYMMETRIC {
        asymmetric_keys.insert(name, asymmetric(alg, &args.issuer)?);
    }
    let keys: Vec<&serde_json::Value> = ASYMMETRIC
        .iter()
        .filter_map(|(name, _)| asymmetric_keys.get(name).map(|k| &k.parsed.jwk))
        .collect();
    let jwks = serde_json::json!({ "keys": keys }).to_string();
    let state = Arc::new(Baseline {
        decoding: DecodingKey::from_secret(args.secret.as_bytes()),
        encoding: jsonwebtoken::EncodingKey::from_secret(args.secret.as_bytes()),
        validation,
        hashes,
        asymmetric: asymmetric_keys,
        jwks,
    });
    Ok(Router::new()
        .route("/static", get(static_json))
        .route("/verify", get(verify))
        .route("/verify/{alg}", get(verify_with))
        .route("/sign/{alg}", post(sign_with))
        .route("/sign-parsed/{alg}", post(sign_parsed_with))
        .route("/login/{alg}", post(login_with))
        .route("/jwks", get(jwks_document))
        .route("/bcrypt/{cost}", post(bcrypt_verify))
        .with_state(state))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let result = async {
        let args = parse_args()?;
        let router = app(&args)?;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
            .await
            .map_err(|e| format!("cannot bind port {}: {e}", args.port))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        println!("listening on http://{addr}");
        // A pipe is block-buffered: flush so the bench script sees the line now.
        let _ = std::io::stdout().flush();
        axum::serve(listener, router)
            .await
            .map_err(|e| e.to_string())
    }
    .await;
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("baseline: error: {message}");
            std::process::ExitCode::from(2)
        }
    }
}
