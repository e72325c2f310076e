//! The server's clock: the only reader of the system time. Everything that
//! reads time (token `iat`/`exp`, verification, codes, sessions, sweeps, the
//! journal) asks it, so the control plane can move time for all of them at
//! once. `uptime_seconds` is measured with `Instant`, which it never moves.
//!
//! Lock-free on the hot path: the offset and the frozen instant are atomics,
//! so `now()` costs one system-time read and two atomic loads.

use std::sync::atomic::{AtomicI64, Ordering};

use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

/// Marks "not frozen" in [`Clock::frozen_at_ns`].
const NOT_FROZEN: i64 = i64::MIN;

/// A clock that can be moved, set and frozen.
#[derive(Debug)]
pub struct Clock {
    /// Nanoseconds added to the system time.
    offset_ns: AtomicI64,
    /// The instant the clock stands still at, in nanoseconds since the epoch,
    /// or [`NOT_FROZEN`].
    frozen_at_ns: AtomicI64,
}

impl Default for Clock {
    fn default() -> Self {
        Self {
            offset_ns: AtomicI64::new(0),
            frozen_at_ns: AtomicI64::new(NOT_FROZEN),
        }
    }
}

/// What `GET /api/dev/clock` answers.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
#[schema(example = json!({"now": "2026-11-25T10:31:00Z", "offset_seconds": 1860, "frozen": false}))]
pub struct ClockView {
    /// The server's current time, RFC 3339 UTC.
    pub now: String,
    /// Seconds between the server's time and the real time (negative: behind).
    pub offset_seconds: i64,
    /// Whether the clock stands still.
    pub frozen: bool,
}

fn system_ns() -> i64 {
    let now = OffsetDateTime::now_utc().unix_timestamp_nanos();
    i64::try_from(now).unwrap_or(i64::MAX)
}

fn from_ns(ns: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns)).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl Clock {
    fn now_ns(&self) -> i64 {
        let frozen = self.frozen_at_ns.load(Ordering::Acquire);
        if frozen != NOT_FROZEN {
            return frozen;
        }
        system_ns().saturating_add(self.offset_ns.load(Ordering::Acquire))
    }

    /// The server's current time.
    pub fn now(&self) -> OffsetDateTime {
        from_ns(self.now_ns())
    }

    /// The server's current time in whole seconds since the epoch (JWT time).
    pub fn unix(&self) -> i64 {
        self.now_ns().div_euclid(1_000_000_000)
    }

    /// Moves the clock by `seconds` (negative: back), frozen or not.
    pub fn advance(&self, seconds: i64) {
        let delta = seconds.saturating_mul(1_000_000_000);
        // A read-modify-write, not a load then a store: two concurrent
        // advances of a frozen clock must both count.
        let _ = self
            .frozen_at_ns
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |frozen| {
                (frozen != NOT_FROZEN).then(|| frozen.saturating_add(delta))
            });
        self.offset_ns.fetch_add(delta, Ordering::AcqRel);
    }

    /// Sets the clock to `at`; a frozen clock stays frozen there.
    pub fn set(&self, at: OffsetDateTime) {
        let target = i64::try_from(at.unix_timestamp_nanos()).unwrap_or(i64::MAX);
        if self.frozen_at_ns.load(Ordering::Acquire) != NOT_FROZEN {
            self.frozen_at_ns.store(target, Ordering::Release);
        }
        self.offset_ns
            .store(target.saturating_sub(system_ns()), Ordering::Release);
    }

    /// Freezes the clock at its current time, or lets it run on from there.
    pub fn freeze(&self, frozen: bool) {
        let now = self.now_ns();
        if frozen {
            self.frozen_at_ns.store(now, Ordering::Release);
        } else if self.frozen_at_ns.swap(NOT_FROZEN, Ordering::AcqRel) != NOT_FROZEN {
            // Running on from the frozen instant, not jumping to where it
            // would have been.
            self.offset_ns
                .store(now.saturating_sub(system_ns()), Ordering::Release);
        }
    }

    /// Back to the real time, running.
    pub fn reset(&self) {
        self.frozen_at_ns.store(NOT_FROZEN, Ordering::Release);
        self.offset_ns.store(0, Ordering::Release);
    }

    /// The clock as the control plane shows it.
    pub fn view(&self) -> ClockView {
        let now = self.now_ns();
        // Rounded, not truncated: the system time read here is a little
        // later than the one in `now`, and truncating an offset of exactly
        // 40 s made it 39.
        let offset_ns = now.saturating_sub(system_ns());
        ClockView {
            now: crate::store::rfc3339(from_ns(now)),
            offset_seconds: (offset_ns as f64 / 1e9).round() as i64,
            frozen: self.frozen_at_ns.load(Ordering::Acquire) != NOT_FROZEN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_by_that_many_seconds() {
        let clock = Clock::default();
        let before = clock.unix();
        clock.advance(31 * 60);
        let moved = clock.unix() - before;
        assert!((31 * 60..=31 * 60 + 2).contains(&moved), "{moved}");
        clock.advance(-31 * 60);
        assert!((clock.unix() - before).abs() <= 2);
    }

    #[test]
    fn the_view_shows_the_offset_given_not_one_second_less() {
        let clock = Clock::default();
        clock.advance(40);
        assert_eq!(clock.view().offset_seconds, 40);
        clock.advance(-80);
        assert_eq!(clock.view().offset_seconds, -40);
    }

    #[test]
    fn concurrent_advances_of_a_frozen_clock_all_count() {
        let clock = std::sync::Arc::new(Clock::default());
        clock.freeze(true);
        let at = clock.unix();
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let clock = clock.clone();
                std::thread::spawn(move || (0..500).for_each(|_| clock.advance(1)))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(clock.unix() - at, 4000);
    }

    #[test]
    fn a_frozen_clock_stands_still_and_can_still_be_advanced() {
        let clock = Clock::default();
        clock.freeze(true);
        let at = clock.now();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(clock.now(), at);
        clock.advance(10);
        assert_eq!(clock.now(), at + time::Duration::seconds(10));
        assert!(clock.view().frozen);
    }

    #[test]
    fn set_puts_the_clock_at_that_time() {
        let clock = Clock::default();
        let target = OffsetDateTime::from_unix_timestamp(2_000_000_000).unwrap();
        clock.set(target);
        assert!((clock.unix() - 2_000_000_000).abs() <= 1);
        clock.reset();
        assert!(clock.view().offset_seconds.abs() <= 1);
        assert!(!clock.view().frozen);
    }

    #[test]
    fn unfreezing_runs_on_from_the_frozen_instant() {
        let clock = Clock::default();
        clock.set(OffsetDateTime::from_unix_timestamp(1_000_000).unwrap());
        clock.freeze(true);
        clock.freeze(false);
        assert!((clock.unix() - 1_000_000).abs() <= 1);
    }
}
