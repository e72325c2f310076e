//! Counters of the control plane's actions (issue 11: "every such action is
//! visible in the metrics"): one atomic per action, a fixed set, so the
//! counters cost what the request counters cost and never grow.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A control-plane action worth counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `POST /api/dev/clock` (advance, set, freeze) or `DELETE` (real time).
    ClockChange,
    /// A token made by `POST /api/dev/tokens`.
    TokenMinted,
    /// A per-request token fault (`X-Mock-Token-Fault`) applied to a response.
    TokenFault,
    /// A request hit by a fault rule (error, delay or drop).
    FaultRuleHit,
    /// A fault rule added.
    FaultRuleAdded,
    /// Fault rules removed (one by id, or all; counted per request).
    FaultRuleRemoved,
    /// `PUT /api/dev/faults/global`.
    GlobalKnobsChange,
    /// `POST /api/dev/keys/rotate`.
    KeyRotation,
    /// `DELETE /api/dev/keys/{kid}`.
    KeyRetirement,
    /// A user created by `POST /api/dev/users`, or one of a generated batch.
    UserCreated,
    /// `PATCH /api/dev/users/{id}`.
    UserChanged,
    /// `DELETE /api/dev/users/{id}`.
    UserDeleted,
    /// `PUT /api/dev/settings`.
    SettingsChange,
    /// `POST /api/dev/reset`.
    Reset,
}

impl Action {
    /// Every action, in the order of the exposition.
    pub const ALL: [Action; 14] = [
        Action::ClockChange,
        Action::TokenMinted,
        Action::TokenFault,
        Action::FaultRuleHit,
        Action::FaultRuleAdded,
        Action::FaultRuleRemoved,
        Action::GlobalKnobsChange,
        Action::KeyRotation,
        Action::KeyRetirement,
        Action::UserCreated,
        Action::UserChanged,
        Action::UserDeleted,
        Action::SettingsChange,
        Action::Reset,
    ];

    /// The key in the metrics object and the `action` label in Prometheus.
    pub fn name(self) -> &'static str {
        match self {
            Action::ClockChange => "clock_changes",
            Action::TokenMinted => "tokens_minted",
            Action::TokenFault => "token_faults",
            Action::FaultRuleHit => "fault_rule_hits",
            Action::FaultRuleAdded => "fault_rules_added",
            Action::FaultRuleRemoved => "fault_rules_removed",
            Action::GlobalKnobsChange => "global_knob_changes",
            Action::KeyRotation => "key_rotations",
            Action::KeyRetirement => "key_retirements",
            Action::UserCreated => "users_created",
            Action::UserChanged => "users_changed",
            Action::UserDeleted => "users_deleted",
            Action::SettingsChange => "settings_changes",
            Action::Reset => "resets",
        }
    }

    fn index(self) -> usize {
        // `ALL` lists the variants in declaration order.
        self as usize
    }
}

/// One counter per [`Action`].
#[derive(Debug, Default)]
pub struct ControlCounters {
    counts: [AtomicU64; Action::ALL.len()],
}

impl ControlCounters {
    /// Counts `n` of `action`.
    pub fn add(&self, action: Action, n: u64) {
        self.counts[action.index()].fetch_add(n, Relaxed);
    }

    /// Every counter by name, zeros included, so the keys never change.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        Action::ALL
            .iter()
            .map(|a| (a.name().to_owned(), self.counts[a.index()].load(Relaxed)))
            .collect()
    }

    /// Back to zero.
    pub fn reset(&self) {
        for counter in &self.counts {
            counter.store(0, Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_each_action_at_its_own_index() {
        for (i, action) in Action::ALL.iter().enumerate() {
            assert_eq!(action.index(), i, "{action:?}");
        }
        let mut names: Vec<_> = Action::ALL.iter().map(|a| a.name()).collect();
        names.dedup();
        assert_eq!(names.len(), Action::ALL.len());
    }

    #[test]
    fn counts_add_up_and_reset_to_zero() {
        let counters = ControlCounters::default();
        counters.add(Action::Reset, 1);
        counters.add(Action::UserCreated, 100);
        let snap = counters.snapshot();
        assert_eq!(snap["resets"], 1);
        assert_eq!(snap["users_created"], 100);
        assert_eq!(snap["clock_changes"], 0);
        assert_eq!(snap.len(), Action::ALL.len());
        counters.reset();
        assert!(counters.snapshot().values().all(|n| *n == 0));
    }
}
