//! Scenario files for `charmbox sim`: a model, then steps (operations,
//! `settle`, `advance`) and expectations, in YAML. Charm paths are relative
//! to the file. A model file remembers the steps already committed, so a
//! scenario interrupted (even killed) resumes where it stopped.
//!
//! ```yaml
//! model: {type: kubernetes, seed: 1}
//! steps:
//!   - deploy: {charm: ., units: 3}
//!   - settle:
//!   - expect:
//!       leader: {peer-counter: peer-counter/0}
//!       app-data:
//!         - {relation: "peer-counter:fastapi-peer", key: unit_stats, equals: '{"started_counter": 1}'}
//!   - churn: peer-counter/0
//!   - settle:
//!   - expect:
//!       events:
//!         - {unit: peer-counter/0, last: [stop, upgrade-charm, config-changed, start]}
//! ```

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::model::{BagOwner, Settings, Substrate};
use super::ops::DeployOptions;
use super::{ModelOptions, SimError, Simulator};
use crate::state::Bag;

/// A scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default)]
    pub model: ModelSpec,
    pub steps: Vec<Step>,
}

/// The model a scenario starts from.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ModelSpec {
    pub name: Option<String>,
    /// `kubernetes` (default) or `machine`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub seed: u64,
    pub retry_hooks: Option<bool>,
    /// Hooks one settle may run.
    pub settle_limit: Option<u64>,
}

/// `deploy:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DeployStep {
    pub charm: PathBuf,
    #[serde(default)]
    pub app: Option<String>,
    #[serde(default)]
    pub units: Option<u32>,
    #[serde(default)]
    pub config: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub stateless: bool,
    #[serde(default)]
    pub pod_local_state: bool,
    #[serde(default)]
    pub trust: bool,
}

/// `config:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigStep {
    pub app: String,
    #[serde(default)]
    pub set: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub reset: Vec<String>,
}

/// `scale:` / `add-unit:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleStep {
    pub app: String,
    pub units: u32,
}

/// `churn:` a unit, or `{unit, times}` (each churn settled before the next).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ChurnStep {
    Unit(String),
    Times { unit: String, times: u32 },
}

/// `refresh:` an application, or `{app, charm}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RefreshStep {
    App(String),
    With { app: String, charm: Option<PathBuf> },
}

/// `run-action:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionStep {
    pub unit: String,
    pub action: String,
    #[serde(default)]
    pub params: BTreeMap<String, serde_json::Value>,
    /// `completed` or `failed`.
    #[serde(default)]
    pub status: Option<String>,
    /// Results that must be present, with these values.
    #[serde(default)]
    pub results: BTreeMap<String, serde_json::Value>,
}

/// `resolve:` a unit, or `{unit, retry: false}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ResolveStep {
    Unit(String),
    With {
        unit: String,
        #[serde(default = "yes")]
        retry: bool,
    },
}

fn yes() -> bool {
    true
}

/// `secret-add:`, `secret-set:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretStep {
    /// The secret (id or label); for secret-add, a name to refer to it by.
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub content: Bag,
    /// secret-add: applications granted access.
    #[serde(default)]
    pub grant: Vec<String>,
}

/// `secret-remove:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretRemoveStep {
    /// The secret (id or label).
    pub secret: String,
    /// The revision no longer used (default: the latest).
    #[serde(default)]
    pub revision: Option<u32>,
}

/// One step.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Step {
    Deploy(DeployStep),
    /// `[a, b]` with `app` or `app:endpoint`.
    Integrate(Vec<String>),
    RemoveRelation(Vec<String>),
    Config(ConfigStep),
    Scale(ScaleStep),
    AddUnit(ScaleStep),
    RemoveUnit(String),
    RemoveApplication(String),
    Churn(ChurnStep),
    Refresh(RefreshStep),
    RunAction(ActionStep),
    Resolve(ResolveStep),
    SecretAdd(SecretStep),
    SecretSet(SecretStep),
    SecretRotate(String),
    SecretExpire(String),
    /// `secret-remove: {secret: ID, revision: N}` (revision: the latest when
    /// absent).
    SecretRemove(SecretRemoveStep),
    /// Run hooks until none is due.
    Settle(Option<serde_json::Value>),
    /// Move virtual time (`30s`, `10m`), firing timers.
    Advance(String),
    Expect(Box<Expect>),
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
    /// Application → the number of relations it is in.
    pub relations: BTreeMap<String, usize>,
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

impl Scenario {
    pub fn load(path: &Path) -> Result<Scenario, SimError> {
        let malformed =
            |e: String| SimError::Usage(format!("malformed scenario {}: {e}", path.display()));
        let text = crate::yaml::read_file(path).map_err(|e| match e {
            crate::yaml::YamlError::Io(e) => {
                SimError::Usage(format!("cannot read {}: {e}", path.display()))
            }
            limit => malformed(limit.to_string()),
        })?;
        // Through JSON's data model: steps are one-key maps (`- deploy: {...}`).
        let value: serde_json::Value =
            crate::yaml::from_str(&text).map_err(|e| malformed(e.to_string()))?;
        serde_json::from_value(value).map_err(|e| malformed(e.to_string()))
    }

    /// The model options the scenario asks for.
    pub fn options(&self) -> Result<ModelOptions, SimError> {
        let kind = match self.model.kind.as_deref() {
            None | Some("kubernetes") | Some("k8s") => Substrate::Kubernetes,
            Some("machine") | Some("lxd") => Substrate::Machine,
            Some(other) => return Err(SimError::Usage(format!("unknown model type {other:?}"))),
        };
        let mut settings = Settings::default();
        if let Some(r) = self.model.retry_hooks {
            settings.retry_hooks = r;
        }
        if let Some(l) = self.model.settle_limit {
            settings.settle_limit = l;
        }
        Ok(ModelOptions {
            name: self.model.name.clone().unwrap_or_else(|| "sim".into()),
            kind,
            seed: self.model.seed,
            settings,
            ..ModelOptions::default()
        })
    }
}

fn fail<T>(m: String) -> Result<T, SimError> {
    Err(SimError::Assertion(m))
}

/// Run the steps of `sc` not yet committed in `sim`, writing a line per
/// step to `out`. Stops at the first unmet expectation.
pub fn run(
    sim: &mut Simulator,
    sc: &Scenario,
    base: &Path,
    out: &mut dyn Write,
) -> Result<(), SimError> {
    let done = sim.scenario_step() as usize;
    if done > 0 && done < sc.steps.len() {
        writeln!(out, "resuming at step {}", done + 1)?;
    }
    for (i, step) in sc.steps.iter().enumerate().skip(done) {
        // An operation commits its cursor with its own transaction, so a
        // kill can never run it twice; settling, advancing and checking are
        // repeatable and move the cursor once done.
        let repeatable = matches!(
            step,
            Step::Settle(_)
                | Step::Advance(_)
                | Step::Expect(_)
                | Step::Churn(ChurnStep::Times { .. })
        );
        if !repeatable {
            sim.stage_scenario_step(i as u64 + 1);
        }
        let line = run_step(sim, step, base)?;
        writeln!(out, "step {}: {line}", i + 1)?;
        sim.set_scenario_step(i as u64 + 1)?;
    }
    Ok(())
}

fn path(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

fn run_step(sim: &mut Simulator, step: &Step, base: &Path) -> Result<String, SimError> {
    Ok(match step {
        Step::Deploy(d) => {
            let app = sim.deploy(
                &path(base, &d.charm),
                DeployOptions {
                    app: d.app.clone(),
                    units: d.units,
                    config: d.config.clone(),
                    stateless: d.stateless,
                    pod_local_state: d.pod_local_state,
                    trust: d.trust,
                    containers: Vec::new(),
                },
            )?;
            format!("deploy {app}")
        }
        Step::Integrate(ends) | Step::RemoveRelation(ends) => {
            let [a, b] = ends.as_slice() else {
                return Err(SimError::Usage("integrate takes [a, b]".into()));
            };
            if matches!(step, Step::Integrate(_)) {
                let id = sim.integrate(a, b)?;
                format!("integrate {a} {b} (relation {id})")
            } else {
                sim.remove_relation(a, b)?;
                format!("remove-relation {a} {b}")
            }
        }
        Step::Config(c) => {
            sim.config(&c.app, c.set.clone(), &c.reset)?;
            format!("config {}", c.app)
        }
        Step::Scale(s) => {
            sim.scale(&s.app, s.units)?;
            format!("scale {} to {}", s.app, s.units)
        }
        Step::AddUnit(s) => {
            let names = sim.add_units(&s.app, s.units)?;
            format!("add-unit {}", names.join(" "))
        }
        Step::RemoveUnit(u) => {
            sim.remove_unit(u)?;
            format!("remove-unit {u}")
        }
        Step::RemoveApplication(a) => {
            sim.remove_application(a)?;
            format!("remove-application {a}")
        }
        Step::Churn(ChurnStep::Unit(u)) => {
            let new = sim.churn(u)?;
            format!("churn {u} (now {new})")
        }
        Step::Churn(ChurnStep::Times { unit, times }) => {
            let mut unit = unit.clone();
            let mut hooks = 0;
            for _ in 0..*times {
                unit = sim.churn(&unit)?;
                hooks += sim.settle()?;
            }
            format!("churn {unit} {times} times ({hooks} hooks)")
        }
        Step::Refresh(r) => {
            let (app, charm) = match r {
                RefreshStep::App(a) => (a.clone(), None),
                RefreshStep::With { app, charm } => {
                    (app.clone(), charm.as_ref().map(|c| path(base, c)))
                }
            };
            sim.refresh(&app, charm.as_deref())?;
            format!("refresh {app}")
        }
        Step::RunAction(a) => {
            let rec = sim.run_action(&a.unit, &a.action, a.params.clone())?;
            let status = format!("{:?}", rec.status).to_lowercase();
            if let Some(want) = &a.status
                && *want != status
            {
                return fail(format!(
                    "action {} on {}: status {status}, expected {want} ({})",
                    a.action, a.unit, rec.message
                ));
            }
            for (k, v) in &a.results {
                if rec.results.get(k) != Some(v) {
                    return fail(format!(
                        "action {} on {}: result {k} is {:?}, expected {v}",
                        a.action,
                        a.unit,
                        rec.results.get(k)
                    ));
                }
            }
            format!("run-action {} {}: {status}", a.unit, a.action)
        }
        Step::Resolve(r) => {
            let (u, retry) = match r {
                ResolveStep::Unit(u) => (u.clone(), true),
                ResolveStep::With { unit, retry } => (unit.clone(), *retry),
            };
            sim.resolve(&u, retry)?;
            format!("resolve {u}")
        }
        Step::SecretAdd(s) => {
            let id = sim.secret_add_named(s.secret.as_deref(), s.content.clone(), &s.grant)?;
            format!("secret-add {id}")
        }
        Step::SecretSet(s) => {
            let id = s
                .secret
                .as_deref()
                .ok_or_else(|| SimError::Usage("secret-set needs `secret`".into()))?;
            let rev = sim.secret_set(id, s.content.clone())?;
            format!("secret-set {id} (revision {rev})")
        }
        Step::SecretRotate(id) => {
            sim.secret_rotate(id)?;
            format!("secret-rotate {id}")
        }
        Step::SecretExpire(id) => {
            sim.secret_expire(id)?;
            format!("secret-expire {id}")
        }
        Step::SecretRemove(s) => {
            sim.secret_remove(&s.secret, s.revision)?;
            format!("secret-remove {}", s.secret)
        }
        Step::Settle(_) => {
            let n = sim.settle()?;
            format!("settle ({n} hooks)")
        }
        Step::Advance(d) => {
            let dur: Duration = humantime::parse_duration(d)
                .map_err(|e| SimError::Usage(format!("advance {d:?}: {e}")))?;
            let n = sim.advance(dur)?;
            format!("advance {d} ({n} hooks)")
        }
        Step::Expect(e) => {
            let n = check(sim, e)?;
            format!("expect: {n} checks passed")
        }
    })
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
