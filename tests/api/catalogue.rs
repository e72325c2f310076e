//! The bad-token catalogue: each case differs from the valid token by one
//! defect only (the members of header and claims that differ are exactly
//! the ones that defect names), for HMAC and asymmetric servers.

use base64::Engine as _;
use mock_auth_server::config::JwtAlgorithm;
use serde_json::Value;

use crate::helpers::spawn_with;

fn part(token: &str, at: usize) -> Option<Value> {
    let segment = token.split('.').nth(at)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(segment)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The header and claim members that differ between two tokens.
fn differences(valid: &str, bad: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, what) in [(0, "header"), (1, "claims")] {
        let (Some(Value::Object(a)), Some(Value::Object(b))) = (part(valid, at), part(bad, at))
        else {
            out.push(format!("{what} unreadable"));
            continue;
        };
        let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            if a.get(key) != b.get(key) {
                out.push(format!("{what}.{key}"));
            }
        }
    }
    out
}

/// What each defect may change.
fn allowed(name: &str) -> &'static [&'static str] {
    match name {
        "expired" => &["claims.exp", "claims.iat"],
        "not_yet_valid" => &["claims.nbf"],
        "bad_signature" => &[],
        "revoked" => &["claims.jti", "claims.iat", "claims.exp"],
        "alg_none" | "wrong_algorithm" => &["header.alg", "header.kid"],
        "wrong_issuer" => &["claims.iss"],
        "wrong_audience" => &["claims.aud"],
        "missing_exp" => &["claims.exp"],
        "wrong_type" => &["claims.type"],
        "unknown_kid" => &["header.kid"],
        "deleted_user" => &["claims.sub", "claims.jti", "claims.email", "claims.name"],
        "malformed" => &["header unreadable", "claims unreadable"],
        other => panic!("unexpected case {other}"),
    }
}

async fn check(alg: JwtAlgorithm, audience: Option<&str>) {
    let app = spawn_with(|c| {
        c.jwt_algorithm = alg;
        c.jwt_audience = audience.map(str::to_owned);
    })
    .await;
    let catalogue: Value = app
        .get("/api/dev/tokens/bad?user=alice@example.com")
        .await
        .json()
        .await
        .unwrap();
    let valid = catalogue["valid"]["token"].as_str().unwrap();
    let cases = catalogue["cases"].as_array().unwrap();
    let names: Vec<&str> = cases.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(
        names.contains(&"unknown_kid"),
        !alg.is_hmac(),
        "{alg:?} {names:?}"
    );
    assert_eq!(
        names.contains(&"wrong_audience"),
        audience.is_some(),
        "{names:?}"
    );
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let token = case["token"].as_str().unwrap();
        // Every case is a token of its own: a fresh jti is not a defect.
        let diff: Vec<String> = differences(valid, token)
            .into_iter()
            .filter(|d| d != "claims.jti")
            .collect();
        let allowed = allowed(name);
        assert!(
            diff.iter().all(|d| allowed.contains(&d.as_str())),
            "{alg:?} {name}: {diff:?}"
        );
        let signature_changed = valid.rsplit('.').next() != token.rsplit('.').next();
        assert!(
            !diff.is_empty() || signature_changed,
            "{alg:?} {name} is the valid token"
        );
        if name == "expired" {
            let claims = part(token, 1).unwrap();
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            assert!(claims["exp"].as_i64().unwrap() <= now - 600, "{alg:?}");
        }
        if name == "not_yet_valid" {
            let claims = part(token, 1).unwrap();
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            assert!(claims["nbf"].as_i64().unwrap() >= now + 600, "{alg:?}");
        }
    }
}

#[tokio::test]
async fn every_case_differs_from_the_valid_token_by_one_defect_on_hmac_servers() {
    check(JwtAlgorithm::Hs256, None).await;
    check(JwtAlgorithm::Hs384, Some("chat-api")).await;
}

#[tokio::test]
async fn every_case_differs_from_the_valid_token_by_one_defect_on_asymmetric_servers() {
    check(JwtAlgorithm::Rs256, None).await;
    check(JwtAlgorithm::Es256, Some("chat-api")).await;
    check(JwtAlgorithm::EdDsa, None).await;
}
