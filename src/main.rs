//! The `mock-auth-server` binary: configuration, logging, then serve until
//! SIGINT or SIGTERM.

use std::process::ExitCode;

use mock_auth_server::{Server, config, telemetry};

// glibc's malloc took a fifth of a token request's CPU under load (arena
// locks, chunk coalescing, frees from another worker thread); mimalloc's
// thread-local free lists cost a fraction of that. `no_thp`: with
// transparent huge pages its arenas were backed by 2 MiB pages, which
// raised the idle resident set past Part I's 20 MiB target.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    if let Some(code) = mock_auth_server::cli::run_subcommand() {
        return code;
    }
    // Configuration is loaded before the runtime starts: `.env` loading sets
    // environment variables, which is only sound while one thread runs.
    let config = match config::load() {
        Ok(config) => config,
        Err(message) => return fail(&message),
    };
    telemetry::init(config.log_format);
    // Many systems start processes with a soft limit of 1024 descriptors,
    // well below the hard limit; a CI run with thousands of connections
    // would hit it. Raising the soft limit to the hard one is always allowed.
    if let Err(error) = rlimit::increase_nofile_limit(u64::MAX) {
        tracing::debug!(%error, "could not raise the open-file limit");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(&format!("cannot start the async runtime: {error}")),
    };
    runtime.block_on(serve(config))
}

async fn serve(config: mock_auth_server::Config) -> ExitCode {
    let shutdown = match shutdown_signal() {
        Ok(shutdown) => shutdown,
        Err(error) => return fail(&format!("cannot install signal handlers: {error}")),
    };
    let server = match Server::bind(config).await {
        Ok(server) => server,
        Err(error) => return fail(&error.to_string()),
    };
    println!("{}", server.banner());
    if server.insecure_public_bind() {
        // Straight to stderr as well as the log: `RUST_LOG=error` must not
        // hide it.
        eprintln!("mock-auth-server: warning: {INSECURE_BIND_WARNING}");
        tracing::warn!("{INSECURE_BIND_WARNING}");
    }
    if server.open_control_plane() {
        let warning = "dev endpoints are on and DEV_API_KEY is unset on a non-loopback address: \
                       anyone who can reach it can mint tokens; set DEV_API_KEY or ENABLE_DEV_ENDPOINTS=false";
        eprintln!("mock-auth-server: warning: {warning}");
        tracing::warn!("{warning}");
    }
    match server.run(shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&format!("server error: {error}")),
    }
}

const INSECURE_BIND_WARNING: &str = "listening on a non-loopback address with the default JWT_SECRET: anyone who can reach this port can mint valid tokens; set JWT_SECRET";

fn fail(message: &str) -> ExitCode {
    eprintln!("mock-auth-server: error: {message}");
    ExitCode::from(2)
}

/// A future that completes on Ctrl-C (SIGINT) or SIGTERM. The handlers are
/// installed here, before the banner is printed: a signal that arrives as
/// soon as a script has read the banner must stop the server gracefully,
/// not kill it with the default action.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
            tracing::info!("signal received");
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
