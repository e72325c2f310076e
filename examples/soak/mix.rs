//! The request mix: what one tick of the load does, and which statuses each
//! kind of request may get. A status outside that set is "unexpected"; a 5xx
//! is only ever expected where the request asked for it (`simulate_error`).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::{Client, Method, RequestBuilder};
use serde_json::{Value, json};

use crate::stats::Stats;

/// The seed users of the contract, all with password `password123`.
const SEED_EMAILS: [&str; 5] = [
    "alice@example.com",
    "bob@example.com",
    "charlie@example.com",
    "diana@example.com",
    "ethan@example.com",
];

/// Most tokens kept for later `/me`, refresh and logout requests.
const POOL_CAP: usize = 256;

/// The kinds of request in the mix, with their share of the ticks (per 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Op {
    Login,
    LoginWrongPassword,
    Me,
    MeWithoutToken,
    Refresh,
    Logout,
    Register,
    SimulatedError,
    SimulatedDelay,
    Metrics,
    Prometheus,
    Unmatched,
    BadJson,
    WrongShape,
    Health,
    ListUsers,
    Reset,
    MetricsReset,
}

const MIX: [(Op, u64); 16] = [
    (Op::Login, 12),
    (Op::LoginWrongPassword, 4),
    (Op::Me, 22),
    (Op::MeWithoutToken, 2),
    (Op::Refresh, 10),
    (Op::Logout, 3),
    (Op::Register, 6),
    (Op::SimulatedError, 5),
    (Op::SimulatedDelay, 6),
    (Op::Metrics, 4),
    (Op::Prometheus, 3),
    (Op::Unmatched, 5),
    (Op::BadJson, 3),
    (Op::WrongShape, 3),
    (Op::Health, 9),
    (Op::ListUsers, 3),
];

/// A token pair kept for later requests.
#[derive(Debug, Clone)]
struct Tokens {
    access: String,
    refresh: String,
    /// The user was registered by the soak (a reset deletes it).
    registered: bool,
    /// Resets finished before the request that issued these tokens was sent:
    /// if one has started since (or was still running then), a 401 for them
    /// is legitimate.
    resets_before: u64,
}

/// Shared state of the load: HTTP clients, token pools and counters.
pub struct Driver {
    base: String,
    /// Keep-alive client, the common case.
    client: Client,
    /// A client that never reuses a connection: exercises per-connection setup and teardown.
    fresh: Client,
    tokens: Mutex<VecDeque<Tokens>>,
    resets_started: AtomicU64,
    /// Resets answered. A reset sent before a request may still be running
    /// on the server when the request arrives, so a token's baseline is the
    /// count of resets *finished* before it was asked for.
    resets_done: AtomicU64,
    registered: AtomicU64,
    run_id: u64,
    /// Counters read by the summary.
    pub stats: Stats,
}

/// What a request is allowed to get back.
enum Expect {
    /// Exactly one of these statuses.
    Any(&'static [u16]),
    /// One of these, or a 401 if a reset happened since the token was issued.
    OrRevoked(&'static [u16], u64),
}

impl Driver {
    /// A driver for the server at `base`.
    pub fn new(base: &str) -> Self {
        let timeout = Duration::from_secs(30);
        let client = Client::builder()
            .timeout(timeout)
            .build()
            .expect("http client");
        let fresh = Client::builder()
            .timeout(timeout)
            .pool_max_idle_per_host(0)
            .build()
            .expect("http client");
        let run_id = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Self {
            base: base.trim_end_matches('/').to_owned(),
            client,
            fresh,
            tokens: Mutex::new(VecDeque::new()),
            resets_started: AtomicU64::new(0),
            resets_done: AtomicU64::new(0),
            registered: AtomicU64::new(0),
            run_id,
            stats: Stats::default(),
        }
    }

    /// One tick of the load: picks an operation from `seq` and runs it.
    pub async fn one_request(&self, seq: u64) {
        let roll = mix64(seq);
        let op = pick(roll % 100);
        // One request in ten goes over a new connection.
        let client = if (roll >> 8).is_multiple_of(10) {
            &self.fresh
        } else {
            &self.client
        };
        self.run(op, client, roll >> 16).await;
    }

    /// Resets the users every `every` until `duration` is over.
    pub async fn reset_loop(self: std::sync::Arc<Self>, duration: Duration, every: Duration) {
        let deadline = Instant::now() + duration;
        let mut n: u64 = 0;
        loop {
            let next = (Instant::now() + every).min(deadline);
            tokio::time::sleep_until(next.into()).await;
            if Instant::now() >= deadline {
                return;
            }
            n += 1;
            self.resets_started.fetch_add(1, Ordering::SeqCst);
            self.run(Op::Reset, &self.client, 0).await;
            self.resets_done.fetch_add(1, Ordering::SeqCst);
            // Metrics are reset less often, so that their maps live long enough to grow.
            if n.is_multiple_of(3) {
                self.run(Op::MetricsReset, &self.client, 0).await;
            }
        }
    }

    async fn run(&self, op: Op, client: &Client, roll: u64) {
        let resets = self.resets_done.load(Ordering::SeqCst);
        let (op, (request, expect, keep)) = match self.build(op, client, roll) {
            Some(built) => (op, built),
            // Nothing to use yet (an empty token pool): log in instead.
            None => (
                Op::Login,
                self.build(Op::Login, client, roll)
                    .expect("login always builds"),
            ),
        };
        let started = Instant::now();
        let result = request.send().await;
        let elapsed = started.elapsed();
        let response = match result {
            Ok(response) => response,
            Err(error) => return self.stats.transport_error(op, &error.to_string()),
        };
        let status = response.status().as_u16();
        let body = response.bytes().await.unwrap_or_default();
        let allowed = match expect {
            Expect::Any(list) => list.contains(&status),
            Expect::OrRevoked(list, before) => {
                list.contains(&status)
                    || (status == 401 && self.resets_started.load(Ordering::SeqCst) > before)
            }
        };
        if op == Op::SimulatedDelay
            && status == 200
            && elapsed < Duration::from_millis(roll % 300 + 20)
        {
            self.stats
                .unexpected(op, status, "answered before the simulated delay");
        }
        self.stats.record(op, status, elapsed);
        if !allowed {
            self.stats
                .unexpected(op, status, &String::from_utf8_lossy(&body));
            return;
        }
        if let Some(registered) = keep
            && (status == 200 || status == 201)
        {
            self.keep_tokens(&body, registered, resets);
        }
    }

    /// Builds the request for `op`: the request, what it may get, and
    /// whether its token pair is kept (`Some(registered)`).
    fn build(
        &self,
        op: Op,
        client: &Client,
        roll: u64,
    ) -> Option<(RequestBuilder, Expect, Option<bool>)> {
        let url = |path: &str| format!("{}{path}", self.base);
        let seed = SEED_EMAILS[usize::try_from(roll % 5).unwrap_or(0)];
        let built = match op {
            Op::Login => (
                client
                    .post(url("/api/auth/login"))
                    .json(&json!({"email": seed, "password": "password123"})),
                Expect::Any(&[200]),
                Some(false),
            ),
            Op::LoginWrongPassword => (
                client
                    .post(url("/api/auth/login"))
                    .json(&json!({"email": seed, "password": "wrong-password"})),
                Expect::Any(&[401]),
                None,
            ),
            Op::Me => {
                let tokens = self.peek_tokens(roll)?;
                let expect = if tokens.registered {
                    Expect::OrRevoked(&[200], tokens.resets_before)
                } else {
                    Expect::Any(&[200])
                };
                (
                    client.get(url("/api/auth/me")).bearer_auth(tokens.access),
                    expect,
                    None,
                )
            }
            Op::MeWithoutToken => (client.get(url("/api/auth/me")), Expect::Any(&[401]), None),
            Op::Refresh => {
                let tokens = self.take_tokens()?;
                let body = json!({"refresh_token": tokens.refresh});
                let expect = Expect::OrRevoked(&[200], tokens.resets_before);
                (
                    client.post(url("/api/auth/refresh")).json(&body),
                    expect,
                    Some(tokens.registered),
                )
            }
            Op::Logout => {
                let tokens = self.take_tokens()?;
                let body = json!({"refresh_token": tokens.refresh});
                let expect = Expect::OrRevoked(&[204], tokens.resets_before);
                (
                    client.post(url("/api/auth/logout")).json(&body),
                    expect,
                    None,
                )
            }
            Op::Register => {
                let n = self.registered.fetch_add(1, Ordering::Relaxed);
                let email = format!("soak-{}-{n}@example.com", self.run_id);
                let body = json!({"email": email, "password": "soak-password", "name": format!("Soak {n}")});
                (
                    client.post(url("/api/auth/register")).json(&body),
                    Expect::Any(&[201]),
                    Some(true),
                )
            }
            Op::SimulatedError => {
                const STATUSES: [u16; 4] = [500, 502, 503, 429];
                let status = STATUSES[usize::try_from(roll % 4).unwrap_or(0)];
                let request = if roll.is_multiple_of(2) {
                    client.get(url(&format!("/health?simulate_error={status}")))
                } else {
                    client
                        .get(url("/api/auth/me"))
                        .header("X-Mock-Error", status.to_string())
                };
                let expect: &'static [u16] = match status {
                    500 => &[500],
                    502 => &[502],
                    503 => &[503],
                    _ => &[429],
                };
                (request, Expect::Any(expect), None)
            }
            Op::SimulatedDelay => (
                client.get(url(&format!("/health?simulate_delay={}", roll % 300 + 20))),
                Expect::Any(&[200]),
                None,
            ),
            Op::Metrics => (
                client.get(url("/api/auth/metrics")),
                Expect::Any(&[200]),
                None,
            ),
            Op::Prometheus => (client.get(url("/metrics")), Expect::Any(&[200]), None),
            // Random paths and a method no route has: metrics must not grow a key per path.
            Op::Unmatched => {
                let method = if roll.is_multiple_of(3) {
                    Method::PATCH
                } else {
                    Method::GET
                };
                let path = format!("/soak/{}/{}", roll % 100_000, mix64(roll));
                let expect: &'static [u16] = &[404, 405];
                (
                    client.request(method, url(&path)),
                    Expect::Any(expect),
                    None,
                )
            }
            Op::BadJson => (
                client
                    .post(url("/api/auth/login"))
                    .header("content-type", "application/json")
                    .body("{\"email\": \"alice@example.com\", "),
                Expect::Any(&[400]),
                None,
            ),
            Op::WrongShape => (
                client
                    .post(url("/api/auth/register"))
                    .json(&json!({"email": "x@example.com", "password": 5})),
                Expect::Any(&[422]),
                None,
            ),
            Op::Health => (client.get(url("/health")), Expect::Any(&[200]), None),
            Op::ListUsers => (
                client.get(url("/api/auth/users?limit=20")),
                Expect::Any(&[200]),
                None,
            ),
            Op::Reset => (
                client.delete(url("/api/auth/users/reset")),
                Expect::Any(&[200]),
                None,
            ),
            Op::MetricsReset => (
                client.delete(url("/api/auth/metrics")),
                Expect::Any(&[204]),
                None,
            ),
        };
        Some(built)
    }

    fn keep_tokens(&self, body: &[u8], registered: bool, resets_before: u64) {
        let Ok(value) = serde_json::from_slice::<Value>(body) else {
            return self
                .stats
                .unexpected(Op::Login, 200, "token pair body is not JSON");
        };
        let (Some(access), Some(refresh)) = (
            value["access_token"].as_str(),
            value["refresh_token"].as_str(),
        ) else {
            return self
                .stats
                .unexpected(Op::Login, 200, "token pair without tokens");
        };
        let mut pool = self.tokens.lock().expect("pool lock");
        if pool.len() >= POOL_CAP {
            pool.pop_front();
        }
        pool.push_back(Tokens {
            access: access.to_owned(),
            refresh: refresh.to_owned(),
            registered,
            resets_before,
        });
    }

    fn peek_tokens(&self, roll: u64) -> Option<Tokens> {
        let pool = self.tokens.lock().expect("pool lock");
        if pool.is_empty() {
            return None;
        }
        let index = usize::try_from(roll).unwrap_or(0) % pool.len();
        pool.get(index).cloned()
    }

    /// Takes a pair out of the pool: a refresh token is used once.
    fn take_tokens(&self) -> Option<Tokens> {
        self.tokens.lock().expect("pool lock").pop_front()
    }
}

fn pick(roll: u64) -> Op {
    let mut acc = 0;
    for (op, weight) in MIX {
        acc += weight;
        if roll < acc {
            return op;
        }
    }
    Op::Health
}

/// SplitMix64: a cheap, well-spread hash of the tick number, so the mix is
/// reproducible from one run to the next without a random-number crate.
fn mix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
