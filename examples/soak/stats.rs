//! Counters of the load and the end-of-run summary, with the pass/fail rules.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde_json::json;

use crate::Args;
use crate::mix::{Driver, Op};
use crate::sampler::Sample;

/// Most unexpected responses kept verbatim for the report.
const KEEP_UNEXPECTED: usize = 20;

/// Everything counted during the load, behind one lock: a std Mutex, since
/// no await happens while it is held and the critical sections are tiny.
#[derive(Default)]
pub struct Stats(Mutex<Inner>);

#[derive(Default)]
struct Inner {
    by_op: BTreeMap<Op, u64>,
    by_status: BTreeMap<u16, u64>,
    latency_us: Option<Histogram<u64>>,
    unexpected: u64,
    unexpected_5xx: u64,
    unexpected_samples: Vec<String>,
    transport_errors: u64,
    transport_samples: Vec<String>,
    skipped_ticks: u64,
}

impl Stats {
    /// Counts one answered request.
    pub fn record(&self, op: Op, status: u16, elapsed: Duration) {
        let mut inner = self.0.lock().expect("stats lock");
        *inner.by_op.entry(op).or_default() += 1;
        *inner.by_status.entry(status).or_default() += 1;
        let histogram = inner.latency_us.get_or_insert_with(|| {
            Histogram::new_with_bounds(1, 120_000_000, 3).expect("histogram bounds")
        });
        let micros = u64::try_from(elapsed.as_micros())
            .unwrap_or(u64::MAX)
            .clamp(1, 120_000_000);
        histogram.record(micros).ok();
    }

    /// Counts a response whose status (or content) the mix did not allow.
    pub fn unexpected(&self, op: Op, status: u16, body: &str) {
        let mut inner = self.0.lock().expect("stats lock");
        inner.unexpected += 1;
        if status >= 500 {
            inner.unexpected_5xx += 1;
        }
        if inner.unexpected_samples.len() < KEEP_UNEXPECTED {
            let body: String = body.chars().take(300).collect();
            inner
                .unexpected_samples
                .push(format!("{op:?} -> {status}: {body}"));
        }
    }

    /// Counts a request that got no HTTP response at all.
    pub fn transport_error(&self, op: Op, error: &str) {
        let mut inner = self.0.lock().expect("stats lock");
        *inner.by_op.entry(op).or_default() += 1;
        inner.transport_errors += 1;
        if inner.transport_samples.len() < KEEP_UNEXPECTED {
            inner.transport_samples.push(format!("{op:?}: {error}"));
        }
    }

    /// Counts a tick skipped because `concurrency` requests were already in flight.
    pub fn skipped_tick(&self) {
        self.0.lock().expect("stats lock").skipped_ticks += 1;
    }
}

/// The figures of a run and the reasons it failed, if any.
pub struct Summary {
    value: serde_json::Value,
    /// Why the run failed; empty when it passed.
    pub failures: Vec<String>,
}

impl Summary {
    /// Reads the counters and the samples and applies the pass/fail rules.
    pub fn build(driver: &Driver, samples: &[Sample], elapsed: Duration, args: &Args) -> Self {
        let inner = driver.stats.0.lock().expect("stats lock");
        let total: u64 = inner.by_status.values().sum();
        let mut failures = Vec::new();
        if inner.unexpected > 0 {
            failures.push(format!(
                "{} unexpected responses ({} of them 5xx not asked for)",
                inner.unexpected, inner.unexpected_5xx
            ));
        }
        if inner.transport_errors > 0 {
            failures.push(format!(
                "{} requests got no response",
                inner.transport_errors
            ));
        }
        let health_failures = samples.iter().filter(|s| !s.health_ok).count();
        if health_failures > 0 {
            failures.push(format!("{health_failures} /health samples failed"));
        }
        let memory = memory_figures(samples, args, &mut failures);
        let latency = inner.latency_us.as_ref().map_or(json!(null), |h| {
            let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
            json!({"p50_ms": ms(0.5), "p95_ms": ms(0.95), "p99_ms": ms(0.99), "max_ms": h.max() as f64 / 1000.0})
        });
        let by_op: BTreeMap<String, u64> = inner
            .by_op
            .iter()
            .map(|(op, n)| (format!("{op:?}"), *n))
            .collect();
        let value = json!({
            "duration_secs": elapsed.as_secs_f64(),
            "requests": total,
            "rate_per_sec": total as f64 / elapsed.as_secs_f64().max(0.001),
            "transport_errors": inner.transport_errors,
            "unexpected": inner.unexpected,
            "unexpected_5xx": inner.unexpected_5xx,
            "unexpected_samples": inner.unexpected_samples,
            "transport_samples": inner.transport_samples,
            "skipped_ticks": inner.skipped_ticks,
            "statuses": inner.by_status.iter().map(|(s, n)| (s.to_string(), *n)).collect::<BTreeMap<_, _>>(),
            "by_op": by_op,
            "latency": latency,
            "health_samples": samples.len(),
            "health_failures": health_failures,
            "memory": memory,
        });
        Self { value, failures }
    }

    /// Waits (at most 15 s) for the server's fds to come back to `start`
    /// once every client connection is closed; more than 2 above it is a
    /// leak of per-connection state.
    pub async fn check_idle_fds(&mut self, pid: u32, start: u64) {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        let mut now = crate::sampler::fd_count(pid).unwrap_or(0);
        while now > start + 2 && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(200)).await;
            now = crate::sampler::fd_count(pid).unwrap_or(0);
        }
        self.value["memory"]["fds_after_clients_closed"] = json!(now);
        if now > start + 2 {
            self.failures.push(format!(
                "the server holds {now} fds with every client gone, {start} before the load"
            ));
        }
    }

    /// Prints the summary for a person.
    pub fn print(&self) {
        let v = &self.value;
        println!("==== soak summary ====");
        println!(
            "duration {:.0} s, requests served {}, {:.0}/s, skipped ticks {}",
            v["duration_secs"].as_f64().unwrap_or(0.0),
            v["requests"],
            v["rate_per_sec"].as_f64().unwrap_or(0.0),
            v["skipped_ticks"]
        );
        println!("statuses {}", v["statuses"]);
        println!("by operation {}", v["by_op"]);
        println!("latency {}", v["latency"]);
        println!(
            "unexpected statuses {} (unasked 5xx {}), transport errors {}",
            v["unexpected"], v["unexpected_5xx"], v["transport_errors"]
        );
        for line in v["unexpected_samples"].as_array().into_iter().flatten() {
            println!("  unexpected: {}", line.as_str().unwrap_or_default());
        }
        for line in v["transport_samples"].as_array().into_iter().flatten() {
            println!("  no response: {}", line.as_str().unwrap_or_default());
        }
        println!(
            "health samples {}, failed {}",
            v["health_samples"], v["health_failures"]
        );
        let m = &v["memory"];
        println!(
            "RSS MiB start {} / middle {} / end {} (max {}; second half {} KiB/min)",
            m["rss_mib_start"],
            m["rss_mib_middle"],
            m["rss_mib_end"],
            m["rss_mib_max"],
            m["rss_kib_per_min_second_half"]
        );
        println!(
            "open fds start {} / middle {} / end {} / with every client gone {}",
            m["fds_start"], m["fds_middle"], m["fds_end"], m["fds_after_clients_closed"]
        );
        for failure in &self.failures {
            println!("FAILURE: {failure}");
        }
    }

    /// The summary as one JSON document.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.value).unwrap_or_default()
    }
}

/// RSS and fd figures at start, middle and end, and the growth rule.
///
/// By the middle of the run the server is warm: tokio's workers and the
/// blocking pool that runs bcrypt have started, the allocator's per-thread
/// arenas and the latency histograms are sized, and the users have been reset
/// several times (a reset drops registered users and, its marker covering
/// every older token, the revoked-jti set). Everything the load adds is
/// bounded from then on, so the second half must be flat. The allowance, 8
/// MiB by default, covers what is not a leak: a blocking-pool thread started
/// late (its stack and malloc arena) and allocator fragmentation, each a few
/// MiB at most on this server. A leak of 100 bytes per request at 200
/// requests a second is 1.1 MiB a minute: it fails a 30-minute run (16 MiB
/// in its second half) and shows as a positive KiB/min figure in any run.
fn memory_figures(
    samples: &[Sample],
    args: &Args,
    failures: &mut Vec<String>,
) -> serde_json::Value {
    let measured: Vec<&Sample> = samples.iter().filter(|s| s.rss_kib.is_some()).collect();
    let (Some(first), Some(last)) = (measured.first(), measured.last()) else {
        return json!({"note": "no --pid given, memory not sampled"});
    };
    let middle = measured
        .iter()
        .min_by_key(|s| (s.at_secs - last.at_secs / 2.0).abs() as u64)
        .unwrap_or(first);
    let mib = |s: &Sample| s.rss_kib.unwrap_or(0) as f64 / 1024.0;
    let max = measured.iter().map(|s| mib(s)).fold(0.0, f64::max);
    let growth_mib = mib(last) - mib(middle);
    if growth_mib > args.max_rss_growth_mib as f64 {
        failures.push(format!(
            "RSS grew {growth_mib:.1} MiB in the second half (allowed {} MiB)",
            args.max_rss_growth_mib
        ));
    }
    let minutes = ((last.at_secs - middle.at_secs) / 60.0).max(1.0 / 60.0);
    let round = |x: f64| (x * 10.0).round() / 10.0;
    json!({
        "rss_mib_start": round(mib(first)),
        "rss_mib_middle": round(mib(middle)),
        "rss_mib_end": round(mib(last)),
        "rss_mib_max": round(max),
        "rss_kib_per_min_second_half": round(growth_mib * 1024.0 / minutes),
        "fds_start": first.fds,
        "fds_middle": middle.fds,
        "fds_end": last.fds,
        "samples": measured
            .iter()
            .map(|s| json!([round(s.at_secs), round(mib(s)), s.fds]))
            .collect::<Vec<_>>(),
    })
}
