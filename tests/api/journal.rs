//! The request journal and token lineage: `/api/dev/requests` (filters,
//! stream, clear) and `/api/dev/tokens/{jti}`, and that nothing secret is kept.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, spawn_app, spawn_with};

async fn entries(app: &TestApp, query: &str) -> Vec<Value> {
    let response = app.get(&format!("/api/dev/requests{query}")).await;
    assert_eq!(response.status(), 200, "{query}");
    let body: Value = response.json().await.unwrap();
    body["requests"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_login_is_journaled_with_its_user_route_and_issued_tokens() {
    let app = spawn_app().await;
    let pair = app.login("alice@example.com").await;
    let list = entries(&app, "?route=/api/auth/login").await;
    assert_eq!(list.len(), 1);
    let entry = &list[0];
    assert_eq!(entry["method"], "POST");
    assert_eq!(entry["path"], "/api/auth/login");
    assert_eq!(entry["status"], 200);
    assert_eq!(entry["user"], "test-user-123");
    assert!(entry["id"].as_str().unwrap().len() >= 32);
    assert!(entry["time"].as_str().unwrap().ends_with('Z'));
    assert!(entry["duration_ms"].as_f64().unwrap() >= 0.0);
    let issued = entry["tokens"]["issued"].as_array().unwrap();
    assert_eq!(issued.len(), 2, "{entry}");
    let refresh_jti =
        crate::helpers::claims_unchecked(pair["refresh_token"].as_str().unwrap())["jti"].clone();
    assert!(issued.contains(&refresh_jti));
}

#[tokio::test]
async fn the_journal_is_newest_first_and_filters_by_status_user_since_and_limit() {
    let app = spawn_app().await;
    app.login("alice@example.com").await;
    let bad = app
        .post_json(
            "/api/auth/login",
            &json!({"email": "alice@example.com", "password": "nope-nope"}),
        )
        .await;
    assert_eq!(bad.status(), 401);
    app.get("/health").await;
    let all = entries(&app, "").await;
    assert_eq!(all[0]["path"], "/health");
    assert_eq!(entries(&app, "?status=401").await.len(), 1);
    assert_eq!(entries(&app, "?status=401").await[0]["user"], Value::Null);
    let alice = entries(&app, "?user=test-user-123").await;
    assert!(alice.iter().all(|e| e["user"] == "test-user-123"));
    assert_eq!(alice.len(), 1);
    assert_eq!(entries(&app, "?limit=2").await.len(), 2);
    assert!(
        entries(&app, "?since=2999-01-01T00:00:00Z")
            .await
            .is_empty()
    );
    assert!(
        !entries(&app, "?since=2000-01-01T00:00:00Z")
            .await
            .is_empty()
    );
    let bad_since = app.get("/api/dev/requests?since=yesterday").await;
    assert_eq!(bad_since.status(), 422);
    let unmatched = app.get("/nowhere?token=abc").await;
    assert_eq!(unmatched.status(), 404);
    let list = entries(&app, "?route=/nowhere").await;
    assert_eq!(list[0]["route"], Value::Null);
    assert_eq!(list[0]["path"], "/nowhere");
}

#[tokio::test]
async fn delete_empties_the_journal_but_keeps_the_lineage() {
    let app = spawn_app().await;
    let pair = app.login("alice@example.com").await;
    let jti = crate::helpers::claims_unchecked(pair["access_token"].as_str().unwrap())["jti"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.delete("/api/dev/requests").await.status(), 204);
    assert!(
        entries(&app, "?route=/api/auth/login").await.is_empty(),
        "emptied"
    );
    assert_eq!(
        app.get(&format!("/api/dev/tokens/{jti}")).await.status(),
        200
    );
}

#[tokio::test]
async fn a_refresh_links_the_new_tokens_to_the_one_exchanged() {
    let app = spawn_app().await;
    let pair = app.login("alice@example.com").await;
    let old = pair["refresh_token"].as_str().unwrap();
    let old_jti = crate::helpers::claims_unchecked(old)["jti"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app
        .post_json("/api/auth/refresh", &json!({"refresh_token": old}))
        .await;
    assert_eq!(response.status(), 200);
    let new: Value = response.json().await.unwrap();
    let new_jti = crate::helpers::claims_unchecked(new["refresh_token"].as_str().unwrap())["jti"]
        .as_str()
        .unwrap()
        .to_owned();
    let parent: Value = app
        .get(&format!("/api/dev/tokens/{old_jti}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(parent["type"], "refresh");
    assert_eq!(parent["sub"], "test-user-123");
    assert_eq!(parent["revoked"], true, "consumed by the refresh");
    assert!(
        parent["children"]
            .as_array()
            .unwrap()
            .contains(&json!(new_jti))
    );
    assert!(parent["expires_at"].as_str().unwrap().ends_with('Z'));
    let child: Value = app
        .get(&format!("/api/dev/tokens/{new_jti}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(child["parent"], json!(old_jti));
    assert_eq!(child["revoked"], false);
    let refresh = &entries(&app, "?route=/api/auth/refresh").await[0];
    assert_eq!(refresh["tokens"]["parent"], json!(old_jti));
    assert_eq!(child["issued_by"], refresh["id"]);
}

#[tokio::test]
async fn an_unknown_or_forgotten_token_is_404() {
    let app = spawn_with(|c| c.dev.journal_size = 1).await;
    let first = app.login("alice@example.com").await;
    let jti = crate::helpers::claims_unchecked(first["access_token"].as_str().unwrap())["jti"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..5 {
        app.login("bob@example.com").await;
    }
    assert_eq!(
        app.get(&format!("/api/dev/tokens/{jti}")).await.status(),
        404
    );
    assert_eq!(app.get("/api/dev/tokens/nope").await.status(), 404);
    assert_eq!(entries(&app, "").await.len(), 1);
}

#[tokio::test]
async fn a_journal_of_size_zero_keeps_nothing() {
    let app = spawn_with(|c| c.dev.journal_size = 0).await;
    app.login("alice@example.com").await;
    assert!(entries(&app, "").await.is_empty());
}

/// Reads the stream until `needle` shows up (or the time is up); returns all read.
async fn read_stream_until(response: &mut reqwest::Response, needle: &str) -> String {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !seen.contains(needle) {
        let Ok(Ok(Some(chunk))) = tokio::time::timeout_at(deadline, response.chunk()).await else {
            break;
        };
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    seen
}

#[tokio::test]
async fn the_stream_sends_an_event_for_a_request_made_after_subscribing() {
    let app = spawn_app().await;
    let mut stream = app.get("/api/dev/requests/stream").await;
    assert_eq!(stream.status(), 200);
    assert!(
        stream.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    app.login("alice@example.com").await;
    let seen = read_stream_until(&mut stream, "/api/auth/login").await;
    assert!(seen.contains("event: request"), "{seen}");
    let entry: Value = seen
        .lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .map(|data| serde_json::from_str::<Value>(data).unwrap())
        .find(|entry| entry["path"] == "/api/auth/login")
        .unwrap();
    assert_eq!(entry["user"], "test-user-123");
}

#[tokio::test]
async fn a_long_path_is_journaled_cut_to_its_bound() {
    let app = spawn_app().await;
    let long = format!("/{}", "a".repeat(5000));
    assert_eq!(app.get(&long).await.status(), 404);
    let list = entries(&app, "").await;
    let path = list[0]["path"].as_str().unwrap();
    assert!(path.len() <= 1024, "{} bytes", path.len());
    assert!(path.starts_with("/aaaa") && path.ends_with('…'), "{path}");
}

/// Reads the raw socket until `needle` was read (or the time is up).
async fn read_until(socket: &mut tokio::net::TcpStream, needle: &[u8]) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut seen = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, socket.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => seen.extend_from_slice(&buf[..n]),
            _ => return seen,
        }
        // Only the new bytes (and the needle's length before them) are
        // searched: the stream is a megabyte or more.
        let from = seen.len().saturating_sub(buf.len() + needle.len());
        if seen[from..].windows(needle.len()).any(|w| w == needle) {
            return seen;
        }
    }
}

// A raw socket with a small receive buffer is a client that does not read:
// reqwest would drain the stream into its own buffers. The server must end
// the stream of a client that fell more than the backlog behind, hold no
// more than the backlog for it meanwhile, and go on answering everyone else.
#[tokio::test]
async fn a_stream_client_that_does_not_read_is_dropped_not_buffered() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_app().await;
    let addr: std::net::SocketAddr = app.base.trim_start_matches("http://").parse().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut slow = socket.connect(addr).await.unwrap();
    slow.write_all(b"GET /api/dev/requests/stream HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    let head = read_until(&mut slow, b"\r\n\r\n").await;
    assert!(String::from_utf8_lossy(&head).starts_with("HTTP/1.1 200"));

    // Until the socket buffers are full the server keeps writing; from then
    // on entries queue for the stalled stream, up to the backlog and no more.
    let backlog = mock_auth_server::journal::STREAM_BACKLOG;
    // Long paths make big events, so the sockets fill after hundreds of
    // requests rather than ten thousand.
    let long = format!("/{}", "x".repeat(1000));
    let mut sent = 0;
    while app.state.journal.backlog() < backlog {
        assert!(sent < 100_000, "the stream never stalled");
        let batch = (0..100).map(|_| app.get(&long));
        futures_util::future::join_all(batch).await;
        sent += 100;
    }
    for _ in 0..3 {
        let batch = (0..100).map(|_| app.get("/health"));
        for response in futures_util::future::join_all(batch).await {
            assert_eq!(response.status(), 200, "the server goes on answering");
        }
        assert_eq!(
            app.state.journal.backlog(),
            backlog,
            "bounded by the backlog"
        );
    }

    // Reading now gets what the sockets held, then the chunked body's end.
    let rest = read_until(&mut slow, b"\r\n0\r\n\r\n").await;
    assert!(
        rest.ends_with(b"\r\n0\r\n\r\n"),
        "the stream ended ({} bytes read after {sent} requests, ending {:?})",
        rest.len(),
        String::from_utf8_lossy(&rest[rest.len().saturating_sub(120)..])
    );
    let mut fresh = app.get("/api/dev/requests/stream").await;
    app.get("/health").await;
    assert!(
        read_stream_until(&mut fresh, "/health")
            .await
            .contains("event: request")
    );
}

#[tokio::test]
async fn the_stream_ends_when_the_server_shuts_down() {
    let app = spawn_app().await;
    let mut stream = app.get("/api/dev/requests/stream").await;
    app.state.journal.close();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream ended");
}

#[tokio::test]
async fn no_secret_sent_is_kept_in_the_journal_or_the_stream() {
    let app = spawn_app().await;
    let mut stream = app.get("/api/dev/requests/stream").await;
    let pair = app.login("alice@example.com").await;
    let access = pair["access_token"].as_str().unwrap().to_owned();
    let refresh = pair["refresh_token"].as_str().unwrap().to_owned();
    let client_secret = "s3cr3t-client-secret-value";
    let response = app
        .post_json("/api/auth/refresh", &json!({"refresh_token": refresh}))
        .await;
    assert_eq!(response.status(), 200);
    app.get_authed("/api/auth/me", &access).await;
    app.client
        .post(app.url("/oauth/token"))
        .basic_auth("some-client", Some(client_secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=client_credentials&client_secret={client_secret}"
        ))
        .send()
        .await
        .unwrap();
    app.get(&format!("/api/auth/me?access_token={access}"))
        .await;
    app.get("/health").await;
    let streamed = read_stream_until(&mut stream, "/health").await;
    let journal = app
        .get("/api/dev/requests?limit=1000")
        .await
        .text()
        .await
        .unwrap();
    let signature = access.rsplit('.').next().unwrap();
    for (what, secret) in [
        ("password", PASSWORD),
        ("access token", access.as_str()),
        ("access signature", signature),
        ("refresh token", refresh.as_str()),
        ("client secret", client_secret),
        ("authorization", "Bearer"),
        ("basic", "Basic"),
    ] {
        assert!(!journal.contains(secret), "{what} in the journal");
        assert!(!streamed.contains(secret), "{what} in the stream");
    }
    assert!(streamed.contains("/api/auth/me"), "{streamed}");
}
