//! The token check of the example verifiers, with the classic mistakes
//! behind switches (all off: a verifier done right). HS256 with
//! `JWT_SECRET`, issuer `JWT_ISSUER`, like the chat-api.

use std::collections::HashSet;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

/// Which checks are left out.
#[derive(Debug, Clone, Default)]
pub struct Mistakes {
    /// The signature is not checked.
    pub no_signature: bool,
    /// The algorithm is taken from the token's header (`none` included).
    pub alg_from_header: bool,
    /// `exp` is not checked.
    pub no_exp: bool,
    /// `type` is not checked.
    pub no_type: bool,
    /// `iss` is not checked.
    pub no_iss: bool,
}

impl Mistakes {
    /// From the command line flags.
    #[allow(dead_code, reason = "verifier_good has no flags")]
    pub fn from_args() -> Self {
        let args: HashSet<String> = std::env::args().skip(1).collect();
        for arg in &args {
            if !matches!(
                arg.as_str(),
                "--no-signature" | "--alg-from-header" | "--no-exp" | "--no-type" | "--no-iss"
            ) {
                eprintln!("unknown flag {arg}");
                std::process::exit(2);
            }
        }
        Self {
            no_signature: args.contains("--no-signature"),
            alg_from_header: args.contains("--alg-from-header"),
            no_exp: args.contains("--no-exp"),
            no_type: args.contains("--no-type"),
            no_iss: args.contains("--no-iss"),
        }
    }
}

fn env(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

fn segment(token: &str, at: usize) -> Option<Value> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.split('.').nth(at)?)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The claims of `token`, or why it is refused.
pub fn check(token: &str, mistakes: &Mistakes) -> Result<Value, String> {
    let secret = env("JWT_SECRET", "dev-secret-key-change-in-production");
    let issuer = env("JWT_ISSUER", "mock-auth-server");
    let header = segment(token, 0).ok_or("malformed header")?;
    let header_alg = header["alg"].as_str().unwrap_or_default().to_owned();
    // The signature (and the algorithm) first.
    let claims: Value =
        if mistakes.no_signature || (mistakes.alg_from_header && header_alg == "none") {
            if token.split('.').count() != 3 {
                return Err("malformed".into());
            }
            segment(token, 1).ok_or("malformed claims")?
        } else {
            let alg = if mistakes.alg_from_header {
                header_alg.parse::<Algorithm>().map_err(|_| "unknown alg")?
            } else {
                Algorithm::HS256
            };
            let mut validation = Validation::new(alg);
            validation.validate_exp = false;
            validation.validate_aud = false;
            validation.required_spec_claims.clear();
            let key = DecodingKey::from_secret(secret.as_bytes());
            jsonwebtoken::decode::<Value>(token, &key, &validation)
                .map_err(|error| error.to_string())?
                .claims
        };
    let now = now();
    if !mistakes.no_exp {
        let exp = claims["exp"].as_i64().ok_or("no exp")?;
        if exp < now {
            return Err("expired".into());
        }
    }
    if claims["nbf"].as_i64().is_some_and(|nbf| nbf > now) {
        return Err("not yet valid".into());
    }
    if !mistakes.no_iss && claims["iss"] != issuer.as_str() {
        return Err("wrong issuer".into());
    }
    if let Ok(audience) = std::env::var("JWT_AUDIENCE")
        && !audience.is_empty()
        && claims["aud"] != audience.as_str()
    {
        return Err("wrong audience".into());
    }
    if !mistakes.no_type && claims["type"] != "access" {
        return Err("not an access token".into());
    }
    Ok(claims)
}

/// Serves `GET /protected` on `PORT` (0: a free one) and prints where.
pub async fn serve(mistakes: Mistakes) {
    let app = Router::new().route(
        "/protected",
        get(move |headers: HeaderMap| {
            let mistakes = mistakes.clone();
            async move {
                let token = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("Bearer "))
                    .unwrap_or_default();
                match check(token, &mistakes) {
                    Ok(claims) => (StatusCode::OK, axum::Json(json!({"sub": claims["sub"]}))),
                    Err(why) => (StatusCode::UNAUTHORIZED, axum::Json(json!({"error": why}))),
                }
            }
        }),
    );
    let port = env("PORT", "0");
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}"))
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("address");
    println!("listening on http://{addr}");
    axum::serve(listener, app).await.expect("serves");
}
