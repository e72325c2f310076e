//! The HTTP server: binds, serves connections with hyper, and shuts down
//! gracefully. hyper is driven directly (not `axum::serve`) to set the
//! connection limits that a long-running CI dependency needs: a header read
//! timeout, a cap on header size, and a cap on open connections.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::Semaphore;

use crate::app;
use crate::config::{Config, DEFAULT_JWT_SECRET};
use crate::seed::DEFAULT_PASSWORD;
use crate::state::AppState;

mod idle;
mod quiet;

/// Largest request head (request line and headers) hyper buffers; past it,
/// hyper answers 431 itself.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// Connections served at once; further ones wait in the kernel's backlog.
pub const MAX_CONNECTIONS: usize = 10_000;
/// Connections the kernel queues before we accept them. `TcpListener::bind`
/// asks for 128 (std's and mio's value): a CI suite or a load test opening
/// hundreds of connections at once would then see SYNs dropped and
/// retried a second later. The kernel caps it at `net.core.somaxconn`.
pub const ACCEPT_BACKLOG: u32 = 4096;
/// How often expired revoked jtis are swept.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// A setting is invalid (the message names it).
    #[error("{0}")]
    Config(String),
    /// The address could not be bound.
    #[error("cannot listen on {addr} (HOST/--host, PORT/--port): {source}")]
    Bind {
        /// The address tried.
        addr: SocketAddr,
        /// The system's reason.
        source: std::io::Error,
    },
}

/// A bound server, ready to run.
pub struct Server {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Server {
    /// Builds the state and binds the configured address (port 0: any free port).
    pub async fn bind(config: Config) -> Result<Self, StartupError> {
        config.validate().map_err(StartupError::Config)?;
        let addr = SocketAddr::new(config.host, config.port);
        let state = app::build_state(config)
            .await
            .map_err(StartupError::Config)?;
        let listener = listen(addr).map_err(|source| StartupError::Bind { addr, source })?;
        let bound = listener.local_addr().unwrap_or(addr);
        // Set once, here: the state is new, so nothing else has set it.
        let _ = state.bound_url.set(http_url(bound));
        let router = app::build_app(state.clone());
        Ok(Self {
            listener,
            router,
            state,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::new(self.state.config.host, self.state.config.port))
    }

    /// The application state (tests inspect it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The lines printed once bound: address, docs, test users, a login line.
    pub fn banner(&self) -> String {
        let base = format!("http://{}", self.local_addr());
        let mut lines = vec![
            format!("listening on {base}"),
            format!("docs: {base}/docs (ReDoc: {base}/redoc, OpenAPI: {base}/openapi.json)"),
            "test users:".to_owned(),
        ];
        let default_seed = self.state.config.seed_users_file.is_none();
        for user in self.state.users.seed() {
            let password = if default_seed {
                DEFAULT_PASSWORD
            } else {
                "(from seed file)"
            };
            lines.push(format!(
                "  {:<22} {:<10} {:<16} roles={}",
                user.email,
                password,
                user.name,
                user.roles.join(",")
            ));
        }
        if let Some(first) = self.state.users.seed().first() {
            // A seed file's passwords are not ours to print: the line keeps a
            // placeholder to fill in.
            let password = if default_seed {
                DEFAULT_PASSWORD
            } else {
                "PASSWORD"
            };
            lines.push(format!(
                "try: curl -s -X POST {base}/api/auth/login -H 'Content-Type: application/json' -d '{{\"email\":\"{}\",\"password\":\"{password}\"}}'",
                first.email
            ));
        }
        lines.extend(self.issuer_lines());
        lines.join("\n")
    }

    /// Whether the control plane is open on a non-loopback address: dev
    /// endpoints on and no `DEV_API_KEY` (issue 11).
    pub fn open_control_plane(&self) -> bool {
        let config = &self.state.config;
        config.is_public_bind() && config.enable_dev_endpoints && config.dev.dev_api_key.is_none()
    }

    /// The names the server answers to: the OpenID issuer, the discovery
    /// URL, and the `iss` values its own verification accepts.
    fn issuer_lines(&self) -> Vec<String> {
        let state = &self.state;
        let mut accepted = vec![state.config.jwt_issuer.clone()];
        accepted.extend(state.config.keys.issuer_aliases());
        vec![
            format!(
                "issuer: {} (access tokens' iss: {})",
                state.oidc_issuer(),
                state.config.jwt_issuer
            ),
            format!(
                "discovery: {} (JWKS: {})",
                state.public_url_of(crate::oauth::discovery::OPENID_CONFIGURATION),
                state.public_url_of(crate::oauth::discovery::JWKS)
            ),
            format!("accepted iss: {}", accepted.join(", ")),
        ]
    }

    /// Whether the configuration deserves the public-address warning.
    pub fn insecure_public_bind(&self) -> bool {
        self.state.config.is_public_bind() && self.state.config.jwt_secret == DEFAULT_JWT_SECRET
    }

    /// Serves until `shutdown` completes, then stops accepting and lets the
    /// requests in flight finish.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let Self {
            listener,
            router,
            state,
        } = self;
        let sweeper = tokio::spawn(sweep_revoked(state.clone()));
        // The start key (an RSA key takes a while) is made now, off the
        // start path: the banner is already out, and only a request that
        // needs the key before it is ready waits for it.
        let warm = state.clone();
        tokio::spawn(async move { warm.keys().warm_up().await });
        let header_timeout = Duration::from_secs(state.config.header_read_timeout_secs);
        let mut builder = auto::Builder::new(TokioExecutor::new());
        // hyper's own header timeout is off: `idle` keeps it per connection.
        builder
            .http1()
            .header_read_timeout(None)
            .max_buf_size(MAX_HEADER_BYTES);
        // Each connection holds a receiver until it ends: shutdown sends,
        // then waits for them all to drop.
        let (stop, _) = tokio::sync::watch::channel(());
        let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        tokio::pin!(shutdown);
        loop {
            let permit = tokio::select! {
                permit = slots.clone().acquire_owned() => permit.map_err(std::io::Error::other)?,
                () = &mut shutdown => break,
            };
            let (stream, _peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of file descriptors or a reset during accept:
                        // back off briefly rather than spin or exit.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            // A fault rule with `drop` notifies this handle: the connection
            // is then dropped without a byte of answer.
            let dropper = crate::middleware::faults::DropConnection::default();
            let notified = dropper.0.clone();
            let per_connection = router.clone();
            let activity = idle::Activity::new();
            let stream = idle::IdleDeadline::new(stream, header_timeout, activity.clone());
            let service = TowerToHyperService::new(tower::service_fn(
                move |mut request: axum::extract::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(dropper.clone());
                    idle::Tracked::new(
                        activity.begin(),
                        tower::ServiceExt::oneshot(
                            per_connection.clone(),
                            request.map(axum::body::Body::new),
                        ),
                    )
                },
            ));
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            let connection = connection.into_owned();
            let mut stopping = stop.subscribe();
            let stopped = quiet::Quiet::new(async move {
                let _ = stopping.changed().await;
                stopping
            });
            let dropped = quiet::Quiet::new(async move { notified.notified().await });
            tokio::spawn(serve(
                connection,
                |connection| connection.graceful_shutdown(),
                stopped,
                dropped,
                permit,
            ));
        }
        // Closing the listener first makes new connections fail at once.
        drop(listener);
        tracing::info!("shutting down: finishing requests in flight");
        // Live journal streams never finish by themselves.
        state.journal.close();
        let _ = stop.send(());
        stop.closed().await;
        sweeper.abort();
        Ok(())
    }
}

/// Drives one connection to its end: finishes its request in flight and
/// closes once `stopped` completes (the server is shutting down), or drops
/// it without a byte more once `dropped` does (a fault rule's `drop`).
async fn serve<C, E>(
    connection: C,
    graceful_shutdown: impl Fn(Pin<&mut C>),
    mut stopped: quiet::Quiet<impl Future<Output = tokio::sync::watch::Receiver<()>>>,
    mut dropped: quiet::Quiet<impl Future<Output = ()>>,
    permit: tokio::sync::OwnedSemaphorePermit,
) where
    C: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let mut connection = std::pin::pin!(connection);
    // Held from the shutdown signal to the connection's end, so that the
    // shutdown waits for this connection.
    let mut stopping = None;
    let ended = std::future::poll_fn(|cx| {
        if stopping.is_none()
            && let Poll::Ready(receiver) = Pin::new(&mut stopped).poll(cx)
        {
            stopping = Some(receiver);
            graceful_shutdown(connection.as_mut());
        }
        if Pin::new(&mut dropped).poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        connection.as_mut().poll(cx).map(Some)
    })
    .await;
    match ended {
        Some(Err(error)) => tracing::debug!(%error, "connection ended with an error"),
        None => tracing::debug!("connection dropped by a fault rule"),
        Some(Ok(())) => {}
    }
    drop(stopping);
    drop(permit);
}

/// `http://IP:PORT` for a bound address; an unspecified host (0.0.0.0,
/// `::`) is written 127.0.0.1, the address a local client can reach.
pub fn http_url(addr: SocketAddr) -> String {
    let addr = if addr.ip().is_unspecified() {
        SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port())
    } else {
        addr
    };
    format!("http://{addr}")
}

/// Binds `addr` as `TcpListener::bind` does (address reuse on Unix), with
/// an accept queue of [`ACCEPT_BACKLOG`].
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(ACCEPT_BACKLOG)
}

async fn sweep_revoked(state: AppState) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    loop {
        every.tick().await;
        let now = state.clock.unix();
        let left = state.revoked.sweep(now);
        tracing::debug!(left, "swept expired revoked tokens");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_accept_queue_holds_a_burst_well_past_128_connections() {
        let listener = listen("127.0.0.1:0".parse().expect("address")).expect("bound");
        let addr = listener.local_addr().expect("address");
        // Nothing accepts: every connection must fit in the kernel's queue.
        // With std's backlog of 128 the rest would wait for a SYN retry (1 s).
        let connected = tokio::task::spawn_blocking(move || {
            (0..300)
                .map(|_| std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(500)))
                .collect::<Result<Vec<_>, _>>()
                .map(|streams| streams.len())
        })
        .await
        .expect("connect task");
        assert_eq!(connected.ok(), Some(300));
        drop(listener);
    }
}
