//! Reliability of the real server binary under client faults and shutdown
//! (issue 6). Each test starts its own server process, so that its fds and
//! RSS can be read from /proc undisturbed by the tests running beside it.
//! Figures print with `cargo test --test reliability -- --nocapture`.

#[path = "reliability/client_faults.rs"]
mod client_faults;
#[path = "reliability/harness.rs"]
mod harness;
#[path = "reliability/shutdown.rs"]
mod shutdown;
