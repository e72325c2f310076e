//! The `mock-auth-server` binary: configuration, logging, then serve until
//! SIGINT or SIGTERM.

use std::process::ExitCode;

use mock_auth_server::{Server, config, telemetry};

fn main() -> ExitCode {
    // Configuration is loaded before the runtime starts: `.env` loading sets
    // environment variables, which is only sound while one thread runs.
    let config = match config::load() {
        Ok(config) => config,
        Err(message) => return fail(&message),
    };
    telemetry::init(config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => return fail(&format!("cannot start the async runtime: {error}")),
    };
    runtime.block_on(serve(config))
}

async fn serve(config: mock_auth_server::Config) -> ExitCode {
    let server = match Server::bind(config).await {
        Ok(server) => server,
        Err(error) => return fail(&error.to_string()),
    };
    println!("{}", server.banner());
    if server.insecure_public_bind() {
        tracing::warn!(
            "listening on a non-loopback address with the default JWT_SECRET: anyone who can reach this port can mint valid tokens; set JWT_SECRET"
        );
    }
    match server.run(shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&format!("server error: {error}")),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("mock-auth-server: error: {message}");
    ExitCode::from(2)
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("signal received");
}
