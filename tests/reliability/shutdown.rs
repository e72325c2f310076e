//! Graceful shutdown under load: SIGTERM while 500 delayed requests are in
//! flight. Every one completes with its normal response, new connections
//! are refused at once, and the process exits 0 soon after the delay.

use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::harness::{figure, read_response, spawn_server};

const IN_FLIGHT: usize = 500;
const DELAY: Duration = Duration::from_secs(2);
/// Allowed on top of the delay for the exit: generous, the machine is shared.
const EXIT_MARGIN: Duration = Duration::from_secs(10);
const FD_SLACK: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_500_delayed_requests_finish_refuses_new_ones_and_exits_0() {
    let mut proc = spawn_server(&[]).await;
    let fds_idle = proc.fds();
    let request = format!(
        "GET /health?simulate_delay={} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        DELAY.as_millis()
    );
    let mut streams = Vec::with_capacity(IN_FLIGHT);
    for _ in 0..IN_FLIGHT {
        let mut stream = TcpStream::connect(proc.addr).await.expect("connect");
        stream.write_all(request.as_bytes()).await.expect("write");
        streams.push(stream);
    }
    let sent = Instant::now();
    let clients: Vec<_> = streams
        .into_iter()
        .map(|mut stream| tokio::spawn(async move { read_response(&mut stream).await }))
        .collect();
    // Every connection accepted by the server before the signal. A few fds
    // of slack: the count at idle can include one the runtime closes
    // meanwhile; the 500 answers checked below are the real proof.
    let expected = fds_idle + IN_FLIGHT - FD_SLACK;
    let accepted = proc.fds_reach(expected, Duration::from_secs(10)).await;
    assert!(
        accepted >= expected,
        "only {accepted} fds open ({fds_idle} at idle, {IN_FLIGHT} connections)"
    );
    tokio::time::sleep(Duration::from_millis(500).saturating_sub(sent.elapsed())).await;

    proc.terminate();
    let signalled = Instant::now();
    // New connections are refused while the delayed requests are still in flight.
    let refused_after = loop {
        match TcpStream::connect(proc.addr).await {
            Err(_) => break signalled.elapsed(),
            Ok(_) if signalled.elapsed() > Duration::from_millis(1500) => {
                panic!(
                    "connections still accepted {:?} after SIGTERM",
                    signalled.elapsed()
                )
            }
            Ok(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };

    let mut ok = 0;
    for client in clients {
        let response = client.await.expect("client task").expect("a response");
        assert_eq!(response.status, 200, "{response:?}");
        assert!(response.is_json(), "{response:?}");
        ok += 1;
    }
    let status = tokio::time::timeout(DELAY + EXIT_MARGIN, proc.child.wait())
        .await
        .expect("the server exits within the delay plus the margin")
        .expect("exit status");
    let exited_after = signalled.elapsed();
    figure(
        "graceful shutdown",
        &format!(
            "{ok}/{IN_FLIGHT} delayed requests answered 200; new connections refused {refused_after:?} after \
             SIGTERM; exit {status} {exited_after:?} after SIGTERM ({:?} after the requests were sent)",
            sent.elapsed()
        ),
    );
    assert_eq!(ok, IN_FLIGHT);
    assert!(status.success(), "exit status {status}");
    assert!(
        sent.elapsed() < DELAY + EXIT_MARGIN,
        "took {:?}",
        sent.elapsed()
    );
}
