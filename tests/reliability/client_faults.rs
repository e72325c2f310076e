//! Clients that misbehave: disconnects mid-request, stalls, lying
//! Content-Lengths, thousands of idle connections, invalid UTF-8 and huge
//! headers. Throughout, the server keeps serving others, gives a JSON error
//! where it still can, and gets its file descriptors back; memory does not
//! grow from one round of abuse to the next. Timing bounds are generous:
//! the machine is small and shared.

use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::harness::{
    Proc, exchange, figure, parse_response, read_response, spawn_server, wait_closed,
};

/// The server's header read timeout (`server::HEADER_READ_TIMEOUT`).
/// The servers of these tests run with `--header-read-timeout-secs 5`, so
/// that the waits for it stay short.
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
const SHORT_HEADER_TIMEOUT: [&str; 2] = ["--header-read-timeout-secs", "5"];
/// The server's whole-request timeout (`middleware::REQUEST_TIMEOUT`).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(75);
/// Slack on top of a server timeout before a test calls it missed.
const MARGIN: Duration = Duration::from_secs(30);
/// Fds the server may hold above its baseline once its clients are gone
/// (none expected; a little room for a connection still being torn down).
const FD_SLACK: usize = 2;
/// RSS growth allowed between two identical rounds of abuse: allocator
/// caches and thread stacks warm up in the first round, a leak keeps growing.
const RSS_ROUND_SLACK_KIB: u64 = 8 * 1024;

/// Runs `round` twice and checks that fds come back to the baseline after
/// each and that the second round costs no more memory than the first.
async fn assert_rounds_leak_nothing<F, Fut>(proc: &Proc, name: &str, round: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let fds_before = proc.fds();
    let rss_before = proc.rss_kib();
    let mut after = Vec::new();
    for _ in 0..2 {
        round().await;
        proc.assert_serves().await;
        let fds = proc
            .fds_settle_to(fds_before + FD_SLACK, Duration::from_secs(20))
            .await;
        assert!(
            fds <= fds_before + FD_SLACK,
            "{name}: fds {fds_before} before, {fds} after"
        );
        after.push((fds, proc.rss_kib()));
    }
    figure(
        name,
        &format!(
            "fds {fds_before} -> {} -> {}; RSS KiB {rss_before} -> {} -> {}",
            after[0].0, after[1].0, after[0].1, after[1].1
        ),
    );
    assert!(
        after[1].1 <= after[0].1 + RSS_ROUND_SLACK_KIB,
        "{name}: RSS grew from {} KiB to {} KiB between identical rounds",
        after[0].1,
        after[1].1
    );
}

/// Opens `n` connections, each having sent `request`.
async fn open_with(proc: &Proc, n: usize, request: &[u8]) -> Vec<TcpStream> {
    let mut streams = Vec::with_capacity(n);
    for _ in 0..n {
        let mut stream = TcpStream::connect(proc.addr).await.expect("connect");
        stream.write_all(request).await.expect("write");
        streams.push(stream);
    }
    streams
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_vanish_during_a_simulated_delay_leak_nothing() {
    let proc = spawn_server(&SHORT_HEADER_TIMEOUT).await;
    // A delay far longer than the fd check's patience: the server must
    // notice the disconnect, not wait the delay out.
    let request = b"GET /health?simulate_delay=60000 HTTP/1.1\r\nHost: t\r\n\r\n";
    assert_rounds_leak_nothing(&proc, "vanish during delay (200 clients)", || async {
        let before = proc.fds();
        let streams = open_with(&proc, 200, request).await;
        proc.fds_reach(before + 200, Duration::from_secs(10)).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        proc.assert_serves().await;
        drop(streams);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_vanish_while_bcrypt_runs_leak_nothing() {
    // Cost 12: a few hundred milliseconds per hash, so the disconnects land mid-hash.
    let proc = spawn_server(&[
        "--bcrypt-cost",
        "12",
        SHORT_HEADER_TIMEOUT[0],
        SHORT_HEADER_TIMEOUT[1],
    ])
    .await;
    let body = r#"{"email":"alice@example.com","password":"password123"}"#;
    let request = format!(
        "POST /api/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    assert_rounds_leak_nothing(&proc, "vanish during bcrypt (16 logins)", || async {
        let streams = open_with(&proc, 16, request.as_bytes()).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(streams);
    })
    .await;
    // The blocking pool is not wedged: a full login still succeeds.
    let mut login = request.clone();
    login = login.replacen("HTTP/1.1\r\n", "HTTP/1.1\r\nConnection: close\r\n", 1);
    let response = tokio::time::timeout(
        Duration::from_secs(60),
        exchange(proc.addr, login.as_bytes()),
    )
    .await
    .expect("login answers")
    .expect("login response");
    assert_eq!(response.status, 200, "{response:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_request_head_is_cut_off_by_the_header_timeout() {
    let proc = spawn_server(&SHORT_HEADER_TIMEOUT).await;
    let fds_before = proc.fds();
    let mut stalled = open_with(
        &proc,
        20,
        b"POST /api/auth/login HTTP/1.1\r\nHost: t\r\nContent-Le",
    )
    .await;
    proc.assert_serves().await;
    let started = Instant::now();
    for stream in &mut stalled {
        let closed = wait_closed(
            stream,
            HEADER_TIMEOUT + MARGIN - started.elapsed().min(HEADER_TIMEOUT),
        )
        .await;
        assert!(
            closed.is_some(),
            "a stalled request head was still open after {:?}",
            started.elapsed()
        );
    }
    figure(
        "half request head",
        &format!("closed by the server after {:?}", started.elapsed()),
    );
    drop(stalled);
    let fds = proc
        .fds_settle_to(fds_before + FD_SLACK, Duration::from_secs(10))
        .await;
    assert!(
        fds <= fds_before + FD_SLACK,
        "fds {fds_before} before, {fds} after"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_shorter_than_its_content_length_then_a_stall_gets_a_json_408() {
    let proc = spawn_server(&SHORT_HEADER_TIMEOUT).await;
    let request = "POST /api/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\":";
    let mut stream = TcpStream::connect(proc.addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    proc.assert_serves().await;
    let started = Instant::now();
    let response = tokio::time::timeout(REQUEST_TIMEOUT + MARGIN, read_response(&mut stream))
        .await
        .expect("an answer before the request timeout plus margin")
        .expect("an HTTP response");
    figure(
        "short body + stall",
        &format!("{} after {:?}", response.status, started.elapsed()),
    );
    assert_eq!(response.status, 408, "{response:?}");
    assert!(response.is_contract_error(), "{response:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_shorter_than_its_content_length_then_eof_gets_a_json_400_or_a_close() {
    let proc = spawn_server(&SHORT_HEADER_TIMEOUT).await;
    let fds_before = proc.fds();
    let request = "POST /api/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\":";
    let mut stream = TcpStream::connect(proc.addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    stream.shutdown().await.expect("half close");
    let mut raw = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), async {
        use tokio::io::AsyncReadExt;
        stream.read_to_end(&mut raw).await
    })
    .await
    .expect("the server answers or closes within 20 s");
    // The client said it was done sending: hyper may close at once, or
    // answer first. An answer, if there is one, must be a JSON 400.
    if read.is_ok() && !raw.is_empty() {
        let response = parse_response(&raw).expect("an HTTP response");
        figure("short body + EOF", &format!("answered {}", response.status));
        assert_eq!(response.status, 400, "{response:?}");
        assert!(response.is_contract_error(), "{response:?}");
    } else {
        figure("short body + EOF", "closed without an answer");
    }
    drop(stream);
    proc.assert_serves().await;
    let fds = proc
        .fds_settle_to(fds_before + FD_SLACK, Duration::from_secs(10))
        .await;
    assert!(
        fds <= fds_before + FD_SLACK,
        "fds {fds_before} before, {fds} after"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_longer_than_its_content_length_gets_a_json_400_then_the_rest_is_refused() {
    let proc = spawn_server(&SHORT_HEADER_TIMEOUT).await;
    let body = r#"{"email":"alice@example.com","password":"password123"}"#;
    // Content-Length covers `{"email":"` only; the rest looks like a second request.
    let request = format!(
        "POST /api/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{body}"
    );
    let mut stream = TcpStream::connect(proc.addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let response = tokio::time::timeout(Duration::from_secs(20), read_response(&mut stream))
        .await
        .expect("answered and closed within 20 s")
        .expect("an HTTP response");
    assert_eq!(response.status, 400, "{response:?}");
    assert!(response.is_contract_error(), "{response:?}");
    assert_eq!(response.code(), "bad_request");
    // The leftover bytes are no valid request: hyper answers 400 itself (no
    // JSON possible there, the request never reached the app) and closes.
    let rest = &response.body[response.body_of_first().len()..];
    if !rest.is_empty() {
        let second = parse_response(rest).expect("a second HTTP response");
        assert_eq!(second.status, 400, "{second:?}");
    }
    proc.assert_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_idle_connections_do_not_stop_others_and_are_closed_in_time() {
    let proc = spawn_server(&SHORT_HEADER_TIMEOUT).await;
    let fds_before = proc.fds();
    let rss_before = proc.rss_kib();
    let mut idle = Vec::with_capacity(2000);
    for _ in 0..2000 {
        idle.push(TcpStream::connect(proc.addr).await.expect("connect"));
    }
    let held = proc
        .fds_reach(fds_before + 2000, Duration::from_secs(20))
        .await;
    let rss_held = proc.rss_kib();
    // Others are served while the idle ones wait.
    let started = Instant::now();
    proc.assert_serves().await;
    figure(
        "2000 idle connections",
        &format!(
            "fds {fds_before} -> {held}; RSS KiB {rss_before} -> {rss_held}; /health in {:?}",
            started.elapsed()
        ),
    );
    // A connection that never sends a byte must not be held forever: the
    // header read timeout (or an idle limit) closes it.
    let started = Instant::now();
    let mut still_open = 0;
    for stream in &mut idle {
        let left = (HEADER_TIMEOUT + MARGIN).saturating_sub(started.elapsed());
        if wait_closed(stream, left.max(Duration::from_millis(1)))
            .await
            .is_none()
        {
            still_open += 1;
        }
    }
    figure(
        "2000 idle connections",
        &format!(
            "{still_open} still open {:?} after the check began",
            started.elapsed()
        ),
    );
    drop(idle);
    let fds = proc
        .fds_settle_to(fds_before + FD_SLACK, Duration::from_secs(20))
        .await;
    figure(
        "2000 idle connections",
        &format!("fds back to {fds}, RSS KiB {}", proc.rss_kib()),
    );
    assert!(
        fds <= fds_before + FD_SLACK,
        "fds {fds_before} before, {fds} after"
    );
    assert_eq!(still_open, 0, "idle connections never closed by the server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_by_the_header_timeout() {
    let proc = spawn_server(&SHORT_HEADER_TIMEOUT).await;
    let mut stream = TcpStream::connect(proc.addr).await.expect("connect");
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .expect("write");
    // Reads the first response, then waits for the close of the idle connection.
    let started = Instant::now();
    let closed = wait_closed(&mut stream, HEADER_TIMEOUT + MARGIN).await;
    figure(
        "idle keep-alive",
        &format!("closed by the server after {closed:?}"),
    );
    assert!(
        closed.is_some(),
        "an idle keep-alive connection was still open after {:?}",
        started.elapsed()
    );
}

/// Reads from `stream` until `needle` has arrived or `limit` passes.
async fn read_until_seen(stream: &mut TcpStream, needle: &[u8], limit: Duration) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let started = Instant::now();
    let mut seen = Vec::new();
    let mut chunk = [0u8; 4096];
    while !seen.windows(needle.len()).any(|w| w == needle) {
        let left = limit.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => seen.extend_from_slice(&chunk[..n]),
            _ => break,
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_and_streams_that_outlast_the_header_timeout_are_not_cut_off() {
    // The header timeout applies while a connection waits for a request
    // head, never while it is serving one.
    let proc = spawn_server(&["--header-read-timeout-secs", "1"]).await;
    let mut slow = TcpStream::connect(proc.addr).await.expect("connect");
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: t\r\nX-Mock-Delay: 2500\r\n\r\n")
        .await
        .expect("write");
    let mut stream = TcpStream::connect(proc.addr).await.expect("connect");
    stream
        .write_all(b"GET /api/dev/requests/stream HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .expect("write");
    for (connection, what) in [
        (&mut stream, "the live stream"),
        (&mut slow, "a request delayed past the header timeout"),
    ] {
        let head = read_until_seen(connection, b"\r\n\r\n", MARGIN).await;
        let head = String::from_utf8_lossy(&head);
        assert!(head.starts_with("HTTP/1.1 200"), "{what} got {head:?}");
    }
    // Three timeouts later the stream is still open and still delivers.
    tokio::time::sleep(Duration::from_secs(3)).await;
    exchange(
        proc.addr,
        b"GET /after-three-timeouts HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    .await
    .expect("a request to journal");
    let events = read_until_seen(&mut stream, b"/after-three-timeouts", MARGIN).await;
    assert!(
        String::from_utf8_lossy(&events).contains("/after-three-timeouts"),
        "the live stream stopped delivering: {:?}",
        String::from_utf8_lossy(&events)
    );
    // The delayed request's connection, idle again, is closed one timeout on.
    assert!(
        wait_closed(&mut slow, Duration::from_secs(1) + MARGIN)
            .await
            .is_some(),
        "the idle connection after the slow answer stayed open"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_gets_json_errors_where_the_app_sees_the_request() {
    let proc = spawn_server(&SHORT_HEADER_TIMEOUT).await;
    let json_body = |body: &[u8]| {
        let mut request = format!(
            "POST /api/auth/login HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        request
    };
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("body", json_body(b"{\"email\":\"\xff\xfe@example.com\",\"password\":\"password123\"}"), 400, "bad_request"),
        ("escaped path", b"GET /api/auth/%FF%FE HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".to_vec(), 404, "not_found"),
        ("query", b"GET /health?simulate_delay=%FF%FE HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".to_vec(), 422, "validation_error"),
        ("users query", b"GET /api/auth/users?limit=%FF HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".to_vec(), 422, "validation_error"),
        ("bearer", b"GET /api/auth/me HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer \xff\xfe.\xfa\r\n\r\n".to_vec(), 401, "invalid_token"),
        ("delay header", b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-Mock-Delay: \xff\r\n\r\n".to_vec(), 422, "validation_error"),
        ("content type", b"POST /api/auth/login HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: \xff\xfe\r\nContent-Length: 2\r\n\r\n{}".to_vec(), 415, "unsupported_media_type"),
    ];
    for (what, request, status, code) in cases {
        let response = exchange(proc.addr, &request).await.expect("an answer");
        assert_eq!(response.status, status, "{what}: {response:?}");
        assert!(response.is_contract_error(), "{what}: {response:?}");
        assert_eq!(response.code(), code, "{what}: {response:?}");
    }
    // A request id the app cannot read as text: the request is still served.
    let response = exchange(
        proc.addr,
        b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-Request-Id: \xff\xfe\r\n\r\n",
    )
    .await
    .expect("an answer");
    assert_eq!(response.status, 200, "{response:?}");
    // Raw invalid bytes in the request line never reach the app: hyper
    // refuses them with a bare 400 (or closes); the server carries on.
    let raw = exchange(proc.addr, b"GET /api/\xff\xfe HTTP/1.1\r\nHost: t\r\n\r\n").await;
    if let Ok(response) = raw {
        assert_eq!(response.status, 400, "{response:?}");
    }
    proc.assert_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_headers_get_431_and_leave_the_server_serving() {
    let proc = spawn_server(&SHORT_HEADER_TIMEOUT).await;
    let big = |value_len: usize| {
        format!(
            "GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-Big: {}\r\n\r\n",
            "a".repeat(value_len)
        )
    };
    // Under the limit: served normally.
    let response = exchange(proc.addr, big(16 * 1024).as_bytes())
        .await
        .expect("an answer");
    assert_eq!(response.status, 200, "{response:?}");
    assert_round_of_huge_headers(&proc, &big(256 * 1024)).await;
    let many: String = (0..500).map(|i| format!("X-H{i}: v\r\n")).collect();
    assert_round_of_huge_headers(
        &proc,
        &format!("GET /health HTTP/1.1\r\nHost: t\r\n{many}\r\n"),
    )
    .await;
    assert_rounds_leak_nothing(&proc, "huge headers (50 x 256 KiB)", || async {
        let request = big(256 * 1024);
        for _ in 0..50 {
            let _ = exchange(proc.addr, request.as_bytes()).await;
        }
    })
    .await;
}

/// A head too large gets 431 (hyper's own, before the app) or a reset while
/// the client is still writing; either way the server serves the next one.
async fn assert_round_of_huge_headers(proc: &Proc, request: &str) {
    match exchange(proc.addr, request.as_bytes()).await {
        Ok(response) => assert_eq!(response.status, 431, "{response:?}"),
        Err(error) => figure(
            "huge headers",
            &format!("connection ended without an answer: {error}"),
        ),
    }
    proc.assert_serves().await;
}
