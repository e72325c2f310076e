//! The server under test as a separate process (the real binary), so that its
//! open file descriptors and resident memory can be read from /proc without
//! the noise of the test process and of the other tests running beside it;
//! and raw-TCP helpers, since the faults under test are ones no well-behaved
//! HTTP client would commit.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// A running server binary; killed when dropped, unless it already exited.
pub struct Proc {
    /// The child process.
    pub child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its process id.
    pub pid: u32,
}

/// Starts the binary on a free loopback port with extra `args`, and waits for its banner.
pub async fn spawn_server(args: &[&str]) -> Proc {
    // The server under test holds one fd per client connection; the tests
    // open thousands. The child inherits the raised limit.
    raise_fd_limit();
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_mock-auth-server"));
    // The developer's shell must not change the settings under test.
    for variable in mock_auth_server::config::variable_names() {
        command.env_remove(variable);
    }
    command
        .env("RUST_LOG", "error")
        .args(["--port", "0"])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    let mut child = command.spawn().expect("server binary starts");
    let pid = child.id().expect("child pid");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("banner within 60 s")
        .expect("stdout readable")
        .expect("a first line");
    let addr = first
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {first}"))
        .parse()
        .expect("an address");
    // Drain the rest of the banner so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let proc = Proc { child, addr, pid };
    proc.assert_serves().await;
    proc
}

/// Raises this process's soft limit on open files to its hard limit.
pub fn raise_fd_limit() {
    if let Err(error) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("could not raise the open-file limit: {error}");
    }
}

impl Proc {
    /// The server's open file descriptors.
    pub fn fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid))
            .map(|entries| entries.count())
            .unwrap_or(0)
    }

    /// The server's resident memory, KiB.
    pub fn rss_kib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
            .unwrap_or(0)
    }

    /// Waits (at most `limit`) until the server holds at most `target` fds; returns the last count.
    pub async fn fds_settle_to(&self, target: usize, limit: Duration) -> usize {
        let deadline = Instant::now() + limit;
        loop {
            let now = self.fds();
            if now <= target || Instant::now() >= deadline {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits (at most `limit`) until the server holds at least `target` fds; returns the last count.
    pub async fn fds_reach(&self, target: usize, limit: Duration) -> usize {
        let deadline = Instant::now() + limit;
        loop {
            let now = self.fds();
            if now >= target || Instant::now() >= deadline {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Asserts that `/health` answers 200 JSON on a new connection within a generous 15 s.
    pub async fn assert_serves(&self) {
        let response = tokio::time::timeout(
            Duration::from_secs(15),
            exchange(
                self.addr,
                b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
            ),
        )
        .await
        .expect("/health answers within 15 s")
        .expect("/health answers");
        assert_eq!(response.status, 200, "health: {response:?}");
        assert!(response.is_json(), "health: {response:?}");
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM {}", self.pid);
    }
}

/// An HTTP/1.1 response read off a raw connection.
#[derive(Debug)]
pub struct RawResponse {
    /// Status code.
    pub status: u16,
    /// Header lines, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body as received (the connection is read to its end).
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `Content-Type: application/json` and a body that parses.
    pub fn is_json(&self) -> bool {
        self.header("content-type")
            .is_some_and(|t| t.starts_with("application/json"))
            && serde_json::from_slice::<serde_json::Value>(self.body_of_first()).is_ok()
    }

    /// The contract's error shape: JSON with a non-empty `detail` and a `code`.
    pub fn is_contract_error(&self) -> bool {
        self.is_json()
            && serde_json::from_slice::<serde_json::Value>(self.body_of_first()).is_ok_and(|v| {
                v["detail"].as_str().is_some_and(|d| !d.is_empty()) && v["code"].is_string()
            })
    }

    /// The `code` of a JSON error body.
    pub fn code(&self) -> String {
        serde_json::from_slice::<serde_json::Value>(self.body_of_first())
            .ok()
            .and_then(|v| v["code"].as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// The first response's body, by its Content-Length (later bytes may be another response).
    pub fn body_of_first(&self) -> &[u8] {
        let length = self
            .header("content-length")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(self.body.len());
        &self.body[..length.min(self.body.len())]
    }
}

/// Connects, writes `request`, reads to the end of the connection and parses the first response.
pub async fn exchange(addr: SocketAddr, request: &[u8]) -> std::io::Result<RawResponse> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(request).await?;
    read_response(&mut stream).await
}

/// Reads to the end of the connection and parses the first response in it.
pub async fn read_response(stream: &mut TcpStream) -> std::io::Result<RawResponse> {
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    parse_response(&raw).ok_or_else(|| {
        std::io::Error::other(format!(
            "no HTTP response in {:?}",
            String::from_utf8_lossy(&raw)
        ))
    })
}

/// Parses the head and the rest of the bytes as the body.
pub fn parse_response(raw: &[u8]) -> Option<RawResponse> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    // Lossy: a header value may carry bytes that are not UTF-8 (an echoed request id).
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some(RawResponse {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    })
}

/// Waits until the peer closes `stream` (or `limit` passes); returns when it closed.
pub async fn wait_closed(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut sink = [0u8; 4096];
    loop {
        match tokio::time::timeout_at((started + limit).into(), stream.read(&mut sink)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

/// Prints a figure line (shown with `cargo test -- --nocapture`).
pub fn figure(test: &str, what: &str) {
    println!("[reliability] {test}: {what}");
}
