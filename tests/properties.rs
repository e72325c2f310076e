//! Hostile input, generated (issue 6): property tests of the token verifier
//! (any string, any mutation of a valid token: no panic, never accepted
//! unless it is the valid token), of the email, password and name rules, and
//! of the JSON extractors over real HTTP (any body, content type, query or
//! fault header: never a 5xx that was not asked for, every error in the
//! contract's JSON form). `PROPTEST_CASES` raises the case counts.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mock_auth_server::auth::tokens::{Claims, TokenKeys, TokenType};
use mock_auth_server::config::Config;
use mock_auth_server::server::Server;
use mock_auth_server::store::User;
use mock_auth_server::validation;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};
use serde_json::{Value, json};

const SECRET: &str = "dev-secret-key-change-in-production";

/// Runs one of the verifier's futures to completion (HS256 keys never
/// wait, so a current-thread runtime per thread is enough).
fn run<T>(future: impl std::future::Future<Output = T>) -> T {
    thread_local! {
        static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
    }
    RUNTIME.with(|runtime| runtime.block_on(future))
}

fn keys() -> TokenKeys {
    TokenKeys::from_config(&Config::default())
}

fn alice() -> User {
    User {
        id: "test-user-123".into(),
        email: "alice@example.com".into(),
        name: "Alice Johnson".into(),
        roles: Arc::from(vec!["admin".to_owned(), "user".to_owned()]),
        created_at: time::OffsetDateTime::UNIX_EPOCH,
        password_hash: String::new(),
        claims: Arc::default(),
        email_verified: true,
        disabled: false,
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn valid_claims(sub: String, token_type: &str) -> Claims {
    let now = now();
    Claims {
        sub,
        email: None,
        name: None,
        roles: None,
        token_type: token_type.to_owned(),
        iat: now,
        exp: now + 600,
        jti: uuid::Uuid::now_v7().to_string(),
        iss: "mock-auth-server".to_owned(),
        aud: None,
        nbf: None,
        client_id: None,
        scope: None,
        extra: serde_json::Map::new(),
    }
}

/// Base64url without padding, as JWT segments are written.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
        }
    }
    out
}

/// One edit of a token's text.
#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, char),
    Insert(usize, char),
    Delete(usize, usize),
    Truncate(usize),
    SwapSegments(usize, usize),
    Append(String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let token_char = prop_oneof![
        proptest::char::range('A', 'Z'),
        proptest::char::range('a', 'z'),
        proptest::char::range('0', '9'),
        Just('-'),
        Just('_'),
        Just('.'),
        Just('='),
        Just('+'),
        Just('/'),
        any::<char>(),
    ];
    prop_oneof![
        (any::<usize>(), token_char.clone()).prop_map(|(i, c)| Mutation::Replace(i, c)),
        (any::<usize>(), token_char).prop_map(|(i, c)| Mutation::Insert(i, c)),
        (any::<usize>(), 1usize..16).prop_map(|(i, n)| Mutation::Delete(i, n)),
        any::<usize>().prop_map(Mutation::Truncate),
        (0usize..3, 0usize..3).prop_map(|(a, b)| Mutation::SwapSegments(a, b)),
        "[A-Za-z0-9_.=-]{1,8}".prop_map(Mutation::Append),
    ]
}

/// Applies a mutation at char boundaries (positions are taken modulo the length).
/// Total on any input, the empty string included.
fn apply(token: &str, mutation: &Mutation) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
    match mutation {
        // An earlier mutation may have emptied the token: nothing to replace.
        Mutation::Replace(i, c) => {
            let i = at(*i, chars.len());
            if let Some(slot) = chars.get_mut(i) {
                *slot = *c;
            }
        }
        Mutation::Insert(i, c) => chars.insert(at(*i, chars.len() + 1), *c),
        Mutation::Delete(i, n) => {
            let start = at(*i, chars.len());
            let end = (start + n).min(chars.len());
            chars.drain(start..end);
        }
        Mutation::Truncate(i) => chars.truncate(at(*i, chars.len())),
        Mutation::SwapSegments(a, b) => {
            let mut parts: Vec<&str> = token.split('.').collect();
            if *a < parts.len() && *b < parts.len() {
                parts.swap(*a, *b);
            }
            return parts.join(".");
        }
        Mutation::Append(tail) => chars.extend(tail.chars()),
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_verifier_refuses_any_string(token in any::<String>()) {
        let keys = keys();
        prop_assert!(run(keys.verify(&token, TokenType::Access)).is_err());
        prop_assert!(run(keys.verify(&token, TokenType::Refresh)).is_err());
    }

    #[test]
    fn the_verifier_refuses_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let token = String::from_utf8_lossy(&bytes);
        prop_assert!(run(keys().verify(&token, TokenType::Access)).is_err());
    }

    #[test]
    fn the_verifier_refuses_jwt_shaped_noise(
        token in "[A-Za-z0-9_-]{0,80}\\.[A-Za-z0-9_-]{0,200}\\.[A-Za-z0-9_-]{0,90}",
    ) {
        prop_assert!(run(keys().verify(&token, TokenType::Access)).is_err());
    }

    #[test]
    fn a_mutated_valid_token_is_refused(
        mutations in proptest::collection::vec(mutation(), 1..4),
        refresh in any::<bool>(),
    ) {
        let keys = keys();
        let pair = run(keys.issue_pair(&alice())).expect("issued");
        let (token, kind) = if refresh {
            (pair.refresh_token, TokenType::Refresh)
        } else {
            (pair.access_token, TokenType::Access)
        };
        prop_assert!(run(keys.verify(&token, kind)).is_ok());
        let mutated = mutations.iter().fold(token.clone(), |t, m| apply(&t, m));
        if mutated != token {
            let verdict = run(keys.verify(&mutated, kind));
            prop_assert!(verdict.is_err(), "accepted a mutation: {mutated} from {token}");
        }
    }

    #[test]
    fn claims_signed_with_another_key_or_algorithm_are_refused(
        sub in ".{0,40}",
        secret in "[ -~]{1,40}",
        alg in prop_oneof![Just(Algorithm::HS256), Just(Algorithm::HS384), Just(Algorithm::HS512)],
    ) {
        prop_assume!(!(secret == SECRET && alg == Algorithm::HS256));
        let token = jsonwebtoken::encode(
            &Header::new(alg),
            &valid_claims(sub, "access"),
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .expect("signed");
        let error = run(keys().verify(&token, TokenType::Access)).expect_err("must be refused");
        prop_assert_eq!(error.code(), "invalid_token");
    }

    #[test]
    fn unsigned_tokens_are_refused(sub in ".{0,40}", alg in prop_oneof![Just("none"), Just("None"), Just("NONE"), Just("")]) {
        let header = base64url(json!({"alg": alg, "typ": "JWT"}).to_string().as_bytes());
        let payload = base64url(&serde_json::to_vec(&valid_claims(sub, "access")).expect("json"));
        for token in [format!("{header}.{payload}."), format!("{header}.{payload}")] {
            prop_assert!(run(keys().verify(&token, TokenType::Access)).is_err(), "accepted {token}");
        }
    }

    #[test]
    fn a_correctly_signed_token_is_accepted_only_for_its_own_type(
        sub in "[a-z0-9-]{1,20}",
        token_type in prop_oneof![Just("access".to_owned()), Just("refresh".to_owned()), ".{0,12}"],
    ) {
        let keys = keys();
        let token = run(keys.sign(&valid_claims(sub.clone(), &token_type))).expect("signed");
        for expected in [TokenType::Access, TokenType::Refresh] {
            let verdict = run(keys.verify(&token, expected));
            if token_type == expected.as_str() {
                prop_assert_eq!(verdict.expect("valid").sub, sub.clone());
            } else {
                prop_assert_eq!(verdict.expect_err("wrong type").code(), "wrong_token_type");
            }
        }
    }

    #[test]
    fn an_expired_token_is_refused_as_expired(age in 2i64..10_000_000) {
        let keys = keys();
        let mut claims = valid_claims("test-user-123".into(), "access");
        claims.iat = now() - age - 60;
        claims.exp = now() - age;
        let token = run(keys.sign(&claims)).expect("signed");
        prop_assert_eq!(run(keys.verify(&token, TokenType::Access)).expect_err("expired").code(), "token_expired");
    }

    #[test]
    fn email_validation_never_panics_and_what_it_accepts_is_clean(raw in any::<String>()) {
        if let Ok(email) = validation::email(&raw) {
            prop_assert_eq!(email.trim(), email.as_str());
            prop_assert_eq!(email.to_lowercase(), email.clone());
            prop_assert_eq!(email.matches('@').count(), 1);
            let (local, domain) = email.split_once('@').expect("one @");
            prop_assert!(!local.is_empty());
            prop_assert!(domain.contains('.'));
            prop_assert!(email.chars().count() <= 254);
            prop_assert_eq!(validation::email(&email).ok(), Some(email.clone()), "not idempotent");
        }
    }

    #[test]
    fn a_plain_email_in_any_case_with_surrounding_space_is_accepted_lowercased(
        local in "[a-zA-Z0-9]{1,20}(\\.[a-zA-Z0-9]{1,10})?",
        host in "[a-zA-Z0-9]{1,20}",
        tld in "[a-zA-Z]{2,8}",
        before in "[ \t\n]{0,3}",
        after in "[ \t\n]{0,3}",
    ) {
        let raw = format!("{before}{local}@{host}.{tld}{after}");
        let expected = format!("{local}@{host}.{tld}").to_lowercase();
        prop_assert_eq!(validation::email(&raw).ok(), Some(expected));
    }

    #[test]
    fn an_email_without_exactly_one_at_is_refused(raw in "[^@]{0,60}|[^@]{0,20}@[^@]{0,20}@[^@]{0,20}") {
        let error = validation::email(&raw).expect_err("refused");
        prop_assert_eq!(error.status().as_u16(), 422);
        prop_assert_eq!(error.code(), "validation_error");
    }

    #[test]
    fn a_password_is_accepted_exactly_when_it_has_8_to_72_bytes(raw in any::<String>()) {
        let verdict = validation::password(&raw);
        prop_assert_eq!(verdict.is_ok(), (8..=72).contains(&raw.len()), "{} bytes", raw.len());
        if let Ok(kept) = verdict {
            prop_assert_eq!(kept, raw, "a password is kept as given");
        }
    }

    #[test]
    fn a_name_is_accepted_exactly_when_it_has_1_to_100_chars_after_trimming(raw in any::<String>()) {
        let trimmed = raw.trim();
        let verdict = validation::name(&raw);
        prop_assert_eq!(verdict.is_ok(), (1..=100).contains(&trimmed.chars().count()));
        if let Ok(kept) = verdict {
            prop_assert_eq!(kept.as_str(), trimmed);
        }
    }
}

// ---- JSON extractors and query/header parsing, over real HTTP ----

/// A runtime with a server on a free port, for the HTTP properties.
struct Live {
    runtime: tokio::runtime::Runtime,
    base: String,
    client: reqwest::Client,
}

impl Live {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let base = runtime.block_on(async {
            let config = Config {
                port: 0,
                ..Config::default()
            };
            let server = Server::bind(config).await.expect("server binds");
            let base = format!("http://{}", server.local_addr());
            // Runs until the runtime is dropped with the test.
            tokio::spawn(server.run(std::future::pending()));
            base
        });
        Self {
            runtime,
            base,
            client: reqwest::Client::new(),
        }
    }

    /// Sends a request and returns status, content type and body.
    fn send(&self, request: reqwest::RequestBuilder) -> (u16, String, Vec<u8>) {
        self.runtime.block_on(async {
            let response = request.send().await.expect("a response");
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body = response.bytes().await.expect("a body").to_vec();
            (status, content_type, body)
        })
    }

    fn runner(cases: u32) -> TestRunner {
        TestRunner::new(ProptestConfig {
            cases: std::env::var("PROPTEST_CASES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(cases),
            failure_persistence: None,
            ..ProptestConfig::default()
        })
    }
}

/// A status that is no 5xx, and a contract error body when it is an error.
fn check_answer(
    what: &str,
    (status, content_type, body): &(u16, String, Vec<u8>),
) -> Result<(), TestCaseError> {
    let text = String::from_utf8_lossy(body);
    prop_assert!(*status < 500, "{what}: {status} {text}");
    if *status >= 400 {
        prop_assert!(
            content_type.starts_with("application/json"),
            "{what}: {status} {content_type} {text}"
        );
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| TestCaseError::fail(format!("{what}: {e}: {text}")))?;
        prop_assert!(
            value["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{what}: {text}"
        );
        prop_assert!(value["code"].is_string(), "{what}: {text}");
    }
    Ok(())
}

const BODY_ROUTES: [&str; 4] = [
    "/api/auth/register",
    "/api/auth/login",
    "/api/auth/refresh",
    "/api/auth/logout",
];

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,30}".prop_map(Value::from),
        prop_oneof![
            Just("email"),
            Just("password"),
            Just("name"),
            Just("refresh_token")
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("email".to_owned()),
                    Just("password".to_owned()),
                    Just("name".to_owned()),
                    Just("refresh_token".to_owned()),
                    ".{0,10}"
                ],
                inner,
                0..6
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

#[test]
fn arbitrary_bytes_as_a_json_body_get_a_json_4xx() {
    let live = Live::start();
    let strategy = (
        0..BODY_ROUTES.len(),
        proptest::collection::vec(any::<u8>(), 0..300),
    );
    Live::runner(256)
        .run(&strategy, |(route, bytes)| {
            let request = live
                .client
                .post(format!("{}{}", live.base, BODY_ROUTES[route]))
                .header("content-type", "application/json")
                .body(bytes.clone());
            let answer = live.send(request);
            check_answer(BODY_ROUTES[route], &answer)?;
            if serde_json::from_slice::<Value>(&bytes).is_err() {
                prop_assert_eq!(
                    answer.0,
                    400,
                    "not JSON: {:?}",
                    String::from_utf8_lossy(&bytes)
                );
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn arbitrary_json_values_get_a_json_4xx_unless_they_are_valid() {
    let live = Live::start();
    let strategy = (0..BODY_ROUTES.len(), arbitrary_json());
    Live::runner(256)
        .run(&strategy, |(route, value)| {
            let request = live
                .client
                .post(format!("{}{}", live.base, BODY_ROUTES[route]))
                .json(&value);
            let answer = live.send(request);
            check_answer(BODY_ROUTES[route], &answer)?;
            if !value.is_object() {
                prop_assert_eq!(answer.0, 422, "{}", value);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn right_keys_with_arbitrary_values_get_a_json_4xx_or_a_success() {
    let live = Live::start();
    let strategy = (arbitrary_json(), arbitrary_json(), arbitrary_json());
    Live::runner(128)
        .run(&strategy, |(email, password, name)| {
            let bodies = [
                (
                    "/api/auth/register",
                    json!({"email": email, "password": password, "name": name}),
                ),
                (
                    "/api/auth/login",
                    json!({"email": email, "password": password}),
                ),
                ("/api/auth/refresh", json!({"refresh_token": name})),
            ];
            for (route, body) in bodies {
                let answer = live.send(
                    live.client
                        .post(format!("{}{route}", live.base))
                        .json(&body),
                );
                check_answer(route, &answer)?;
                let all_strings = body
                    .as_object()
                    .is_some_and(|o| o.values().all(Value::is_string));
                if !all_strings {
                    prop_assert_eq!(answer.0, 422, "{} {}", route, body);
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn any_content_type_gets_a_json_answer_and_no_5xx() {
    let live = Live::start();
    let strategy = "[ -~]{0,40}";
    Live::runner(256)
        .run(&strategy, |content_type| {
            let request = live
                .client
                .post(format!("{}/api/auth/login", live.base))
                .header("content-type", content_type.as_str())
                .body(r#"{"email":"alice@example.com","password":"wrong-password"}"#);
            let answer = live.send(request);
            check_answer(&content_type, &answer)?;
            let json = content_type
                .split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
            if json {
                prop_assert_eq!(answer.0, 401, "{}", content_type);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn any_users_query_gets_200_or_a_json_422() {
    let live = Live::start();
    let strategy = (".{0,12}", ".{0,12}", proptest::option::of(".{0,12}"));
    Live::runner(256)
        .run(&strategy, |(limit, offset, extra)| {
            let mut query = vec![("limit", limit), ("offset", offset)];
            if let Some(extra) = extra {
                query.push(("other", extra));
            }
            let request = live
                .client
                .get(with_query(&format!("{}/api/auth/users", live.base), &query));
            let answer = live.send(request);
            check_answer("users query", &answer)?;
            prop_assert!(
                answer.0 == 200 || answer.0 == 422,
                "{:?} -> {}",
                query,
                answer.0
            );
            Ok(())
        })
        .unwrap();
}

/// `base` with the pairs percent-encoded as its query.
fn with_query(base: &str, pairs: &[(&str, String)]) -> reqwest::Url {
    let mut url = reqwest::Url::parse(base).expect("a URL");
    url.query_pairs_mut()
        .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())));
    url
}

/// The value as the server might read it: an integer, leniently.
fn lenient_int(raw: &str) -> Option<u64> {
    raw.trim().trim_start_matches('+').parse().ok()
}

#[test]
fn any_fault_header_or_query_value_gets_what_it_asked_for_or_a_json_422() {
    let live = Live::start();
    let strategy = ("[ -~]{0,8}|[0-9]{1,6}", any::<bool>(), any::<bool>());
    Live::runner(256)
        .run(&strategy, |(value, is_error, in_header)| {
            let parsed = lenient_int(&value);
            // A valid delay holds the request that long: only short ones here.
            prop_assume!(is_error || parsed.is_none_or(|ms| ms <= 50 || ms > 60_000));
            let (header, param) = if is_error {
                ("x-mock-error", "simulate_error")
            } else {
                ("x-mock-delay", "simulate_delay")
            };
            let url = format!("{}/health", live.base);
            let request = if in_header {
                live.client.get(url).header(header, value.as_str())
            } else {
                live.client.get(with_query(&url, &[(param, value.clone())]))
            };
            let answer = live.send(request);
            let asked = parsed.filter(|s| is_error && (400..=599).contains(s));
            match asked {
                Some(status) => {
                    prop_assert!(
                        answer.0 == 422 || u64::from(answer.0) == status,
                        "{param}={value:?} -> {}",
                        answer.0
                    );
                    if answer.0 >= 500 {
                        return Ok(());
                    }
                }
                None => prop_assert!(
                    answer.0 == 200 || answer.0 == 422,
                    "{param}={value:?} -> {}",
                    answer.0
                ),
            }
            check_answer(param, &answer)
        })
        .unwrap();
}

#[test]
fn every_mutation_applies_to_an_empty_token() {
    for mutation in [
        Mutation::Replace(3, 'x'),
        Mutation::Insert(3, 'x'),
        Mutation::Delete(3, 2),
        Mutation::Truncate(3),
        Mutation::SwapSegments(0, 2),
        Mutation::Append("a.b".to_owned()),
    ] {
        let _ = apply("", &mutation);
    }
    assert_eq!(apply("", &Mutation::Insert(3, 'x')), "x");
}
