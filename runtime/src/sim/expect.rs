//! Expectations of a scenario file (`expect:`): leaders, statuses, units,
//! relation data, the hooks each unit ran, the hook each unit has due
//! next, and log lines — checked against a running simulator.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::model::BagOwner;
use super::{SimError, Simulator};

fn fail<T>(m: String) -> Result<T, SimError> {
    Err(SimError::Assertion(m))
}

/// Expectations about the model.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Expect {
    /// Application → its leader unit.
    pub leader: BTreeMap<String, String>,
    /// Unit → workload status (`active`, or `blocked: message`).
    pub workload: BTreeMap<String, String>,
    /// Unit → agent status (`idle`, `error`, ...).
    pub agent: BTreeMap<String, String>,
    /// Application → its units, exactly.
    pub units: BTreeMap<String, Vec<String>>,
    pub app_data: Vec<DataExpect>,
    pub unit_data: Vec<DataExpect>,
    pub events: Vec<EventsExpect>,
    /// Log lines that must appear (substring), optionally of a unit.
    pub log: Vec<LogExpect>,
    /// Substrings of log lines (any unit's): the lines containing any of
    /// them must be exactly these, in this order (how units took turns).
    pub log_order: Vec<String>,
    /// Application → the number of relations it is in.
    pub relations: BTreeMap<String, usize>,
    /// Unit → the hook it runs next (`none`: nothing due), after a partial
    /// `settle: {steps: n}`.
    pub next: BTreeMap<String, String>,
    /// Unit → what its simulated machine holds and ran (machine charms).
    pub machine: BTreeMap<String, super::expect_machine::MachineExpect>,
}

/// A databag key's value (absent `equals`: the key must be missing).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataExpect {
    /// `app:endpoint` (a peer relation) or `a[:ep] b[:ep]`.
    pub relation: String,
    /// The bag's owner: an application (app-data) or unit (unit-data);
    /// default: the first application named in `relation`.
    #[serde(default)]
    pub of: Option<String>,
    pub key: String,
    #[serde(default)]
    pub equals: Option<String>,
}

/// A unit's hook sequence.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsExpect {
    pub unit: String,
    /// The unit's first hooks, exactly.
    #[serde(default)]
    pub first: Vec<String>,
    /// The unit's last hooks, exactly.
    #[serde(default)]
    pub last: Vec<String>,
    /// Hooks that occur in this order (not necessarily adjacent).
    #[serde(default)]
    pub contains: Vec<String>,
    /// Hook → how many times it ran.
    #[serde(default)]
    pub count: BTreeMap<String, usize>,
}

/// A log line.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogExpect {
    #[serde(default)]
    pub unit: Option<String>,
    pub contains: String,
}

fn subsequence(hay: &[String], needles: &[String]) -> bool {
    let mut it = hay.iter();
    needles.iter().all(|n| it.any(|h| h == n))
}

/// Check expectations; returns how many held.
pub fn check(sim: &Simulator, e: &Expect) -> Result<usize, SimError> {
    let mut n = 0;
    let st = sim.status();
    for (app, want) in &e.leader {
        let got = st
            .applications
            .iter()
            .find(|a| a.name == *app)
            .and_then(|a| a.leader.clone());
        if got.as_deref() != Some(want.as_str()) {
            return fail(format!("leader of {app} is {got:?}, expected {want}"));
        }
        n += 1;
    }
    for (unit, want) in &e.workload {
        let got = st.units.iter().find(|u| u.unit == *unit).map(|u| {
            if u.message.is_empty() {
                u.workload.clone()
            } else {
                format!("{}: {}", u.workload, u.message)
            }
        });
        let ok = got
            .as_deref()
            .is_some_and(|g| g == want || g.split(':').next() == Some(want.as_str()));
        if !ok {
            return fail(format!("workload of {unit} is {got:?}, expected {want}"));
        }
        n += 1;
    }
    for (unit, want) in &e.agent {
        let got = st
            .units
            .iter()
            .find(|u| u.unit == *unit)
            .map(|u| u.agent.clone());
        if got.as_deref() != Some(want.as_str()) {
            return fail(format!("agent of {unit} is {got:?}, expected {want}"));
        }
        n += 1;
    }
    for (app, want) in &e.units {
        let got: Vec<String> = sim
            .model()
            .app_units(app)
            .iter()
            .map(|u| u.to_string())
            .collect();
        if got != *want {
            return fail(format!("units of {app} are {got:?}, expected {want:?}"));
        }
        n += 1;
    }
    for (app, want) in &e.relations {
        let got = sim
            .model()
            .relations
            .values()
            .filter(|r| r.involves(app))
            .count();
        if got != *want {
            return fail(format!("{app} is in {got} relations, expected {want}"));
        }
        n += 1;
    }
    for (d, app) in e
        .app_data
        .iter()
        .map(|d| (d, true))
        .chain(e.unit_data.iter().map(|d| (d, false)))
    {
        let mut parts = d.relation.split_whitespace();
        let a = parts.next().unwrap_or_default();
        let b = parts.next().unwrap_or_default();
        let id = sim.find_relation(a, b)?;
        let of =
            d.of.clone()
                .unwrap_or_else(|| a.split(':').next().unwrap_or_default().to_string());
        let owner = if app {
            BagOwner::App(of.clone())
        } else {
            BagOwner::Unit(of.parse().map_err(SimError::Usage)?)
        };
        let bag = sim.model().bag_data(id, &owner);
        let got = bag.get(&d.key);
        if got != d.equals.as_ref() {
            return fail(format!(
                "{} of {of} in relation {id}: {:?} is {got:?}, expected {:?}",
                if app { "app data" } else { "unit data" },
                d.key,
                d.equals
            ));
        }
        n += 1;
    }
    for ev in &e.events {
        let got = sim.unit_events(&ev.unit)?;
        if !ev.first.is_empty() && !got.starts_with(&ev.first) {
            return fail(format!(
                "{} ran {got:?}, expected to start with {:?}",
                ev.unit, ev.first
            ));
        }
        if !ev.last.is_empty() && !got.ends_with(&ev.last) {
            return fail(format!(
                "{} ran {got:?}, expected to end with {:?}",
                ev.unit, ev.last
            ));
        }
        if !subsequence(&got, &ev.contains) {
            return fail(format!(
                "{} ran {got:?}, expected {:?} in that order",
                ev.unit, ev.contains
            ));
        }
        for (hook, want) in &ev.count {
            let c = got.iter().filter(|h| *h == hook).count();
            if c != *want {
                return fail(format!("{} ran {hook} {c} times, expected {want}", ev.unit));
            }
        }
        n += 1;
    }
    for (unit, want) in &e.next {
        let got = sim.next_hook_of(unit)?.unwrap_or_else(|| "none".into());
        if got != *want {
            return fail(format!("{unit} runs {got} next, expected {want}"));
        }
        n += 1;
    }
    n += super::expect_machine::check(sim, &e.machine)?;
    if !e.log_order.is_empty() {
        let lines = sim.logs(&super::history::LogFilter::default())?;
        let got: Vec<&String> = lines
            .iter()
            .filter_map(|x| e.log_order.iter().find(|p| x.message.contains(p.as_str())))
            .collect();
        if got.iter().copied().ne(e.log_order.iter()) {
            return fail(format!(
                "the log lines of log-order came as {got:?}, expected {:?}",
                e.log_order
            ));
        }
        n += 1;
    }
    for l in &e.log {
        let filter = super::history::LogFilter {
            unit: l.unit.clone(),
            ..Default::default()
        };
        if !sim
            .logs(&filter)?
            .iter()
            .any(|x| x.message.contains(&l.contains))
        {
            return fail(format!("no log line contains {:?}", l.contains));
        }
        n += 1;
    }
    Ok(n)
}
