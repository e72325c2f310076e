//! `mock-auth-server audit`: the verifier audit (contract section 10).

/// Arguments of `audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// The endpoint of the service under test that requires a token.
    #[arg(long)]
    pub url: String,
}

/// Runs the audit; the exit code is the contract's (0 passed, 1 failed, 2 could not run).
pub fn run(_args: AuditArgs) -> std::process::ExitCode {
    eprintln!("mock-auth-server: error: audit is not built yet");
    std::process::ExitCode::from(2)
}
