//! Soak driver: a steady, mixed load against a running mock-auth-server on
//! loopback for a fixed time, sampling the server's resident memory, open
//! file descriptors and `/health` every few seconds. It prints a summary and
//! exits non-zero on any unexpected status (a 5xx nobody asked for above
//! all), any transport error, a failed health sample, or memory that keeps
//! growing once the server is warm.
//!
//! `scripts/soak.sh` builds the server, starts it and runs this; by hand:
//!
//! ```text
//! cargo run --release --example soak -- --base http://127.0.0.1:8000 \
//!     --pid "$(pgrep -n mock-auth-server)" --duration-secs 120
//! ```

mod mix;
mod sampler;
mod stats;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use tokio::sync::Semaphore;

use crate::mix::Driver;
use crate::sampler::Sampler;

/// Command line of the soak driver.
#[derive(Parser, Debug)]
#[command(about = "Steady mixed load against a loopback mock-auth-server")]
pub struct Args {
    /// Base URL of the server under test; must be a loopback address.
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    pub base: String,
    /// How long to load the server, in seconds.
    #[arg(long, default_value_t = 120)]
    pub duration_secs: u64,
    /// Requests started per second (a steady rate, not as fast as possible).
    #[arg(long, default_value_t = 200)]
    pub rate: u32,
    /// Most requests in flight at once; a tick that finds none free is skipped and counted.
    #[arg(long, default_value_t = 128)]
    pub concurrency: usize,
    /// The server's process id, to read its RSS and fd count from /proc.
    #[arg(long)]
    pub pid: Option<u32>,
    /// Seconds between two samples of RSS, fds and `/health`.
    #[arg(long, default_value_t = 5)]
    pub sample_secs: u64,
    /// Seconds between two `DELETE /api/auth/users/reset` (keeps the user table bounded).
    #[arg(long, default_value_t = 20)]
    pub reset_every_secs: u64,
    /// Allowed RSS growth from the middle sample to the end one, in MiB (see
    /// `stats::memory_figures` for why 8).
    #[arg(long, default_value_t = 8)]
    pub max_rss_growth_mib: u64,
    /// Also write the summary as JSON to this file.
    #[arg(long)]
    pub json_report: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    if let Err(why) = check_loopback(&args.base) {
        eprintln!("soak: {why}");
        return std::process::ExitCode::from(2);
    }
    let driver = Arc::new(Driver::new(&args.base));
    let sampler = Sampler::new(&args.base, args.pid);
    let duration = Duration::from_secs(args.duration_secs);
    let started = Instant::now();

    let sampling = tokio::spawn(sampler.run(duration, Duration::from_secs(args.sample_secs)));
    let resets = tokio::spawn(
        Arc::clone(&driver).reset_loop(duration, Duration::from_secs(args.reset_every_secs.max(1))),
    );
    load(&driver, &args, duration).await;
    let samples = sampling.await.unwrap_or_default();
    resets.await.ok();

    let mut summary = stats::Summary::build(&driver, &samples, started.elapsed(), &args);
    // With the driver gone, its keep-alive connections close: the server
    // must then be back to the descriptors it had before the load.
    drop(driver);
    if let (Some(pid), Some(start)) = (args.pid, samples.first().and_then(|s| s.fds)) {
        summary.check_idle_fds(pid, start).await;
    }
    summary.print();
    if let Some(path) = &args.json_report
        && let Err(error) = std::fs::write(path, summary.to_json())
    {
        eprintln!("soak: cannot write {}: {error}", path.display());
    }
    if summary.failures.is_empty() {
        println!("soak: PASS");
        std::process::ExitCode::SUCCESS
    } else {
        println!("soak: FAIL");
        std::process::ExitCode::FAILURE
    }
}

/// Starts `rate` requests a second for `duration`, each a random pick of the
/// mix, never more than `concurrency` at once, then waits for the stragglers.
async fn load(driver: &Arc<Driver>, args: &Args, duration: Duration) {
    let permits = Arc::new(Semaphore::new(args.concurrency));
    let period = Duration::from_secs_f64(1.0 / f64::from(args.rate.max(1)));
    let mut ticker = tokio::time::interval(period);
    // Delay, not burst: after a stall the driver keeps its steady pace
    // instead of firing the missed ticks all at once.
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let deadline = Instant::now() + duration;
    let mut seq: u64 = 0;
    while Instant::now() < deadline {
        ticker.tick().await;
        seq += 1;
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            driver.stats.skipped_tick();
            continue;
        };
        let driver = Arc::clone(driver);
        tokio::spawn(async move {
            driver.one_request(seq).await;
            drop(permit);
        });
    }
    // Every permit back means every request has finished.
    let all = u32::try_from(args.concurrency).unwrap_or(u32::MAX);
    let _ = permits.acquire_many(all).await;
}

/// Refuses any target but loopback: load never leaves this machine.
fn check_loopback(base: &str) -> Result<(), String> {
    let url = reqwest::Url::parse(base).map_err(|e| format!("bad --base {base}: {e}"))?;
    let host = url.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(format!("--base must be a loopback address, got {host}"))
    }
}
