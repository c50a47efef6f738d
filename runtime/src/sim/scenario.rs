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

pub use super::expect::{DataExpect, EventsExpect, Expect, LogExpect, check};
use super::model::{Settings, Substrate};
use super::ops::DeployOptions;
use super::{ModelOptions, SimError, Simulator};

pub use super::scenario_steps::*;

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
    /// Hooks of distinct units run at once (`sim/batch.rs`; default 1).
    pub concurrent_hooks: Option<u32>,
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
    /// `remove-unit: UNIT`, or `{unit, force: true, no-wait: true}`.
    RemoveUnit(RemoveStep),
    /// `remove-application: APP`, or `{app, force: true, no-wait: true}`.
    RemoveApplication(RemoveStep),
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
    /// `upgrade-machine: {unit, prepare: BASE}` / `{unit, complete: true}`.
    UpgradeMachine(UpgradeMachineStep),
    /// `offer: {endpoints: APP:EP[,EP], name: NAME}`; `consume: {offer,
    /// alias}`; `remove-saas: NAME` (cross-model relations).
    Offer(super::ops::OfferStep),
    Consume(super::ops::ConsumeStep),
    RemoveSaas(String),
    /// `secret-grant: {secret: NAME, apps: [APP…]}` (`juju grant-secret`).
    SecretGrant(SecretAccessStep),
    /// `secret-revoke: {secret: NAME, apps: [APP…]}` (`juju revoke-secret`).
    SecretRevoke(SecretAccessStep),
    /// Run hooks until none is due (`{steps: n}`: only the next n).
    Settle(Option<SettleStep>),
    /// The leader's lease goes to this unit.
    Leader(String),
    /// `juju model-config`: `{update-status-hook-interval: 10m, …}`.
    ModelConfig(BTreeMap<String, serde_json::Value>),
    Trust(TrustStep),
    AttachResource(ResourceStep),
    AddStorage(StorageStep),
    /// A storage instance (`data/3`).
    DetachStorage(String),
    Address(AddressStep),
    /// `kubectl patch` of a StatefulSet's rolling-update partition.
    Partition(PartitionStep),
    /// A mirror offers new package versions to an application's machines.
    AptSources(super::ops::AptSourcesStep),
    /// The unit's agent restarts.
    RestartAgent(String),
    RestartContainer(ContainerStep),
    /// The unit's machine reboots.
    Reboot(String),
    PebbleNotify(NotifyStep),
    PebbleCheck(CheckStep),
    /// `[a, b]` (ends) or `[id]`.
    SuspendRelation(Vec<String>),
    ResumeRelation(Vec<String>),
    /// Move virtual time (`30s`, `10m`), firing timers.
    Advance(String),
    Expect(Box<Expect>),
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
        if let Some(n) = self.model.concurrent_hooks {
            let max = super::batch::MAX_CONCURRENT_HOOKS;
            if !(1..=max).contains(&n) {
                return Err(SimError::Usage(format!(
                    "model concurrent-hooks {n}: expected 1 to {max}"
                )));
            }
            settings.concurrent_hooks = n;
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
                    containers: d.containers.clone(),
                    machine: d.machine.clone(),
                    loopback_http: d.loopback_http.clone(),
                    native: d.native,
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
        Step::RemoveUnit(step) => {
            let u = step.target();
            match step.max_wait()? {
                Some(wait) => sim.remove_unit_forced(u, wait)?,
                None => sim.remove_unit(u)?,
            }
            format!("remove-unit {u}{}", step.flags())
        }
        Step::RemoveApplication(step) => {
            let a = step.target();
            match step.max_wait()? {
                Some(wait) => sim.remove_application_forced(a, wait)?,
                None => sim.remove_application(a)?,
            }
            format!("remove-application {a}{}", step.flags())
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
                RefreshStep::With {
                    app,
                    charm,
                    containers,
                } => {
                    if !containers.is_empty() {
                        sim.set_images(app, containers)?;
                    }
                    (app.clone(), charm.as_ref().map(|c| path(base, c)))
                }
            };
            sim.refresh(&app, charm.as_deref())?;
            format!("refresh {app}")
        }
        Step::RunAction(a) if a.background => {
            if a.status.is_some() || !a.results.is_empty() || a.message.is_some() {
                return Err(SimError::Usage(
                    "run-action with background: true cannot check status or results".into(),
                ));
            }
            let id = sim.queue_action(&a.unit, &a.action, a.params.clone())?;
            format!("run-action {} {}: queued as {id}", a.unit, a.action)
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
            if let Some(want) = a.message.as_ref().filter(|m| **m != rec.message) {
                return fail(format!(
                    "action {}: message {:?}, expected {want:?}",
                    a.action, rec.message
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
        Step::UpgradeMachine(UpgradeMachineStep {
            unit,
            prepare,
            complete,
        }) => match (prepare, complete) {
            (Some(base), false) => {
                sim.upgrade_machine_prepare(unit, base)?;
                format!("upgrade-machine {unit} prepare {base}")
            }
            (None, true) => {
                sim.upgrade_machine_complete(unit)?;
                format!("upgrade-machine {unit} complete")
            }
            _ => {
                return Err(SimError::Usage(
                    "upgrade-machine takes either `prepare: BASE` or `complete: true`".into(),
                ));
            }
        },
        Step::Offer(o) => format!("offer {}", sim.offer(&o.endpoints, o.name.as_deref())?),
        Step::Consume(c) => {
            let name = sim.consume(&c.offer, c.alias.as_deref())?;
            format!("consume {} as {name}", c.offer)
        }
        Step::RemoveSaas(name) => {
            sim.remove_saas(name)?;
            format!("remove-saas {name}")
        }
        Step::SecretGrant(s) => {
            sim.secret_grant(&s.secret, &s.apps)?;
            format!("secret-grant {} {}", s.secret, s.apps.join(" "))
        }
        Step::SecretRevoke(s) => {
            sim.secret_revoke(&s.secret, &s.apps)?;
            format!("secret-revoke {} {}", s.secret, s.apps.join(" "))
        }
        Step::Settle(Some(SettleStep { steps: Some(n) })) => {
            let ran = sim.settle_steps(*n)?;
            let hooks: Vec<String> = ran
                .iter()
                .map(|e| format!("{} {}", e.unit, e.event))
                .collect();
            format!("settle {n} steps: {}", hooks.join(", "))
        }
        Step::Settle(_) => {
            let n = sim.settle()?;
            format!("settle ({n} hooks)")
        }
        Step::Leader(u) => {
            sim.elect_leader(u)?;
            format!("leader {u}")
        }
        Step::ModelConfig(c) => {
            let set = c
                .iter()
                .map(|(k, v)| match v {
                    serde_json::Value::String(s) => (k.clone(), s.clone()),
                    other => (k.clone(), other.to_string()),
                })
                .collect();
            sim.set_model_config(&set)?;
            let keys: Vec<&str> = c.keys().map(String::as_str).collect();
            format!("model-config {}", keys.join(" "))
        }
        Step::Trust(t) => {
            let (app, trusted) = match t {
                TrustStep::App(a) => (a, true),
                TrustStep::With { app, remove } => (app, !remove),
            };
            sim.trust(app, trusted)?;
            format!("trust {app}{}", if trusted { "" } else { " --remove" })
        }
        Step::AttachResource(r) => {
            sim.attach_resource(&r.app, &r.resource)?;
            format!("attach-resource {} {}", r.app, r.resource)
        }
        Step::AddStorage(st) => {
            let ids = sim.add_storage(&st.unit, &st.storage, st.count)?;
            format!("add-storage {} {}", st.unit, ids.join(" "))
        }
        Step::DetachStorage(id) => {
            sim.detach_storage(id)?;
            format!("detach-storage {id}")
        }
        Step::Partition(p) => {
            sim.set_partition(&p.app, p.value)?;
            format!("partition {} {}", p.app, p.value)
        }
        Step::AptSources(a) => {
            sim.set_apt_sources(&a.app, &a.available)?;
            format!("apt-sources {}", a.app)
        }
        Step::Address(a) => {
            sim.set_address(&a.unit, &a.address)?;
            format!("address {} {}", a.unit, a.address)
        }
        Step::SuspendRelation(r) | Step::ResumeRelation(r) => {
            let (a, b) = match r.as_slice() {
                [id] => (id.as_str(), ""),
                [a, b] => (a.as_str(), b.as_str()),
                _ => {
                    return Err(SimError::Usage(
                        "suspend-relation and resume-relation take [a, b] or [id]".into(),
                    ));
                }
            };
            if matches!(step, Step::SuspendRelation(_)) {
                let id = sim.suspend_relation(a, b)?;
                format!("suspend-relation {id}")
            } else {
                let id = sim.resume_relation(a, b)?;
                format!("resume-relation {id}")
            }
        }
        Step::RestartContainer(c) => {
            sim.restart_container(&c.unit, &c.container)?;
            format!("restart-container {} {}", c.unit, c.container)
        }
        Step::PebbleNotify(n) => {
            let id = sim.pebble_notify(&n.unit, &n.container, &n.key)?;
            format!(
                "pebble-notify {} {} {} (notice {id})",
                n.unit, n.container, n.key
            )
        }
        Step::PebbleCheck(c) => {
            let change = match c.change.as_str() {
                "failed" => super::ops::CheckChange::Failed,
                "recovered" => super::ops::CheckChange::Recovered,
                other => {
                    return Err(SimError::Usage(format!(
                        "pebble-check change {other:?}: failed or recovered"
                    )));
                }
            };
            sim.pebble_check(&c.unit, &c.container, &c.check, change)?;
            format!(
                "pebble-check {} {} {} {}",
                c.unit, c.container, c.check, c.change
            )
        }
        Step::Reboot(u) => {
            let on = sim.reboot(u)?;
            format!("reboot {}", on.join(" "))
        }
        Step::RestartAgent(u) => {
            sim.restart_agent(u)?;
            format!("restart-agent {u}")
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
