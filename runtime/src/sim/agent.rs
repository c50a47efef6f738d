//! A unit agent's local state: what the uniter has already run and seen.
//! Comparing it with the model (Juju's "remote state") tells which hook is
//! next (see `resolver`); a committed hook moves it on (see `lifecycle`).
//! These are the unit's queues: persisted with every hook.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use super::hook::Hook;
use super::names::{TextOrdered, UnitName};

/// Why a unit's pod is going away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PodExit {
    /// Deleted or crashed: a new pod with the same identity follows.
    Churn,
    /// Replaced by a refresh of the StatefulSet.
    Refresh,
}

/// A hook that failed and waits to be retried or resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HookError {
    pub hook: Hook,
    pub attempts: u32,
    /// When the automatic retry is due (ns); none: wait for `resolve`.
    pub retry_at: Option<u64>,
    pub message: String,
}

/// The agent's local state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Agent {
    pub installed: bool,
    pub started: bool,
    pub stopped: bool,
    /// The agent believes it is the leader (ran leader-elected).
    pub leader: bool,
    /// Leader-settings version last seen (none: leader-settings-changed due).
    pub lsc_seen: Option<u64>,
    /// Config hash last seen (none: config-changed due).
    pub config_seen: Option<u64>,
    /// The application's trust when config-changed last ran (none: not
    /// recorded, as in files from before; compared only once recorded).
    pub trust_seen: Option<bool>,
    /// The unit's address when config-changed last ran (as `trust_seen`).
    pub address_seen: Option<String>,
    /// Charm revision installed.
    pub charm_rev: u32,
    pub upgrade_pending: bool,
    /// Between upgrade-charm and its config-changed.
    pub after_upgrade: bool,
    /// The pod is being terminated: `stop` runs in the old pod first.
    pub pod_exit: Option<PodExit>,
    pub pebble_ready: BTreeSet<String>,
    /// Pebble's other events for the charm (custom notices, checks failed
    /// and recovered), in the order Pebble reported them.
    pub workload_events: VecDeque<Hook>,
    /// Storage ids (`name/index`) waiting for storage-attached.
    pub storage_attaching: BTreeSet<String>,
    /// Storage ids waiting for storage-detaching (teardown).
    pub storage_detaching: BTreeSet<String>,
    pub secret_changed: BTreeSet<String>,
    pub secret_rotate: BTreeSet<String>,
    /// (secret id, revision) pairs.
    pub secret_expired: BTreeSet<(String, u32)>,
    pub secret_remove: BTreeSet<(String, u32)>,
    pub actions: VecDeque<u64>,
    pub error: Option<HookError>,
    /// When update-status is next due (ns).
    pub update_status_at: Option<u64>,
    /// Teardown: the unit has left every relation scope and stopped.
    pub teardown_started: bool,
    /// The machine rebooted under a started unit: `start` runs first.
    pub reboot_start: bool,
    /// A hook stopped by `juju-reboot --now`, to run again first after the
    /// reboot (Juju's operation state RunHook, Queued).
    pub requeued: Option<Hook>,
    /// Where this agent is in a machine upgrade.
    pub series: UnitPhase,
}

impl Agent {
    /// The earliest time something of this agent becomes due.
    pub fn next_timer(&self) -> Option<u64> {
        let retry = self.error.as_ref().and_then(|e| e.retry_at);
        match (retry, self.update_status_at) {
            (Some(a), Some(b)) if self.error.is_none() => Some(a.min(b)),
            (Some(a), _) => Some(a),
            (None, b) if self.error.is_none() && self.started => b,
            _ => None,
        }
    }
}

/// The agent's view of one relation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RelView {
    pub created: bool,
    pub broken: bool,
    /// Remote members joined, with the bag version last seen in
    /// relation-changed (none: joined, changed still to run).
    pub members: BTreeMap<UnitName, Option<u64>>,
    /// Remote application bag version last seen.
    pub app_seen: u64,
    /// The member whose relation-changed must follow its joined.
    pub changed_pending: Option<UnitName>,
    /// Members (or candidates) whose state may differ from what was seen:
    /// a hint for the resolver, not persisted (rebuilt on load as every
    /// member and remote unit in scope). In text order, so the resolver's
    /// first match is Juju's pick.
    #[serde(skip)]
    pub dirty: BTreeSet<TextOrdered>,
    /// Members whose bags changed since the unit last projected this view
    /// (its kept projection is patched with them; not persisted).
    #[serde(skip)]
    pub stale: BTreeSet<UnitName>,
    /// Members (or candidates) that may have left the scope: where the
    /// resolver looks for departures (a hint like `dirty`, in text order).
    #[serde(skip)]
    pub leaving: BTreeSet<TextOrdered>,
}

/// Juju's hook retry delay: 5 s doubling to 5 min, with ±3 % jitter
/// (`retrystrategy`); `r` is a uniform draw in [0, 1).
pub fn retry_delay_ns(attempts: u32, r: f64) -> u64 {
    const MIN: f64 = 5e9;
    const MAX: f64 = 300e9;
    let base = (MIN * 2f64.powi(attempts.saturating_sub(1).min(16) as i32)).min(MAX);
    let jitter = 1.0 + (r * 2.0 - 1.0) * 0.03;
    (base * jitter) as u64
}

/// A machine series upgrade's lock (`sim/series.rs`), kept on the
/// machine's principal unit (Juju's `model.UpgradeSeriesStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MachinePhase {
    PrepareStarted,
    /// Every unit ran pre-series-upgrade; the unit agents are stopped.
    PrepareCompleted,
    CompleteStarted,
}

/// A machine being upgraded, kept on its principal unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MachineUpgrade {
    /// The base it goes to (`ubuntu@24.04`).
    pub target: String,
    pub phase: MachinePhase,
}

/// A unit agent's local status (`LocalState.UpgradeMachineStatus`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnitPhase {
    #[default]
    NotStarted,
    PrepareCompleted,
    Completed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_five_minutes_with_small_jitter() {
        let s = |n| retry_delay_ns(n, 0.5) as f64 / 1e9;
        assert_eq!(s(1), 5.0);
        assert_eq!(s(2), 10.0);
        assert_eq!(s(3), 20.0);
        assert_eq!(s(7), 300.0);
        assert_eq!(s(30), 300.0);
        let lo = retry_delay_ns(1, 0.0) as f64 / 1e9;
        let hi = retry_delay_ns(1, 0.999_999) as f64 / 1e9;
        assert!((4.85..4.86).contains(&lo), "{lo}");
        assert!((5.14..5.16).contains(&hi), "{hi}");
    }
}
