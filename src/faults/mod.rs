//! The one fault engine: per-request knobs, then fault rules in creation
//! order, then the server-wide knobs. The layer in `middleware/faults.rs`
//! only calls it.

use crate::config::Config;

/// Fault rules and the run-time global knobs.
#[derive(Debug, Default)]
pub struct FaultEngine {}

impl FaultEngine {
    /// The engine of the start: no rules, the global knobs of the configuration.
    pub fn new(_config: &Config) -> Self {
        Self {}
    }
}
