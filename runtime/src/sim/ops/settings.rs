//! Model config after creation (`juju model-config key=value`): the keys
//! the simulator models, `update-status-hook-interval` and
//! `automatically-retry-hooks`.

use std::collections::BTreeMap;

use super::super::lifecycle::{self, Touched};
use super::super::model::Settings;
use super::super::scheduler::draw_unit;
use super::super::{SimError, Simulator};
use super::usage;

/// `update-status-hook-interval`.
pub const UPDATE_STATUS_INTERVAL: &str = "update-status-hook-interval";
/// `automatically-retry-hooks`.
pub const RETRY_HOOKS: &str = "automatically-retry-hooks";

/// Juju's bounds of `update-status-hook-interval`
/// (`environs/config/config.go` `Validate`): 1 min to 60 min.
fn interval_s(v: &str) -> Result<u64, SimError> {
    let d = humantime::parse_duration(v)
        .map_err(|e| SimError::Usage(format!("{UPDATE_STATUS_INTERVAL} {v:?}: {e}")))?;
    if d.subsec_nanos() != 0 {
        return usage(format!(
            "{UPDATE_STATUS_INTERVAL} {v:?}: whole seconds only"
        ));
    }
    match d.as_secs() {
        s if s < 60 => usage(format!(
            "{UPDATE_STATUS_INTERVAL} {v:?} cannot be less than 1m"
        )),
        s if s > 3600 => usage(format!(
            "{UPDATE_STATUS_INTERVAL} {v:?} cannot be greater than 60m"
        )),
        s => Ok(s),
    }
}

fn boolean(key: &str, v: &str) -> Result<bool, SimError> {
    match v {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => usage(format!("{key} {v:?}: expected true or false")),
    }
}

/// The model config keys the simulator models, as `juju model-config`
/// prints them.
pub fn model_config(s: &Settings) -> BTreeMap<String, String> {
    let interval =
        humantime::format_duration(std::time::Duration::from_secs(s.update_status_interval_s));
    BTreeMap::from([
        (RETRY_HOOKS.to_string(), s.retry_hooks.to_string()),
        (UPDATE_STATUS_INTERVAL.to_string(), interval.to_string()),
    ])
}

impl Simulator {
    /// `juju model-config key=value …` for the keys the simulator models.
    /// A new `update-status-hook-interval` restarts every running
    /// update-status timer from now (Juju 3.x
    /// `internal/worker/uniter/remotestate/watcher.go` resets the timer
    /// when the interval changes). A new `automatically-retry-hooks`
    /// bounces the retry-strategy worker and with it every uniter
    /// (`internal/worker/retrystrategy/worker.go`; the uniter depends on it
    /// in `cmd/jujud/agent/unit/manifolds.go`): see
    /// [`lifecycle::restart_agent`]. Values equal to the current ones
    /// change nothing.
    pub fn set_model_config(&mut self, set: &BTreeMap<String, String>) -> Result<(), SimError> {
        let mut new = self.model.meta.settings.clone();
        for (k, v) in set {
            match k.as_str() {
                UPDATE_STATUS_INTERVAL => new.update_status_interval_s = interval_s(v)?,
                RETRY_HOOKS => new.retry_hooks = boolean(k, v)?,
                _ => {
                    return usage(format!(
                        "model config key {k:?} is not modelled by the simulator (it models \
                         {UPDATE_STATUS_INTERVAL} and {RETRY_HOOKS})"
                    ));
                }
            }
        }
        let old = self.model.meta.settings.clone();
        if new == old {
            return Ok(());
        }
        self.model.meta_mut().settings = new.clone();
        let mut touched = Touched::new();
        let units: Vec<_> = self.model.units.keys().cloned().collect();
        for u in units {
            let r = draw_unit(&mut self.model);
            if new.retry_hooks != old.retry_hooks {
                lifecycle::restart_agent(&mut self.model, &u, r, &mut touched);
                continue;
            }
            let now = self.model.meta.now;
            if let Some(unit) = self.model.unit_mut(&u)
                && unit.agent.update_status_at.is_some()
            {
                let due = lifecycle::update_status_due(now, new.update_status_interval_s, r);
                unit.agent.update_status_at = Some(due);
                touched.insert(u);
            }
        }
        self.finish_op(touched)
    }
}
