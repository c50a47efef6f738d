//! Operations on a model, as `juju` commands are: each changes the model
//! (one committed transaction) and leaves the hooks to the resolver —
//! `settle` runs them. Deploy, add-unit/scale, integrate, remove-relation,
//! remove-unit/remove-application, config, k8s pod churn, refresh,
//! run-action, resolve, and secrets.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::agent::Agent;
use super::charms::open_as;
use super::lifecycle::{self, Touched};
use super::limits::check_unit_count;
use super::merge::{notify_new_revision, owner_unit, rotate_interval_ns};
use super::model::{
    ActionRecord, ActionStatus, Application, End, Life, PodExit, Relation, Secret, SecretOwner,
    Substrate, Unit,
};
use super::names::UnitName;
use super::scheduler::draw_unit;
use super::{SimError, Simulator};
use crate::charm::CharmMeta;
use crate::state::{Bag, ContainerState, RelationKind, SecretRevision, StatusState, StorageState};

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
    fn unit_name(&self, unit: &str) -> Result<UnitName, SimError> {
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
        Ok(self.charms.get(&self.rt, &a)?.meta.clone())
    }

    /// `juju deploy`: the application, its peer relations, its units; the
    /// first unit is the leader.
    pub fn deploy(&mut self, charm: &Path, opts: DeployOptions) -> Result<String, SimError> {
        let (loaded, charm_name) = open_as(&self.rt, charm, opts.app.as_deref())?;
        let name = loaded.meta.name.clone();
        if !crate::juju::names::is_app_name(&name) {
            return usage(format!("invalid application name {name:?}"));
        }
        if self.model.app(&name).is_some() {
            return usage(format!("application {name:?} already exists"));
        }
        let meta = loaded.meta.clone();
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
            charm_hash: loaded.component.hash.clone(),
            charm_name,
            subordinate: meta.subordinate,
            stateless: opts.stateless,
            pod_local_state: opts.pod_local_state,
            config: opts.config.clone(),
            config_version: 1,
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
        };
        self.charms.insert(&app, loaded);
        self.model.insert_app(app);
        for (ep, e) in &meta.endpoints {
            if e.kind == RelationKind::Peer {
                let id = self.new_relation_id();
                self.model.insert_relation(Relation {
                    id,
                    kind: RelationKind::Peer,
                    ends: vec![End {
                        app: name.clone(),
                        endpoint: ep.clone(),
                        role: "peer".into(),
                        interface: e.interface.clone(),
                    }],
                    life: Life::Alive,
                    scope: BTreeSet::new(),
                });
            }
        }
        let mut touched = Touched::new();
        for _ in 0..units {
            self.add_unit_inner(&name, None, &meta, &mut touched)?;
        }
        self.finish_op(touched)?;
        Ok(name)
    }

    fn new_relation_id(&mut self) -> u32 {
        let meta = self.model.meta_mut();
        let id = meta.next_relation_id;
        meta.next_relation_id += 1;
        id
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
        let index = a.index;
        let address = match kind {
            Substrate::Kubernetes => format!("10.1.{}.{}", index, n + 10),
            Substrate::Machine => format!("10.0.{}.{}", index, n + 10),
        };
        let mut storages = Vec::new();
        for (s, count) in &meta.storage_counts {
            for i in 0..count.min {
                storages.push(StorageState {
                    name: s.clone(),
                    index: i as u32,
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
        self.model.insert_unit(Unit {
            name: name.clone(),
            life: Life::Alive,
            principal,
            status: StatusState {
                status: "waiting".into(),
                message: "agent initialising".into(),
                since: Some(super::project::rfc3339(self.model.meta.now)),
            },
            status_set: false,
            workload_version: String::new(),
            unit_state: Bag::new(),
            ports: Vec::new(),
            storages,
            containers,
            address,
            pod: 0,
            agent,
        });
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

    /// `juju integrate a[:ep] b[:ep]`: returns the relation id.
    pub fn integrate(&mut self, a: &str, b: &str) -> Result<u32, SimError> {
        let (app_a, ep_a) = parse_end(a);
        let (app_b, ep_b) = parse_end(b);
        let meta_a = self.meta_of(app_a)?;
        let meta_b = self.meta_of(app_b)?;
        let mut candidates = Vec::new();
        for (na, ea) in &meta_a.endpoints {
            if ep_a.is_some_and(|e| e != na) || ea.kind == RelationKind::Peer {
                continue;
            }
            for (nb, eb) in &meta_b.endpoints {
                if ep_b.is_some_and(|e| e != nb) || eb.kind == RelationKind::Peer {
                    continue;
                }
                let roles = (ea.role == "provides" && eb.role == "requires")
                    || (ea.role == "requires" && eb.role == "provides");
                if roles && ea.interface == eb.interface {
                    candidates.push((na.clone(), ea.clone(), nb.clone(), eb.clone()));
                }
            }
        }
        let (na, ea, nb, eb) = match candidates.len() {
            1 => candidates.remove(0),
            0 => return usage(format!("no relations found between {a:?} and {b:?}")),
            _ => {
                let list: Vec<String> = candidates
                    .iter()
                    .map(|(na, _, nb, _)| format!("{app_a}:{na} {app_b}:{nb}"))
                    .collect();
                return usage(format!(
                    "ambiguous relation: {a:?} {b:?} could refer to {}",
                    list.join("; ")
                ));
            }
        };
        let exists = self.model.relations.values().any(|r| {
            r.life == Life::Alive
                && r.end_of(app_a).is_some_and(|e| e.endpoint == na)
                && r.end_of(app_b).is_some_and(|e| e.endpoint == nb)
        });
        if exists {
            return usage(format!("relation {app_a}:{na} {app_b}:{nb} already exists"));
        }
        let kind = if ea.kind == RelationKind::Subordinate || eb.kind == RelationKind::Subordinate {
            RelationKind::Subordinate
        } else {
            RelationKind::Regular
        };
        let id = self.new_relation_id();
        let end = |app: &str, ep: &str, e: &crate::charm::metadata::Endpoint| End {
            app: app.into(),
            endpoint: ep.into(),
            role: e.role.into(),
            interface: e.interface.clone(),
        };
        // Providers first, as `juju status` lists them.
        let mut ends = vec![end(app_a, &na, &ea), end(app_b, &nb, &eb)];
        if ends[0].role != "provides" {
            ends.swap(0, 1);
        }
        self.model.insert_relation(Relation {
            id,
            kind,
            ends,
            life: Life::Alive,
            scope: BTreeSet::new(),
        });
        let mut touched = Touched::new();
        self.ensure_subordinates(&mut touched)?;
        touched.extend(self.model.app_units(app_a));
        touched.extend(self.model.app_units(app_b));
        self.finish_op(touched)?;
        Ok(id)
    }

    fn kill_relation(&mut self, id: u32, touched: &mut Touched) {
        let Some(rel) = self.model.relation_mut(id) else {
            return;
        };
        rel.life = Life::Dying;
        let rel = rel.clone();
        for e in &rel.ends {
            touched.extend(self.model.app_units(&e.app));
        }
        if rel.scope.is_empty() {
            lifecycle::drop_relation(&mut self.model, id);
        }
        // A subordinate unit goes with its relation to the principal.
        if rel.kind == RelationKind::Subordinate {
            for e in &rel.ends {
                if self.model.app(&e.app).is_some_and(|a| a.subordinate) {
                    for u in self.model.app_units(&e.app) {
                        let r = draw_unit(&mut self.model);
                        lifecycle::set_dying(&mut self.model, &u, r, touched);
                    }
                }
            }
        }
    }

    /// `juju remove-relation a b` (or a relation id as `a`, `b` empty).
    pub fn remove_relation(&mut self, a: &str, b: &str) -> Result<(), SimError> {
        let id = match a.parse::<u32>() {
            Ok(id) if b.is_empty() => id,
            _ => self.find_relation(a, b)?,
        };
        match self.model.relations.get(&id) {
            None => return Err(not_found("relation", &id.to_string())),
            Some(r) if r.kind == RelationKind::Peer => {
                return usage("a peer relation cannot be removed");
            }
            _ => {}
        }
        let mut touched = Touched::new();
        self.kill_relation(id, &mut touched);
        self.finish_op(touched)
    }

    /// The id of the alive relation between `a` and `b` (`app[:endpoint]`).
    pub fn find_relation(&self, a: &str, b: &str) -> Result<u32, SimError> {
        let (app_a, ep_a) = parse_end(a);
        let (app_b, ep_b) = parse_end(b);
        let matches = |r: &Relation, app: &str, ep: Option<&str>| {
            r.end_of(app)
                .is_some_and(|e| ep.is_none_or(|ep| ep == e.endpoint))
        };
        let found: Vec<u32> = self
            .model
            .relations
            .values()
            .filter(|r| r.life == Life::Alive && matches(r, app_a, ep_a))
            .filter(|r| {
                if b.is_empty() || app_a == app_b {
                    r.kind == RelationKind::Peer || b.is_empty()
                } else {
                    matches(r, app_b, ep_b)
                }
            })
            .map(|r| r.id)
            .collect();
        match found.as_slice() {
            [id] => Ok(*id),
            [] => usage(format!("no relation between {a:?} and {b:?}")),
            _ => usage(format!(
                "several relations between {a:?} and {b:?}: name the endpoints"
            )),
        }
    }

    /// `juju config app k=v ...` and `--reset k`.
    pub fn config(
        &mut self,
        app: &str,
        set: BTreeMap<String, serde_json::Value>,
        reset: &[String],
    ) -> Result<(), SimError> {
        let meta = self.meta_of(app)?;
        check_config(&meta, &set)?;
        for k in reset {
            if !meta.config.contains_key(k) {
                return usage(format!("charm has no config option {k:?}"));
            }
        }
        let a = self.model.app(app).expect("app exists");
        let mut config = a.config.clone();
        for k in reset {
            config.remove(k);
        }
        config.extend(set);
        if config == a.config {
            return Ok(());
        }
        let a = self.model.app_mut(app).expect("app exists");
        a.config = config;
        a.config_version += 1;
        let touched = self.model.app_units(app).into_iter().collect();
        self.finish_op(touched)
    }

    /// Delete a k8s unit's pod. Stateful (StatefulSet): the same unit comes
    /// back in a new pod — `stop`, then `upgrade-charm`, `config-changed`,
    /// `start` and pebble-ready, its pod-local data gone, its relation data
    /// kept. Stateless (Deployment): a new unit replaces it and it departs.
    /// Returns the unit that runs in the new pod.
    pub fn churn(&mut self, unit: &str) -> Result<String, SimError> {
        let name = self.unit_name(unit)?;
        if self.model.meta.kind != Substrate::Kubernetes {
            return usage("pod churn is for Kubernetes models");
        }
        let u = self.model.unit(&name).expect("unit");
        if u.life != Life::Alive {
            return usage(format!("unit {unit} is being removed"));
        }
        let app = self.model.app(&name.app).expect("app").clone();
        if app.subordinate {
            return usage("a subordinate has no pod of its own: churn its principal");
        }
        let mut touched = Touched::new();
        if app.stateless {
            let meta = self.meta_of(&name.app)?;
            let new = self.add_unit_inner(&name.app, None, &meta, &mut touched)?;
            let r = draw_unit(&mut self.model);
            lifecycle::set_dying(&mut self.model, &name, r, &mut touched);
            self.finish_op(touched)?;
            return Ok(new.to_string());
        }
        lifecycle::exit_pod(&mut self.model, &name, PodExit::Churn, &mut touched);
        self.finish_op(touched)?;
        Ok(name.to_string())
    }

    /// `juju refresh [--path charm]`: a new revision of the charm. Machines:
    /// upgrade-charm in place; k8s: each pod is replaced (`stop` in the old
    /// one) and the new one runs upgrade-charm (§6.4).
    pub fn refresh(&mut self, app: &str, charm: Option<&Path>) -> Result<(), SimError> {
        let a = self
            .model
            .app(app)
            .cloned()
            .ok_or_else(|| not_found("application", app))?;
        let path = charm.map(Path::to_path_buf).unwrap_or(a.charm.clone());
        let (loaded, charm_name) = open_as(&self.rt, &path, Some(app))?;
        let meta = loaded.meta.clone();
        check_config(&meta, &a.config)?;
        let a = self.model.app_mut(app).expect("app");
        a.charm = path;
        a.charm_rev += 1;
        a.charm_hash = loaded.component.hash.clone();
        a.charm_name = charm_name;
        a.containers.retain(|c| meta.containers.contains(&c.name));
        for c in &meta.containers {
            if !a.containers.iter().any(|t| t.name == *c) {
                a.containers.push(ContainerState {
                    name: c.clone(),
                    can_connect: true,
                    ..Default::default()
                });
            }
        }
        let a = a.clone();
        self.charms.insert(&a, loaded);
        for (ep, e) in &meta.endpoints {
            let has = self.model.relations.values().any(|r| {
                r.kind == RelationKind::Peer && r.end_of(app).is_some_and(|x| x.endpoint == *ep)
            });
            if e.kind == RelationKind::Peer && !has {
                let id = self.new_relation_id();
                self.model.insert_relation(Relation {
                    id,
                    kind: RelationKind::Peer,
                    ends: vec![End {
                        app: app.into(),
                        endpoint: ep.clone(),
                        role: "peer".into(),
                        interface: e.interface.clone(),
                    }],
                    life: Life::Alive,
                    scope: BTreeSet::new(),
                });
            }
        }
        let mut touched = Touched::new();
        let k8s = self.model.meta.kind == Substrate::Kubernetes;
        // The StatefulSet replaces pods from the highest ordinal down.
        for u in self.model.alive_units(app).into_iter().rev() {
            if k8s && !a.subordinate {
                lifecycle::exit_pod(&mut self.model, &u, PodExit::Refresh, &mut touched);
            } else if let Some(unit) = self.model.unit_mut(&u) {
                unit.agent.upgrade_pending = true;
                touched.insert(u);
            }
        }
        self.finish_op(touched)
    }

    /// Queue an action on a unit; returns its id. `settle` runs it.
    pub fn queue_action(
        &mut self,
        unit: &str,
        action: &str,
        params: BTreeMap<String, serde_json::Value>,
    ) -> Result<u64, SimError> {
        let name = self.unit_name(unit)?;
        let meta = self.meta_of(&name.app)?;
        if !meta.actions.contains_key(action) {
            return usage(format!("charm has no action {action:?}"));
        }
        let id = {
            let meta = self.model.meta_mut();
            meta.next_action_id += 1;
            meta.next_action_id - 1
        };
        self.model.insert_action(ActionRecord {
            id,
            unit: name.clone(),
            name: action.into(),
            params,
            status: ActionStatus::Pending,
            results: Default::default(),
            message: String::new(),
            logs: Vec::new(),
        });
        self.model
            .unit_mut(&name)
            .expect("unit")
            .agent
            .actions
            .push_back(id);
        let touched = [name].into_iter().collect();
        self.finish_op(touched)?;
        Ok(id)
    }

    /// `juju run unit action k=v`: queue, settle, and return the record.
    pub fn run_action(
        &mut self,
        unit: &str,
        action: &str,
        params: BTreeMap<String, serde_json::Value>,
    ) -> Result<ActionRecord, SimError> {
        let id = self.queue_action(unit, action, params)?;
        self.settle()?;
        Ok(self.model.actions[&id].clone())
    }

    /// `juju resolve [--no-retry]`: retry the failed hook now, or skip it
    /// (treated as run).
    pub fn resolve(&mut self, unit: &str, retry: bool) -> Result<(), SimError> {
        let name = self.unit_name(unit)?;
        let Some(err) = self.model.unit(&name).and_then(|u| u.agent.error.clone()) else {
            return usage(format!("unit {unit:?} is not in an error state"));
        };
        let mut touched = Touched::new();
        touched.insert(name.clone());
        if retry {
            let now = self.model.meta.now;
            if let Some(e) = self
                .model
                .unit_mut(&name)
                .and_then(|u| u.agent.error.as_mut())
            {
                e.retry_at = Some(now);
            }
        } else {
            let r = draw_unit(&mut self.model);
            lifecycle::committed(&mut self.model, &name, &err.hook, r, &mut touched);
            if let Some(u) = self.model.unit_mut(&name) {
                u.agent.error = None;
            }
        }
        self.finish_op(touched)
    }

    /// `juju add-secret` + `juju grant-secret`: a user secret readable by
    /// the given applications. Returns its id.
    pub fn secret_add(&mut self, content: Bag, apps: &[String]) -> Result<String, SimError> {
        for a in apps {
            if self.model.app(a).is_none() {
                return Err(not_found("application", a));
            }
        }
        let n = self.model.secrets.len() as u64 + self.model.meta.draws;
        let id = {
            use sha2::{Digest, Sha256};
            let d = Sha256::digest(format!("{}|user|{n}", self.model.meta.uuid).as_bytes());
            const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuv";
            let s: String = d
                .iter()
                .take(20)
                .map(|b| ALPHABET[(*b & 31) as usize] as char)
                .collect();
            format!("secret:{s}")
        };
        self.model.insert_secret(Secret {
            id: id.clone(),
            owner: SecretOwner::Model,
            revisions: vec![SecretRevision {
                revision: 1,
                content,
            }],
            label: None,
            description: None,
            expire: None,
            rotate: None,
            grants: BTreeMap::new(),
            granted_apps: apps.iter().cloned().collect(),
            consumers: BTreeMap::new(),
            rotate_at: None,
            expire_at: None,
        });
        let mut touched = Touched::new();
        for a in apps {
            touched.extend(self.model.app_units(a));
        }
        self.finish_op(touched)?;
        Ok(id)
    }

    fn secret_id(&self, id: &str) -> Result<String, SimError> {
        let full = if id.starts_with("secret:") {
            id.to_string()
        } else {
            format!("secret:{id}")
        };
        if self.model.secrets.contains_key(&full) {
            return Ok(full);
        }
        // A label names a secret too.
        self.model
            .secrets
            .values()
            .find(|s| s.label.as_deref() == Some(id))
            .map(|s| s.id.clone())
            .ok_or_else(|| not_found("secret", id))
    }

    /// `juju update-secret`: a new revision; consumers tracking an older
    /// one get secret-changed.
    pub fn secret_set(&mut self, id: &str, content: Bag) -> Result<u32, SimError> {
        let id = self.secret_id(id)?;
        let s = self.model.secret_mut(&id).expect("secret");
        let rev = s.latest() + 1;
        s.revisions.push(SecretRevision {
            revision: rev,
            content,
        });
        let mut touched = Touched::new();
        notify_new_revision(&mut self.model, &id, &mut touched);
        self.finish_op(touched)?;
        Ok(rev)
    }

    /// Make the secret's rotation due now: its owner gets secret-rotate.
    pub fn secret_rotate(&mut self, id: &str) -> Result<(), SimError> {
        self.owner_hook(id, |u, id, _| {
            u.agent.secret_rotate.insert(id.to_string());
        })
    }

    /// Make the secret's latest revision expire now: its owner gets secret-expired.
    pub fn secret_expire(&mut self, id: &str) -> Result<(), SimError> {
        self.owner_hook(id, |u, id, rev| {
            u.agent.secret_expired.insert((id.to_string(), rev));
        })
    }

    /// Tell the owner a revision is no longer used (secret-remove), or, for
    /// a user secret, remove it.
    pub fn secret_remove(&mut self, id: &str, revision: Option<u32>) -> Result<(), SimError> {
        let full = self.secret_id(id)?;
        if self.model.secrets[&full].owner == SecretOwner::Model {
            let s = self.model.secrets[&full].clone();
            self.model.remove_secret(&full);
            let mut touched = Touched::new();
            for a in &s.granted_apps {
                touched.extend(self.model.app_units(a));
            }
            return self.finish_op(touched);
        }
        self.owner_hook(id, move |u, id, latest| {
            u.agent
                .secret_remove
                .insert((id.to_string(), revision.unwrap_or(latest)));
        })
    }

    fn owner_hook(
        &mut self,
        id: &str,
        f: impl FnOnce(&mut Unit, &str, u32),
    ) -> Result<(), SimError> {
        let id = self.secret_id(id)?;
        let s = self.model.secrets[&id].clone();
        let Some(owner) = owner_unit(&self.model, &s) else {
            return usage(format!("secret {id} has no owner unit to tell"));
        };
        let u = self.model.unit_mut(&owner).expect("owner unit");
        f(u, &id, s.latest());
        let touched = [owner].into_iter().collect();
        self.finish_op(touched)
    }

    /// Change model settings (e.g. `automatically-retry-hooks`).
    pub fn set_settings(
        &mut self,
        f: impl FnOnce(&mut super::model::Settings),
    ) -> Result<(), SimError> {
        f(&mut self.model.meta_mut().settings);
        self.finish_op(Touched::new())
    }

    /// The rotate interval of a policy, for tests and docs.
    pub fn rotate_interval(policy: &str) -> Option<u64> {
        rotate_interval_ns(policy)
    }
}
