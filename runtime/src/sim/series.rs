//! `juju upgrade-machine` (Juju 3.x, machine models): a machine's
//! series-upgrade lock and its unit agents' side of it, as Juju's
//! `upgradeseries` resolver (`internal/worker/uniter/upgradeseries`) and the
//! machine's upgrade-series worker run them.
//!
//! `prepare BASE` starts the lock (PrepareStarted): every unit on the
//! machine runs `pre-series-upgrade` (with `JUJU_TARGET_BASE`) once its
//! operation state is Continue; when all have, the machine worker stops the
//! unit agents (PrepareCompleted) and nothing runs until the operator
//! upgrades the machine and runs `complete` (CompleteStarted): the agents
//! start again, fresh, and each runs `post-series-upgrade`; when all have,
//! the lock goes and the agents reset their local status.

use std::collections::BTreeSet;

pub use super::agent::{MachinePhase, MachineUpgrade, UnitPhase};
use super::hook::Hook;
use super::model::Model;
use super::names::UnitName;

/// The machine of `name`: its principal, or itself.
pub fn machine_of(m: &Model, name: &UnitName) -> UnitName {
    (m.unit(name))
        .and_then(|u| u.principal.clone())
        .unwrap_or_else(|| name.clone())
}

/// The units on `machine`: the principal first, then its subordinates.
pub fn units_on(m: &Model, machine: &UnitName) -> Vec<UnitName> {
    let mut on = vec![machine.clone()];
    on.extend(
        (m.units.values())
            .filter(|u| u.principal.as_ref() == Some(machine))
            .map(|u| u.name.clone()),
    );
    on
}

/// The upgrade of `name`'s machine, if one is under way.
pub fn upgrade_of<'a>(m: &'a Model, name: &UnitName) -> Option<&'a MachineUpgrade> {
    m.unit(&machine_of(m, name))?.machine_upgrade.as_ref()
}

/// Whether `name`'s agent is stopped for the upgrade (nothing runs).
pub fn agent_stopped(m: &Model, name: &UnitName) -> bool {
    upgrade_of(m, name).is_some_and(|u| u.phase == MachinePhase::PrepareCompleted)
}

/// The series-upgrade hook `name` runs next, if any (the resolver asks
/// only in the operation state Continue).
pub fn next_hook(m: &Model, name: &UnitName) -> Option<Hook> {
    let up = upgrade_of(m, name)?;
    let local = m.unit(name)?.agent.series;
    match (up.phase, local) {
        (MachinePhase::PrepareStarted, UnitPhase::NotStarted) => Some(Hook::PreSeriesUpgrade {
            target: up.target.clone(),
        }),
        (MachinePhase::CompleteStarted, UnitPhase::NotStarted | UnitPhase::PrepareCompleted) => {
            Some(Hook::PostSeriesUpgrade)
        }
        _ => None,
    }
}

/// A series-upgrade hook of `name` committed: its local status moves; the
/// last unit of the machine moves the machine (stopping the agents after
/// prepare, removing the lock after complete).
pub fn committed(m: &mut Model, name: &UnitName, hook: &Hook, touched: &mut BTreeSet<UnitName>) {
    let (done, next) = match hook {
        Hook::PreSeriesUpgrade { .. } => (
            UnitPhase::PrepareCompleted,
            Some(MachinePhase::PrepareCompleted),
        ),
        Hook::PostSeriesUpgrade => (UnitPhase::Completed, None),
        _ => return,
    };
    if let Some(u) = m.unit_mut(name) {
        u.agent.series = done;
    }
    let machine = machine_of(m, name);
    let on = units_on(m, &machine);
    if !on
        .iter()
        .all(|u| m.unit(u).is_some_and(|u| u.agent.series == done))
    {
        return;
    }
    let Some(p) = m.unit_mut(&machine) else {
        return;
    };
    match next {
        Some(phase) => {
            if let Some(up) = &mut p.machine_upgrade {
                up.phase = phase;
            }
        }
        None => {
            p.machine_upgrade = None;
            for u in &on {
                if let Some(unit) = m.unit_mut(u) {
                    unit.agent.series = UnitPhase::NotStarted;
                }
            }
        }
    }
    touched.extend(on);
}

/// `complete`: the machine's lock moves to CompleteStarted; the caller
/// starts the stopped agents again (the machine worker's
/// `transitionUnitsStarted`).
pub fn complete(m: &mut Model, machine: &UnitName) {
    if let Some(p) = m.unit_mut(machine)
        && let Some(up) = &mut p.machine_upgrade
    {
        up.phase = MachinePhase::CompleteStarted;
    }
}
