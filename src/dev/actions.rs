//! The control plane's changes of state, each made, counted and logged here
//! once. The `/api/dev` routes and the dashboard's forms both call these: when
//! each did its own counting, the forms changed state that the metrics never
//! saw. Callers check their input and render their answer; nothing else.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::auth::keys::SigningKey;
use crate::clock::ClockView;
use crate::error::ApiResult;
use crate::faults::{GlobalKnobs, GlobalPatch, RuleSpec, RuleView};
use crate::metrics::control::Action;
use crate::state::AppState;
use crate::store::User;

/// Where a change came from, written in its log line as `via`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// An `/api/dev` route.
    Api,
    /// A dashboard form.
    Dashboard,
}

impl Via {
    fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Dashboard => "dashboard",
        }
    }
}

/// Adds a user whose fields the caller has checked.
pub fn add_user(app: &AppState, user: User, via: Via) -> ApiResult<Arc<User>> {
    let user = app.users.insert(user)?;
    app.metrics.count(Action::UserCreated);
    tracing::info!(user = %user.id, via = via.as_str(), "dev user created");
    Ok(user)
}

/// Replaces a user with the caller's changed copy.
pub fn change_user(app: &AppState, user: User, via: Via) -> ApiResult<Arc<User>> {
    let user = app.users.replace(user)?;
    app.metrics.count(Action::UserChanged);
    tracing::info!(user = %user.id, disabled = user.disabled, via = via.as_str(), "dev user changed");
    Ok(user)
}

/// Deletes a user: `None` when there is none of that id.
pub fn delete_user(app: &AppState, id: &str, via: Via) -> Option<Arc<User>> {
    let user = app.users.remove(id)?;
    app.metrics.count(Action::UserDeleted);
    tracing::info!(user = %user.id, via = via.as_str(), "dev user deleted");
    Some(user)
}

/// Adds a fault rule. A user given by email matches by its id, the `sub`
/// of its tokens.
pub fn add_rule(app: &AppState, mut spec: RuleSpec, via: Via) -> ApiResult<RuleView> {
    if let Some(user) = &spec.matcher.user
        && let Ok(found) = crate::dev::tokens::find_user(app, user)
    {
        spec.matcher.user = Some(found.id.to_string());
    }
    let rule = app.faults.add(spec)?;
    app.metrics.count(Action::FaultRuleAdded);
    tracing::info!(rule = rule.id, via = via.as_str(), "fault rule added");
    Ok(rule)
}

/// Removes one fault rule: `false` when `id` names none.
pub fn remove_rule(app: &AppState, id: &str, via: Via) -> bool {
    let found = id.parse::<u64>().is_ok_and(|id| app.faults.remove(id));
    if found {
        app.metrics.count(Action::FaultRuleRemoved);
        tracing::info!(rule = %id, via = via.as_str(), "fault rule removed");
    }
    found
}

/// Removes every fault rule.
pub fn clear_rules(app: &AppState, via: Via) {
    app.faults.clear();
    app.metrics.count(Action::FaultRuleRemoved);
    tracing::info!(via = via.as_str(), "fault rules cleared");
}

/// Sets the server-wide fault knobs; a field left out keeps its value.
pub fn set_global(app: &AppState, patch: &GlobalPatch, via: Via) -> ApiResult<GlobalKnobs> {
    let knobs = app.faults.set_global(patch)?;
    app.metrics.count(Action::GlobalKnobsChange);
    tracing::info!(?knobs, via = via.as_str(), "global fault knobs changed");
    Ok(knobs)
}

/// A checked change of the clock: each part applied in this order.
#[derive(Debug, Default, Clone, Copy)]
pub struct ClockMove {
    /// Set the clock to this time.
    pub set: Option<OffsetDateTime>,
    /// Then move it by this many seconds.
    pub advance_seconds: Option<i64>,
    /// Then stop or restart it.
    pub freeze: Option<bool>,
}

/// Moves, sets or freezes the clock.
pub fn move_clock(app: &AppState, change: ClockMove, via: Via) -> ClockView {
    if let Some(at) = change.set {
        app.clock.set(at);
    }
    if let Some(seconds) = change.advance_seconds {
        app.clock.advance(seconds);
    }
    if let Some(frozen) = change.freeze {
        app.clock.freeze(frozen);
    }
    let view = app.clock.view();
    app.metrics.count(Action::ClockChange);
    tracing::info!(now = %view.now, offset = view.offset_seconds, frozen = view.frozen,
        via = via.as_str(), "clock changed");
    view
}

/// Puts the clock back to real time, running.
pub fn reset_clock(app: &AppState, via: Via) -> ClockView {
    app.clock.reset();
    let view = app.clock.view();
    app.metrics.count(Action::ClockChange);
    tracing::info!(now = %view.now, via = via.as_str(), "clock back to real time");
    view
}

/// Makes a new signing key current; the old one keeps verifying.
pub async fn rotate_key(app: &AppState, via: Via) -> ApiResult<Arc<SigningKey>> {
    let key = app.keys().rotate().await?;
    app.metrics.count(Action::KeyRotation);
    tracing::info!(kid = %key.kid, via = via.as_str(), "signing key rotated");
    Ok(key)
}

/// Retires a key: it leaves the JWKS and its tokens are refused.
pub async fn retire_key(app: &AppState, kid: &str, via: Via) -> ApiResult<()> {
    app.keys().retire(kid).await?;
    app.metrics.count(Action::KeyRetirement);
    tracing::info!(%kid, via = via.as_str(), "signing key retired");
    Ok(())
}
