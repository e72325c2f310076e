//! Signing keys, JWKS and discovery (contract section 8), over HTTP, with
//! tokens verified by jsonwebtoken from the JWKS alone: never by our own
//! verifier, which could agree with itself on a mistake.

use std::path::Path;
use std::process::{Command, Stdio};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use mock_auth_server::auth::keys::SigningKey;
use mock_auth_server::auth::tokens::Signer;
use mock_auth_server::config::JwtAlgorithm;
use serde_json::Value;

use crate::helpers::{SECRET, TestApp, assert_error, spawn_with};

const EVERY: [JwtAlgorithm; 10] = [
    JwtAlgorithm::Hs256,
    JwtAlgorithm::Hs384,
    JwtAlgorithm::Hs512,
    JwtAlgorithm::Rs256,
    JwtAlgorithm::Rs384,
    JwtAlgorithm::Rs512,
    JwtAlgorithm::Ps256,
    JwtAlgorithm::Es256,
    JwtAlgorithm::Es384,
    JwtAlgorithm::EdDsa,
];

async fn json_of(app: &TestApp, path: &str) -> Value {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.expect("JSON")
}

/// Discovery, then its `jwks_uri`, as a client that knows only the base URL.
async fn discovered_jwks(app: &TestApp) -> JwkSet {
    let metadata = json_of(app, "/.well-known/openid-configuration").await;
    let uri = metadata["jwks_uri"].as_str().expect("jwks_uri");
    app.client
        .get(uri)
        .send()
        .await
        .expect("JWKS fetched")
        .json()
        .await
        .expect("a JWK Set")
}

fn verify_with_jwks(jwks: &JwkSet, token: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).expect("header");
    let kid = header.kid.expect("an asymmetric token names its kid");
    let jwk: &Jwk = jwks.find(&kid).expect("the kid is in the JWKS");
    let key = DecodingKey::from_jwk(jwk).expect("a usable JWK");
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&["mock-auth-server"]);
    validation.leeway = 0;
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .expect("the token verifies with the JWKS")
        .claims
}

#[tokio::test]
async fn every_asymmetric_algorithm_verifies_through_discovery_in_an_independent_library() {
    for alg in EVERY.into_iter().filter(|alg| !alg.is_hmac()) {
        let app = spawn_with(|c| c.jwt_algorithm = alg).await;
        let pair = app.login("alice@example.com").await;
        let token = pair["access_token"].as_str().unwrap();
        let jwks = discovered_jwks(&app).await;
        let claims = verify_with_jwks(&jwks, token);
        assert_eq!(claims["sub"], "test-user-123", "{alg:?}");
        assert_eq!(claims["type"], "access");
        let header = jsonwebtoken::decode_header(token).unwrap();
        assert_eq!(header.alg, Algorithm::from(alg));
        let me = app.get_authed("/api/auth/me", token).await;
        assert_eq!(me.status(), 200, "{alg:?}");
    }
}

#[tokio::test]
async fn the_jwks_has_public_members_only_and_no_secret_appears_anywhere() {
    // A secret of its own: the default one is printed in the docs as the default.
    let secret = format!("s3cret-{}", uuid::Uuid::new_v4());
    for alg in EVERY {
        let app = spawn_with(|c| {
            c.jwt_algorithm = alg;
            c.jwt_secret = secret.clone();
        })
        .await;
        let response = app.get("/.well-known/jwks.json").await;
        let cache = response.headers()["cache-control"].to_str().unwrap();
        assert!(cache.contains("max-age="), "{cache}");
        let jwks: Value = response.json().await.unwrap();
        let keys = jwks["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 1, "{alg:?}");
        let key = &keys[0];
        let expected_kty = match alg {
            JwtAlgorithm::Es256 | JwtAlgorithm::Es384 => "EC",
            JwtAlgorithm::EdDsa => "OKP",
            _ => "RSA",
        };
        assert_eq!(key["kty"], expected_kty, "{alg:?}");
        assert_eq!(key["use"], "sig");
        let expected_alg = if alg.is_hmac() {
            "RS256"
        } else {
            mock_auth_server::auth::keys::alg_name(alg.into())
        };
        assert_eq!(key["alg"], expected_alg);
        assert!(key["kid"].as_str().is_some_and(|kid| kid.len() == 43));
        for private in ["d", "p", "q", "dp", "dq", "qi", "k", "oth"] {
            assert!(key.get(private).is_none(), "{alg:?}: {private}");
        }
        for path in [
            "/.well-known/jwks.json",
            "/.well-known/openid-configuration",
            "/.well-known/oauth-authorization-server",
            "/openapi.json",
            "/health",
            "/api/auth/metrics",
        ] {
            let text = app.get(path).await.text().await.unwrap();
            assert!(!text.contains(&secret), "{path} holds the secret");
        }
    }
}

#[tokio::test]
async fn discovery_lists_the_issuer_the_jwks_and_the_algorithms_only() {
    let app = spawn_with(|c| c.jwt_algorithm = JwtAlgorithm::Es256).await;
    let openid = json_of(&app, "/.well-known/openid-configuration").await;
    let oauth = json_of(&app, "/.well-known/oauth-authorization-server").await;
    assert_eq!(openid, oauth, "the same metadata");
    assert_eq!(openid["issuer"], app.base);
    assert_eq!(
        openid["jwks_uri"],
        format!("{}/.well-known/jwks.json", app.base)
    );
    assert_eq!(
        openid["id_token_signing_alg_values_supported"],
        serde_json::json!(["ES256"])
    );
    // Every URL listed answers (nothing advertised is a 404).
    for (name, value) in openid.as_object().unwrap() {
        if let Some(url) = value.as_str().filter(|v| v.starts_with("http")) {
            if name == "issuer" {
                continue;
            }
            let status = app.client.get(url).send().await.unwrap().status();
            assert_ne!(status, 404, "{name}: {url}");
        }
    }
    let response = app
        .client
        .get(app.url("/.well-known/openid-configuration"))
        .header("Origin", "http://localhost:3000")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
}

#[tokio::test]
async fn hs256_servers_publish_the_id_token_key_of_id_token_algorithm() {
    let app = spawn_with(|c| c.keys.id_token_algorithm = JwtAlgorithm::EdDsa).await;
    let metadata = json_of(&app, "/.well-known/openid-configuration").await;
    assert_eq!(
        metadata["id_token_signing_alg_values_supported"],
        serde_json::json!(["EdDSA"])
    );
    assert_eq!(
        metadata["token_signing_alg_values_supported"],
        serde_json::json!(["HS256"])
    );
}

#[tokio::test]
async fn public_url_is_the_base_of_every_url_without_a_double_slash() {
    let app = spawn_with(|c| c.keys.public_url = Some("http://auth:8000/".into())).await;
    let metadata = json_of(&app, "/.well-known/openid-configuration").await;
    assert_eq!(metadata["issuer"], "http://auth:8000/", "the slash is kept");
    assert_eq!(
        metadata["jwks_uri"],
        "http://auth:8000/.well-known/jwks.json"
    );
}

#[tokio::test]
async fn a_url_jwt_issuer_is_the_issuer_with_its_trailing_slash() {
    let app = spawn_with(|c| {
        c.jwt_issuer = "https://issuer.example.com/".into();
        c.keys.public_url = Some("http://localhost:8000".into());
    })
    .await;
    let metadata = json_of(&app, "/.well-known/openid-configuration").await;
    assert_eq!(metadata["issuer"], "https://issuer.example.com/");
    assert_eq!(
        metadata["jwks_uri"],
        "http://localhost:8000/.well-known/jwks.json"
    );
    assert_eq!(app.state.oidc_issuer(), "https://issuer.example.com/");
    let token = app.login("alice@example.com").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let claims = crate::helpers::claims_unchecked(&token);
    assert_eq!(claims["iss"], "https://issuer.example.com/");
}

#[tokio::test]
async fn issuer_aliases_are_accepted_by_me_and_others_are_not() {
    let app = spawn_with(|c| {
        c.jwt_algorithm = JwtAlgorithm::Rs256;
        c.keys.jwt_issuer_aliases = "http://auth:8000, http://localhost:8000".into();
    })
    .await;
    let user = app.state.users.find_by_email("alice@example.com").unwrap();
    for (iss, status) in [
        ("http://auth:8000", 200),
        ("http://localhost:8000", 200),
        ("mock-auth-server", 200),
        ("http://elsewhere:8000", 401),
    ] {
        let mut claims = app.state.tokens.access_claims(&user);
        claims.iss = iss.to_owned();
        let token = app.sign(&claims).await;
        let me = app.get_authed("/api/auth/me", &token).await;
        assert_eq!(me.status(), status, "{iss}");
    }
}

#[tokio::test]
async fn alg_none_and_the_hs_rs_confusion_are_refused_over_http_for_every_algorithm() {
    for alg in EVERY {
        let app = spawn_with(|c| c.jwt_algorithm = alg).await;
        let user = app.state.users.find_by_email("alice@example.com").unwrap();
        let claims = app.state.tokens.access_claims(&user);
        let tokens = &app.state.tokens;
        let none = tokens
            .sign_as(alg.into(), None, &claims, Signer::Unsigned)
            .await
            .unwrap();
        let pem = app.state.keys().current().await.unwrap().public_pem.clone();
        let confused = if alg.is_hmac() {
            let other = if alg == JwtAlgorithm::Hs256 {
                Algorithm::HS384
            } else {
                Algorithm::HS256
            };
            tokens
                .sign_as(other, None, &claims, Signer::Hmac(SECRET.as_bytes()))
                .await
                .unwrap()
        } else {
            tokens
                .sign_as(
                    Algorithm::HS256,
                    None,
                    &claims,
                    Signer::Hmac(pem.as_bytes()),
                )
                .await
                .unwrap()
        };
        // The public key's JWKS form as an HMAC secret, too.
        let jwks = app
            .get("/.well-known/jwks.json")
            .await
            .text()
            .await
            .unwrap();
        let jwks_keyed = tokens
            .sign_as(
                Algorithm::HS256,
                None,
                &claims,
                Signer::Hmac(jwks.as_bytes()),
            )
            .await
            .unwrap();
        for (name, token) in [
            ("none", none),
            ("confusion", confused),
            ("jwks", jwks_keyed),
        ] {
            let me = app.get_authed("/api/auth/me", &token).await;
            assert_error(me, 401, "invalid_token").await;
            let _ = name;
        }
        let valid = tokens.sign(&claims).await.unwrap();
        assert_eq!(app.get_authed("/api/auth/me", &valid).await.status(), 200);
    }
}

fn temp_file(name: &str, contents: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mock-auth-keys-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[tokio::test]
async fn a_key_file_round_trips_with_the_same_kid() {
    for alg in [
        JwtAlgorithm::Rs256,
        JwtAlgorithm::Es384,
        JwtAlgorithm::EdDsa,
    ] {
        let key = SigningKey::generate(alg.into(), time::OffsetDateTime::UNIX_EPOCH).unwrap();
        let path = temp_file("key.pem", &key.private_pem().unwrap());
        let app = spawn_with(|c| {
            c.jwt_algorithm = alg;
            c.keys.jwt_private_key_file = Some(path.clone());
        })
        .await;
        let jwks = discovered_jwks(&app).await;
        assert_eq!(jwks.keys.len(), 1);
        assert_eq!(
            jwks.keys[0].common.key_id.as_deref(),
            Some(key.kid.as_str())
        );
        let token = app.login("bob@example.com").await["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), Some(key.kid.as_str()), "{alg:?}");
        assert_eq!(verify_with_jwks(&jwks, &token)["sub"], "test-user-456");
    }
}

/// The binary, started in `dir` with `variables`, run to its exit.
fn start_binary(dir: &Path, variables: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mock-auth-server"));
    for name in [
        "JWT_ALGORITHM",
        "JWT_PRIVATE_KEY_FILE",
        "ID_TOKEN_ALGORITHM",
        "PORT",
    ] {
        command.env_remove(name);
    }
    command
        .current_dir(dir)
        .stdin(Stdio::null())
        .env("PORT", "0")
        .envs(variables.iter().copied());
    command.output().expect("binary runs")
}

fn assert_fails_naming_the_key_file(output: &std::process::Output) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "should fail: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("JWT_PRIVATE_KEY_FILE"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_key_file_that_does_not_parse_stops_the_server_naming_the_setting() {
    let garbage = temp_file("garbage.pem", "not a key at all\n");
    let dir = garbage.parent().unwrap();
    let output = start_binary(
        dir,
        &[
            ("JWT_ALGORITHM", "RS256"),
            ("JWT_PRIVATE_KEY_FILE", "garbage.pem"),
        ],
    );
    assert_fails_naming_the_key_file(&output);
    let missing = start_binary(
        dir,
        &[
            ("JWT_ALGORITHM", "RS256"),
            ("JWT_PRIVATE_KEY_FILE", "absent.pem"),
        ],
    );
    assert_fails_naming_the_key_file(&missing);
}

#[test]
fn a_key_of_the_wrong_type_for_the_algorithm_stops_the_server_naming_the_setting() {
    let ec = SigningKey::generate(Algorithm::ES256, time::OffsetDateTime::UNIX_EPOCH).unwrap();
    let path = temp_file("ec.pem", &ec.private_pem().unwrap());
    let dir = path.parent().unwrap();
    for alg in ["RS256", "ES384", "EdDSA"] {
        let output = start_binary(
            dir,
            &[("JWT_ALGORITHM", alg), ("JWT_PRIVATE_KEY_FILE", "ec.pem")],
        );
        assert_fails_naming_the_key_file(&output);
    }
    // HS256 with ID_TOKEN_ALGORITHM deciding the key type.
    let output = start_binary(
        dir,
        &[
            ("ID_TOKEN_ALGORITHM", "PS256"),
            ("JWT_PRIVATE_KEY_FILE", "ec.pem"),
        ],
    );
    assert_fails_naming_the_key_file(&output);
}
