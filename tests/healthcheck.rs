//! `mock-auth-server healthcheck`, the container's HEALTHCHECK, run as the
//! real binary: against a real server, a closed port, a server that answers
//! 503 and one that never answers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary with an empty environment (no HOST or PORT of the machine)
/// in a fresh directory (no `.env`).
fn binary() -> Command {
    let dir = std::env::temp_dir().join(format!("mock-auth-hc-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_mock-auth-server"));
    command.env_clear().current_dir(dir).stdin(Stdio::null());
    command
}

/// A server on a free port, killed when dropped.
struct RunningServer {
    child: Child,
    port: u16,
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server() -> RunningServer {
    let mut child = binary()
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    // Keep reading: with the pipe closed, the server's next line to stdout
    // would fail (and a full pipe would block it).
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let port = line
        .trim()
        .strip_prefix("listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .parse()
        .unwrap();
    RunningServer { child, port }
}

fn healthcheck(args: &[&str], env: &[(&str, String)]) -> Output {
    let mut command = binary();
    command.arg("healthcheck").args(args);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("healthcheck runs")
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A port nothing listens on (bound a moment ago, then released).
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn assert_unhealthy_in_one_line(output: &Output, expected: &str) {
    let stderr = stderr_of(output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(stderr.contains(expected), "{expected:?} not in {stderr:?}");
}

#[test]
fn a_running_server_is_healthy_by_url() {
    let server = start_server();
    let url = format!("http://127.0.0.1:{}", server.port);
    let output = healthcheck(&["--url", &url], &[]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("{url}/health answered 200")),
        "{stdout}"
    );
}

#[test]
fn host_and_port_are_read_from_the_environment_like_the_server() {
    let server = start_server();
    // As in the container: HOST=0.0.0.0 is bound, loopback is checked.
    let env = [
        ("HOST", "0.0.0.0".to_owned()),
        ("PORT", server.port.to_string()),
    ];
    let output = healthcheck(&[], &env);
    assert!(output.status.success(), "{}", stderr_of(&output));
}

#[test]
fn the_port_flag_wins_over_the_environment() {
    let server = start_server();
    let env = [("PORT", closed_port().to_string())];
    let output = healthcheck(&["--port", &server.port.to_string()], &env);
    assert!(output.status.success(), "{}", stderr_of(&output));
}

#[test]
fn a_closed_port_is_unhealthy_with_one_line() {
    let port = closed_port();
    let output = healthcheck(&["--port", &port.to_string()], &[]);
    assert_unhealthy_in_one_line(
        &output,
        &format!("http://127.0.0.1:{port}/health: cannot connect"),
    );
}

#[test]
fn an_answer_other_than_200_is_unhealthy() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 1024];
        let _ = stream.read(&mut request);
        let _ = stream.write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n");
    });
    let output = healthcheck(&["--url", &format!("http://127.0.0.1:{port}")], &[]);
    assert_unhealthy_in_one_line(&output, "answered 503");
}

#[test]
fn a_server_that_never_answers_is_unhealthy_within_the_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepted by the kernel's backlog, never read, never answered.
    let started = Instant::now();
    let output = healthcheck(&["--port", &port.to_string(), "--timeout", "0.5"], &[]);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_unhealthy_in_one_line(&output, "no answer within the timeout");
    drop(listener);
}

#[test]
fn a_url_that_is_not_http_is_refused_with_one_line() {
    let output = healthcheck(&["--url", "https://auth:8000"], &[]);
    assert_unhealthy_in_one_line(&output, "only http://");
}
