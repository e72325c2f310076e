//! The real binary: start-up errors, --help, .env precedence, the banner,
//! the public-address warning and graceful exit on SIGTERM.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

const VARIABLES: [&str; 21] = [
    "HOST",
    "PORT",
    "JWT_SECRET",
    "JWT_ALGORITHM",
    "JWT_ISSUER",
    "JWT_AUDIENCE",
    "ACCESS_TOKEN_EXPIRE_MINUTES",
    "REFRESH_TOKEN_EXPIRE_DAYS",
    "BCRYPT_COST",
    "SEED_USERS_FILE",
    "ENABLE_DEV_ENDPOINTS",
    "CORS_ORIGINS",
    "MAX_BODY_BYTES",
    "HEADER_READ_TIMEOUT_SECS",
    "MOCK_DELAY_MIN_MS",
    "MOCK_DELAY_MAX_MS",
    "MOCK_ERROR_RATE",
    "MOCK_ERROR_STATUS",
    "LOG_FORMAT",
    "RUST_LOG",
    "NO_COLOR",
];

/// The binary with a clean view of the contract's variables, in `dir`.
fn binary(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mock-auth-server"));
    for variable in VARIABLES {
        command.env_remove(variable);
    }
    command.current_dir(dir).stdin(Stdio::null());
    command
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mock-auth-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run_to_exit(command: &mut Command) -> Output {
    command.output().expect("binary runs")
}

fn assert_startup_failure(output: &Output, names: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "should fail: {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    assert!(stderr.lines().count() <= 3, "a few lines at most: {stderr}");
    for name in names {
        assert!(stderr.contains(name), "{name} not named in: {stderr}");
    }
}

#[test]
fn port_that_is_not_a_number_stops_with_a_clear_error() {
    let dir = temp_dir();
    let output = run_to_exit(binary(&dir).env("PORT", "eighty"));
    assert_startup_failure(&output, &["--port", "PORT"]);
}

#[test]
fn error_rate_above_one_stops_with_a_clear_error() {
    let dir = temp_dir();
    let output = run_to_exit(binary(&dir).args(["--mock-error-rate", "2"]));
    assert_startup_failure(&output, &["--mock-error-rate", "MOCK_ERROR_RATE"]);
}

#[test]
fn empty_secret_stops_with_a_clear_error() {
    let dir = temp_dir();
    let output = run_to_exit(binary(&dir).args(["--jwt-secret", ""]));
    assert_startup_failure(&output, &["--jwt-secret", "JWT_SECRET"]);
}

#[test]
fn delay_minimum_above_maximum_stops_with_a_clear_error() {
    let dir = temp_dir();
    let output = run_to_exit(
        binary(&dir)
            .env("MOCK_DELAY_MIN_MS", "500")
            .env("MOCK_DELAY_MAX_MS", "100"),
    );
    assert_startup_failure(&output, &["MOCK_DELAY_MIN_MS"]);
}

#[test]
fn seed_file_that_does_not_parse_stops_with_a_clear_error() {
    let dir = temp_dir();
    std::fs::write(dir.join("seed.json"), "[{\"email\": ").unwrap();
    let output = run_to_exit(binary(&dir).env("SEED_USERS_FILE", "seed.json"));
    assert_startup_failure(&output, &["SEED_USERS_FILE"]);
}

#[test]
fn port_in_use_stops_with_a_clear_error() {
    let dir = temp_dir();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = run_to_exit(binary(&dir).args(["--port", &port]));
    assert_startup_failure(&output, &["PORT", &port]);
}

#[test]
fn help_lists_every_flag_with_its_variable() {
    let dir = temp_dir();
    let output = run_to_exit(binary(&dir).arg("--help"));
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for variable in &VARIABLES[..19] {
        assert!(
            help.contains(&format!("env: {variable}")),
            "{variable} not in --help"
        );
        let flag = format!("--{}", variable.to_lowercase().replace('_', "-"));
        assert!(help.contains(&flag), "{flag} not in --help");
    }
    assert!(help.contains("--env-file"));
}

/// A started binary, killed on drop if still running.
struct Running {
    child: Child,
    base: String,
    banner: Vec<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(command: &mut Command) -> Running {
    let mut child = command
        .arg("--port")
        .arg("0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("a banner line").expect("readable");
    let base = first
        .strip_prefix("listening on ")
        .expect("listening line first")
        .to_owned();
    let banner: Vec<String> = lines.by_ref().take(8).map_while(Result::ok).collect();
    std::thread::spawn(move || for _ in lines {});
    Running {
        child,
        base,
        banner,
    }
}

async fn issuer_of(server: &Running) -> String {
    let pair: Value = reqwest::Client::new()
        .post(format!("{}/api/auth/login", server.base))
        .json(&json!({"email": "alice@example.com", "password": "password123"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let claims = crate::helpers::claims_unchecked(pair["access_token"].as_str().unwrap());
    claims["iss"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn banner_prints_address_docs_users_and_a_login_line() {
    let dir = temp_dir();
    let server = start(&mut binary(&dir));
    assert!(server.base.starts_with("http://127.0.0.1:"));
    let banner = server.banner.join("\n");
    assert!(banner.contains(&format!("{}/docs", server.base)));
    for email in [
        "alice@example.com",
        "bob@example.com",
        "charlie@example.com",
        "diana@example.com",
        "ethan@example.com",
    ] {
        assert!(banner.contains(email), "{email}");
    }
    assert!(banner.contains("curl -s -X POST"));
    let health = reqwest::get(format!("{}/health", server.base))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn flag_beats_environment_beats_dotenv_beats_default() {
    let dir = temp_dir();
    std::fs::write(dir.join(".env"), "JWT_ISSUER=from-dotenv\n").unwrap();
    assert_eq!(issuer_of(&start(&mut binary(&dir))).await, "from-dotenv");
    assert_eq!(
        issuer_of(&start(binary(&dir).env("JWT_ISSUER", "from-env"))).await,
        "from-env"
    );
    let flagged = start(
        binary(&dir)
            .env("JWT_ISSUER", "from-env")
            .args(["--jwt-issuer", "from-flag"]),
    );
    assert_eq!(issuer_of(&flagged).await, "from-flag");
    let elsewhere = temp_dir();
    assert_eq!(
        issuer_of(&start(&mut binary(&elsewhere))).await,
        "mock-auth-server"
    );
    std::fs::write(elsewhere.join("custom.env"), "JWT_ISSUER=from-env-file\n").unwrap();
    let custom = start(binary(&elsewhere).args(["--env-file", "custom.env"]));
    assert_eq!(issuer_of(&custom).await, "from-env-file");
}

#[test]
fn missing_env_file_given_by_flag_is_an_error() {
    let dir = temp_dir();
    let output = run_to_exit(binary(&dir).args(["--env-file", "absent.env"]));
    assert_startup_failure(&output, &["--env-file"]);
}

#[test]
fn public_bind_with_default_secret_prints_a_warning() {
    let dir = temp_dir();
    let mut server = start(binary(&dir).args(["--host", "0.0.0.0"]));
    let stderr = server.child.stderr.take().unwrap();
    let mut warned = false;
    for line in BufReader::new(stderr).lines().take(5).map_while(Result::ok) {
        if line.contains("default JWT_SECRET") {
            warned = true;
            break;
        }
    }
    assert!(warned);
}

fn signal_stops_the_server_with_exit_code_zero(signal: &str) {
    let dir = temp_dir();
    let mut server = start(&mut binary(&dir));
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert_eq!(status.code(), Some(0), "{signal}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "did not exit on {signal}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_stops_the_server_with_exit_code_zero() {
    signal_stops_the_server_with_exit_code_zero("-TERM");
}

#[test]
fn sigint_stops_the_server_with_exit_code_zero() {
    signal_stops_the_server_with_exit_code_zero("-INT");
}

#[test]
fn empty_secret_from_the_environment_stops_with_a_clear_error() {
    let dir = temp_dir();
    let output = run_to_exit(binary(&dir).env("JWT_SECRET", ""));
    assert_startup_failure(&output, &["--jwt-secret", "JWT_SECRET"]);
    std::fs::write(dir.join(".env"), "JWT_SECRET=\n").unwrap();
    let output = run_to_exit(&mut binary(&dir));
    assert_startup_failure(&output, &["--jwt-secret", "JWT_SECRET"]);
}

#[test]
fn a_cors_entry_that_is_not_an_origin_stops_with_a_clear_error() {
    let dir = temp_dir();
    let output = run_to_exit(binary(&dir).env("CORS_ORIGINS", "http://ok.test,localhost:3000"));
    assert_startup_failure(&output, &["CORS_ORIGINS", "localhost:3000"]);
}

#[tokio::test]
async fn a_dotenv_in_a_parent_directory_is_not_read() {
    let parent = temp_dir();
    std::fs::write(parent.join(".env"), "JWT_ISSUER=from-parent\n").unwrap();
    let child = parent.join("project");
    std::fs::create_dir_all(&child).unwrap();
    assert_eq!(
        issuer_of(&start(&mut binary(&child))).await,
        "mock-auth-server"
    );
}

#[test]
fn the_public_bind_warning_is_printed_whatever_the_log_level() {
    let dir = temp_dir();
    let mut server = start(
        binary(&dir)
            .env("RUST_LOG", "off")
            .args(["--host", "0.0.0.0"]),
    );
    let stderr = server.child.stderr.take().unwrap();
    let first = BufReader::new(stderr).lines().next().and_then(Result::ok);
    assert!(
        first.is_some_and(|line| line.contains("warning") && line.contains("JWT_SECRET")),
        "no warning line"
    );
}

#[tokio::test]
async fn injected_errors_delays_and_every_answer_are_logged_with_the_request_id() {
    let dir = temp_dir();
    let mut server = start(binary(&dir).env("LOG_FORMAT", "json"));
    let client = reqwest::Client::new();
    for (id, query) in [
        ("fault-log-error", "simulate_error=503"),
        ("fault-log-delay", "simulate_delay=5"),
    ] {
        client
            .get(format!("{}/health?{query}", server.base))
            .header("x-request-id", id)
            .send()
            .await
            .unwrap();
    }
    let stderr = server.child.stderr.take().unwrap();
    // Every answer is logged before it is sent, so the lines are in the
    // pipe; the server's end closes with it and the reader sees the end.
    server.child.kill().unwrap();
    // Bounded all the same: a child that outlived the kill would hold the pipe.
    let reader = tokio::task::spawn_blocking(move || {
        let mut found = (false, false, false);
        for line in BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .take(500)
        {
            let Ok(entry) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            let text = entry.to_string();
            found.0 |= text.contains("simulated error") && text.contains("fault-log-error");
            found.1 |= text.contains("simulated delay") && text.contains("fault-log-delay");
            // The answer's own line, in the request's span.
            found.2 |= text.contains("finished processing request")
                && entry["fields"]["status"] == 503
                && text.contains("fault-log-error");
            if found == (true, true, true) {
                break;
            }
        }
        found
    });
    let found = tokio::time::timeout(Duration::from_secs(10), reader)
        .await
        .map(Result::unwrap)
        .unwrap_or_default();
    assert_eq!(
        found,
        (true, true, true),
        "(error logged, delay logged, the 503 answer logged)"
    );
}
