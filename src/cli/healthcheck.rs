//! `mock-auth-server healthcheck`: exit 0 when `/health` answers 200.

/// Arguments of `healthcheck`.
#[derive(Debug, clap::Args)]
pub struct HealthcheckArgs {
    /// The server's base URL (default: http://HOST:PORT from the environment).
    #[arg(long)]
    pub url: Option<String>,
}

/// Runs the check: 0 when `/health` answers 200, 1 otherwise.
pub fn run(_args: HealthcheckArgs) -> std::process::ExitCode {
    eprintln!("mock-auth-server: error: healthcheck is not built yet");
    std::process::ExitCode::from(1)
}
