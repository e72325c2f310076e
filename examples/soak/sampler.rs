//! Periodic samples of the server process: resident memory and open file
//! descriptors from /proc, and whether `/health` answers 200 `healthy`.

use std::time::{Duration, Instant};

use reqwest::Client;

/// One sample.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Seconds since the load started.
    pub at_secs: f64,
    /// `VmRSS` of the server, KiB (None without a pid).
    pub rss_kib: Option<u64>,
    /// Entries of /proc/PID/fd (None without a pid).
    pub fds: Option<u64>,
    /// `/health` answered 200 with `"status": "healthy"`.
    pub health_ok: bool,
}

/// Takes the samples, on its own client so that it never waits behind the load.
pub struct Sampler {
    health_url: String,
    pid: Option<u32>,
    client: Client,
}

impl Sampler {
    /// A sampler of the server at `base`, whose process is `pid`.
    pub fn new(base: &str, pid: Option<u32>) -> Self {
        let client = Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("http client");
        Self {
            health_url: format!("{}/health", base.trim_end_matches('/')),
            pid,
            client,
        }
    }

    /// Samples now, then every `every` until `duration` has passed, then once more.
    pub async fn run(self, duration: Duration, every: Duration) -> Vec<Sample> {
        let started = Instant::now();
        let mut samples = Vec::new();
        loop {
            let sample = self.sample(started).await;
            eprintln!(
                "[soak {:>6.1}s] rss {} KiB, fds {}, health {}",
                sample.at_secs,
                sample.rss_kib.map_or("?".into(), |v| v.to_string()),
                sample.fds.map_or("?".into(), |v| v.to_string()),
                if sample.health_ok { "ok" } else { "FAILED" }
            );
            samples.push(sample);
            let elapsed = started.elapsed();
            if elapsed >= duration {
                return samples;
            }
            tokio::time::sleep(every.min(duration - elapsed)).await;
        }
    }

    async fn sample(&self, started: Instant) -> Sample {
        let health_ok = match self.client.get(&self.health_url).send().await {
            Ok(response) if response.status().as_u16() == 200 => response
                .json::<serde_json::Value>()
                .await
                .is_ok_and(|v| v["status"] == "healthy"),
            _ => false,
        };
        Sample {
            at_secs: started.elapsed().as_secs_f64(),
            rss_kib: self.pid.and_then(rss_kib),
            fds: self.pid.and_then(fd_count),
            health_ok,
        }
    }
}

/// `VmRSS` of a process, in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Number of open file descriptors of a process.
pub fn fd_count(pid: u32) -> Option<u64> {
    let entries = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    Some(entries.count() as u64)
}
