//! Operations on a model, as `juju` commands are: each changes the model
//! (one committed transaction) and leaves the hooks to the resolver —
//! `settle` runs them. Deploy, add-unit/scale, integrate, remove-relation,
//! remove-unit/remove-application, config, k8s pod churn, refresh,
//! run-action, resolve, and secrets.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::agent::Agent;
use super::charms::open_as;
use super::lifecycle::{self, Touched};
use super::limits::check_unit_count;
use super::model::{Application, End, Life, Relation, Substrate, Unit};
use super::names::UnitName;
use super::scheduler::draw_unit;
use super::{SimError, Simulator};

/// How long a forced removal waits for the teardown by default (Juju's
/// `apiserver/common` `MaxWait`: 1 minute).
pub const FORCE_MAX_WAIT: Duration = Duration::from_secs(60);

mod app;
mod cmr;
mod leader;
mod machine;
mod relations;
mod secrets;
mod settings;
mod storage;
mod workload;
use crate::charm::CharmMeta;
use crate::state::{Bag, ContainerState, RelationKind, StatusState, StorageState};
pub use cmr::{ConsumeStep, OfferStep};
pub use machine::AptSourcesStep;
pub use settings::{RETRY_HOOKS, UPDATE_STATUS_INTERVAL, model_config};
pub use workload::CheckChange;

fn usage<T>(m: impl Into<String>) -> Result<T, SimError> {
    Err(SimError::Usage(m.into()))
}

/// How to deploy an application.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeployOptions {
    /// The application name (default: the charm's name).
    pub app: Option<String>,
    /// Units to start with (default 1; subordinates: 0).
    pub units: Option<u32>,
    pub config: BTreeMap<String, serde_json::Value>,
    /// k8s: a Deployment, so a churned pod becomes a new unit.
    pub stateless: bool,
    /// Keep unit state (`state-set`) in the pod, as ops' local StoredState
    /// is by default for sidecar charms: lost when the pod goes.
    pub pod_local_state: bool,
    pub trust: bool,
    /// Containers as the image provides them (default: each declared
    /// container, its Pebble reachable).
    pub containers: Vec<ContainerState>,
    /// The machine each unit starts on (machine charms).
    pub machine: crate::state::MachineState,
    /// What the workloads answer to HTTP on each unit's loopback.
    pub loopback_http: Vec<crate::state::HttpAnswer>,
    /// Run the charm directory natively, as a process (`crate::native`),
    /// instead of its component.
    pub native: bool,
}

/// Check config values against the charm's options.
fn check_config(
    meta: &CharmMeta,
    config: &BTreeMap<String, serde_json::Value>,
) -> Result<(), SimError> {
    for (k, v) in config {
        let Some(opt) = meta.config.get(k) else {
            return usage(format!("charm has no config option {k:?}"));
        };
        opt.check(v)
            .map_err(|m| SimError::Usage(format!("config option {k:?}: {m}")))?;
    }
    Ok(())
}

/// Parse `app` or `app:endpoint`.
fn parse_end(s: &str) -> (&str, Option<&str>) {
    match s.split_once(':') {
        Some((a, e)) => (a, Some(e)),
        None => (s, None),
    }
}

fn not_found(what: &str, name: &str) -> SimError {
    SimError::Usage(format!("{what} {name:?} not found"))
}

impl Simulator {
    pub(super) fn unit_name(&self, unit: &str) -> Result<UnitName, SimError> {
        let name: UnitName = unit.parse().map_err(SimError::Usage)?;
        if self.model.unit(&name).is_none() {
            return Err(not_found("unit", unit));
        }
        Ok(name)
    }

    fn meta_of(&mut self, app: &str) -> Result<std::sync::Arc<CharmMeta>, SimError> {
        let a = self
            .model
            .app(app)
            .cloned()
            .ok_or_else(|| not_found("application", app))?;
        Ok(self.charms.get(&self.rt, &a)?.meta().clone())
    }

    /// `juju deploy`: the application, its peer relations, its units; the
    /// first unit is the leader.
    pub fn deploy(&mut self, charm: &Path, opts: DeployOptions) -> Result<String, SimError> {
        let (loaded, charm_name) = open_as(&self.rt, charm, opts.app.as_deref(), opts.native)?;
        let name = loaded.meta().name.clone();
        if !crate::juju::names::is_app_name(&name) {
            return usage(format!("invalid application name {name:?}"));
        }
        if self.model.app(&name).is_some() {
            return usage(format!("application {name:?} already exists"));
        }
        let meta = loaded.meta().clone();
        check_config(&meta, &opts.config)?;
        let units = opts.units.unwrap_or(if meta.subordinate { 0 } else { 1 });
        check_unit_count(&name, units as usize)?;
        if meta.subordinate && units > 0 {
            return usage(format!(
                "{name:?} is a subordinate charm: it gets its units from a relation to a principal"
            ));
        }
        for c in &opts.containers {
            if !meta.containers.contains(&c.name) {
                return usage(format!("charm has no container {:?}", c.name));
            }
        }
        let containers = meta
            .containers
            .iter()
            .map(|c| {
                opts.containers
                    .iter()
                    .find(|t| t.name == *c)
                    .cloned()
                    .unwrap_or(ContainerState {
                        name: c.clone(),
                        can_connect: true,
                        ..Default::default()
                    })
            })
            .collect();
        let index = {
            let meta = self.model.meta_mut();
            meta.next_app_index += 1;
            meta.next_app_index - 1
        };
        let app = Application {
            name: name.clone(),
            charm: charm.to_path_buf(),
            charm_rev: 1,
            charm_hash: loaded.hash(),
            native: opts.native,
            charm_name,
            subordinate: meta.subordinate,
            stateless: opts.stateless,
            pod_local_state: opts.pod_local_state,
            config: opts.config.clone(),
            config_hash: super::model::config_hash(&opts.config),
            leader: None,
            leader_settings: Bag::new(),
            leader_settings_version: 0,
            status: StatusState {
                since: Some(super::project::rfc3339(self.model.meta.now)),
                ..StatusState::default()
            },
            trusted: opts.trust,
            next_unit: 0,
            life: Life::Alive,
            index,
            containers,
            machine: opts.machine.clone(),
            loopback_http: opts.loopback_http.clone(),
            partition: 0,
            rollout: None,
        };
        self.charms.insert(&app, loaded);
        self.model.insert_app(app);
        self.add_peer_relations(&name, &meta);
        let mut touched = Touched::new();
        for _ in 0..units {
            self.add_unit_inner(&name, None, &meta, &mut touched)?;
        }
        self.finish_op(touched)?;
        Ok(name)
    }

    fn add_unit_inner(
        &mut self,
        app: &str,
        principal: Option<UnitName>,
        meta: &CharmMeta,
        touched: &mut Touched,
    ) -> Result<UnitName, SimError> {
        let kind = self.model.meta.kind;
        let a = self
            .model
            .app_mut(app)
            .ok_or_else(|| not_found("application", app))?;
        let n = a.next_unit;
        a.next_unit += 1;
        let charm_rev = a.charm_rev;
        let containers = a.containers.clone();
        let machine = a.machine.clone();
        let index = a.index;
        let address = match kind {
            Substrate::Kubernetes => format!("10.1.{}.{}", index, n + 10),
            Substrate::Machine => format!("10.0.{}.{}", index, n + 10),
        };
        let mut storages = Vec::new();
        for (s, count) in &meta.storage_counts {
            for _ in 0..count.min {
                storages.push(StorageState {
                    name: s.clone(),
                    index: self.model.next_storage_id(),
                    location: None,
                });
            }
        }
        let name = UnitName::new(app, n);
        let agent = Agent {
            charm_rev,
            storage_attaching: storages
                .iter()
                .map(|s| format!("{}/{}", s.name, s.index))
                .collect(),
            pebble_ready: containers.iter().map(|c| c.name.clone()).collect(),
            ..Agent::default()
        };
        let mut unit = Unit::new(
            name.clone(),
            StatusState {
                status: "waiting".into(),
                message: "agent initialising".into(),
                since: Some(super::project::rfc3339(self.model.meta.now)),
            },
        );
        unit.principal = principal;
        unit.storages = storages;
        unit.containers = containers;
        unit.machine = machine;
        unit.address = address;
        unit.agent = agent;
        self.model.insert_unit(unit);
        touched.insert(name.clone());
        if self.model.app(app).is_some_and(|a| a.leader.is_none()) {
            // The first unit claims leadership.
            let a = self.model.app_mut(app).expect("app");
            a.leader = Some(n);
            touched.extend(self.model.app_units(app));
        }
        // A new principal unit gets its subordinates.
        self.ensure_subordinates(touched)?;
        Ok(name)
    }

    /// Every alive principal unit in a container-scoped relation has a
    /// unit of the subordinate application.
    fn ensure_subordinates(&mut self, touched: &mut Touched) -> Result<(), SimError> {
        let rels: Vec<Relation> = self
            .model
            .relations
            .values()
            .filter(|r| r.kind == RelationKind::Subordinate && r.life == Life::Alive)
            .cloned()
            .collect();
        for r in rels {
            let (sub, principal): (Vec<&End>, Vec<&End>) = r
                .ends
                .iter()
                .partition(|e| self.model.app(&e.app).is_some_and(|a| a.subordinate));
            let (Some(sub), Some(principal)) = (sub.first(), principal.first()) else {
                continue;
            };
            for p in self.model.alive_units(&principal.app) {
                let has = self
                    .model
                    .app_units(&sub.app)
                    .iter()
                    .any(|s| self.model.unit(s).and_then(|u| u.principal.as_ref()) == Some(&p));
                if !has {
                    let meta = self.meta_of(&sub.app)?;
                    self.add_unit_inner(&sub.app.clone(), Some(p.clone()), &meta, touched)?;
                }
            }
        }
        Ok(())
    }

    /// `juju add-unit -n N`.
    pub fn add_units(&mut self, app: &str, n: u32) -> Result<Vec<String>, SimError> {
        let meta = self.meta_of(app)?;
        if meta.subordinate {
            return usage(format!(
                "cannot add units to subordinate application {app:?}"
            ));
        }
        check_unit_count(app, self.model.alive_units(app).len() + n as usize)?;
        let mut touched = Touched::new();
        let mut names = Vec::new();
        for _ in 0..n {
            names.push(
                self.add_unit_inner(app, None, &meta, &mut touched)?
                    .to_string(),
            );
        }
        self.finish_op(touched)?;
        Ok(names)
    }

    /// `juju scale-application` (machines too): add units, or remove the
    /// highest-numbered ones.
    pub fn scale(&mut self, app: &str, n: u32) -> Result<(), SimError> {
        let alive = self.model.alive_units(app);
        if self.model.app(app).is_none() {
            return Err(not_found("application", app));
        }
        if n as usize > alive.len() {
            self.add_units(app, n - alive.len() as u32)?;
            return Ok(());
        }
        let mut touched = Touched::new();
        for u in alive.iter().rev().take(alive.len() - n as usize) {
            let r = draw_unit(&mut self.model);
            lifecycle::set_dying(&mut self.model, u, r, &mut touched);
        }
        self.finish_op(touched)
    }

    /// `juju remove-unit`.
    pub fn remove_unit(&mut self, unit: &str) -> Result<(), SimError> {
        let name = self.unit_name(unit)?;
        let mut touched = Touched::new();
        let r = draw_unit(&mut self.model);
        lifecycle::set_dying(&mut self.model, &name, r, &mut touched);
        self.finish_op(touched)
    }

    /// `juju remove-unit --force [--no-wait]`: the unit tears down as
    /// [`Simulator::remove_unit`] does, and whatever is left of it after
    /// `max_wait` of virtual time (Juju's default: 1 minute; `--no-wait`:
    /// zero, at once) is skipped — the unit and its subordinates go, leaving
    /// their relations' scopes, so the remote units run relation-departed
    /// (Juju's `DestroyWithForce` schedules the forced cleanup after
    /// `MaxWait`, `apiserver/common/remove.go`). A unit in error goes too.
    pub fn remove_unit_forced(&mut self, unit: &str, max_wait: Duration) -> Result<(), SimError> {
        let name = self.unit_name(unit)?;
        let mut touched = Touched::new();
        let r = draw_unit(&mut self.model);
        lifecycle::set_dying(&mut self.model, &name, r, &mut touched);
        self.force_removal(vec![name], max_wait, &mut touched);
        self.finish_op(touched)
    }

    /// `juju remove-application --force [--no-wait]`: every unit as
    /// [`Simulator::remove_unit_forced`].
    pub fn remove_application_forced(
        &mut self,
        app: &str,
        max_wait: Duration,
    ) -> Result<(), SimError> {
        let units = self.model.app_units(app);
        self.remove_application(app)?;
        let mut touched = Touched::new();
        self.force_removal(units, max_wait, &mut touched);
        self.finish_op(touched)
    }

    /// Remove `units` (dying) and their subordinates after `max_wait`.
    fn force_removal(
        &mut self,
        mut units: Vec<UnitName>,
        max_wait: Duration,
        touched: &mut Touched,
    ) {
        let subs: Vec<UnitName> = (self.model.units.values())
            .filter(|u| u.principal.as_ref().is_some_and(|p| units.contains(p)))
            .map(|u| u.name.clone())
            .collect();
        units.extend(subs);
        let at = self
            .model
            .meta
            .now
            .saturating_add(max_wait.as_nanos() as u64);
        for u in units {
            if max_wait.is_zero() {
                let r = draw_unit(&mut self.model);
                lifecycle::remove_unit(&mut self.model, &u, r, touched);
            } else if let Some(unit) = self.model.unit_mut(&u) {
                unit.force_removal_at = Some(at);
                touched.insert(u);
            }
        }
    }

    /// `juju remove-application`: every unit tears down, its relations go.
    pub fn remove_application(&mut self, app: &str) -> Result<(), SimError> {
        let a = self
            .model
            .app_mut(app)
            .ok_or_else(|| not_found("application", app))?;
        a.life = Life::Dying;
        let mut touched = Touched::new();
        let rels: Vec<u32> = self
            .model
            .relations
            .values()
            .filter(|r| r.involves(app) && r.kind != RelationKind::Peer)
            .map(|r| r.id)
            .collect();
        for id in rels {
            self.kill_relation(id, &mut touched);
        }
        let units = self.model.app_units(app);
        for u in &units {
            let r = draw_unit(&mut self.model);
            lifecycle::set_dying(&mut self.model, u, r, &mut touched);
        }
        if self.model.app_units(app).is_empty() && self.model.app(app).is_some() {
            let peers: Vec<u32> = self
                .model
                .relations
                .values()
                .filter(|r| r.involves(app))
                .map(|r| r.id)
                .collect();
            for id in peers {
                lifecycle::drop_relation(&mut self.model, id);
            }
            self.model.remove_app(app);
            self.charms.forget(app);
        }
        self.finish_op(touched)
    }
}
