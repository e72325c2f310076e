//! The command line: `serve` (the default, the server's settings as flags
//! and environment variables), `audit` and `healthcheck`.

pub mod audit;
pub mod healthcheck;

use clap::{Parser, Subcommand};

use crate::config::Config;

/// `mock-auth-server [SUBCOMMAND]`; without one it serves.
#[derive(Debug, Parser)]
#[command(
    name = "mock-auth-server",
    version,
    about = "A mock authentication server for local development and CI: real JWTs for known test users.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// What to do; serving is the default.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The server's settings (when serving).
    #[command(flatten)]
    pub serve: Config,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send every bad token of the catalogue to a service and report which it accepts.
    Audit(audit::AuditArgs),
    /// Exit 0 when the server's /health answers 200 (for container HEALTHCHECK).
    Healthcheck(healthcheck::HealthcheckArgs),
}

/// Runs a subcommand when the first argument names one; `None` means serve.
pub fn run_subcommand() -> Option<std::process::ExitCode> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let first = args.get(1)?.to_str()?;
    if !matches!(first, "audit" | "healthcheck") {
        return None;
    }
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    match cli.command? {
        Command::Audit(args) => Some(audit::run(args)),
        Command::Healthcheck(args) => Some(healthcheck::run(args)),
    }
}
