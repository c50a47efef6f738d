//! The model: the simulator's source of truth. Applications, units (with
//! their agents' local state), relations and their databags, secrets and
//! actions, the virtual clock and the scheduler's counters. Every mutable
//! accessor marks what it touched, so the store writes only that.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use super::agent::PodExit;
use super::agent::{Agent, RelView};
pub use super::bags::{BagOwner, Databag, RelBags};
pub use super::dirty::Dirty;
use super::names::{AppName, TextOrdered, UnitName};
pub use super::unit_status::UnitStatus;
use super::unit_status::{Revs, StatusRevisions};
use crate::state::{Bag, ContainerState, RelationKind, StatusState};
pub use unit::Unit;

mod unit;

/// Machines or Kubernetes (a Juju model is one or the other).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Substrate {
    #[default]
    Kubernetes,
    Machine,
}

impl Substrate {
    /// The model type a charm sees (`JUJU_MODEL_TYPE`-like `model.type`).
    pub fn model_type(self) -> &'static str {
        match self {
            Substrate::Kubernetes => "kubernetes",
            Substrate::Machine => "lxd",
        }
    }
}

/// Alive, or on its way out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Life {
    #[default]
    Alive,
    Dying,
}

/// What [`Model::watch`] tells a watcher about a unit of a relation it views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    /// Its settings or membership may have changed: a join or change may be due.
    Changed,
    /// It left the scope: a departure may be due too.
    Leaving,
}

/// Model-wide settings (Juju model config).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// `automatically-retry-hooks`.
    pub retry_hooks: bool,
    /// `update-status-hook-interval`, in seconds.
    pub update_status_interval_s: u64,
    /// Fuel per event (none: the runtime's).
    pub fuel: Option<u64>,
    /// How many hooks one settle may run before it gives up.
    pub settle_limit: u64,
    /// Hooks of distinct units run concurrently, at most this many at a
    /// time, all against the model as it was before any of them
    /// (`sim/batch.rs`); 1 runs one hook at a time.
    #[serde(skip_serializing_if = "one_at_a_time")]
    pub concurrent_hooks: u32,
}

fn one_at_a_time(n: &u32) -> bool {
    *n <= 1
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            retry_hooks: true,
            update_status_interval_s: 300,
            fuel: None,
            settle_limit: 5_000_000,
            concurrent_hooks: 1,
        }
    }
}

/// The scalars of a model: identity, clock and counters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub name: String,
    pub uuid: String,
    pub kind: Substrate,
    pub juju_version: String,
    pub seed: u64,
    /// Virtual time, ns since the epoch.
    pub now: u64,
    /// Draws taken from the seeded generator.
    pub draws: u64,
    pub next_relation_id: u32,
    pub next_action_id: u64,
    pub next_seq: u64,
    pub next_app_index: u32,
    pub settings: Settings,
    /// Steps of a `charmbox sim` scenario already committed.
    #[serde(default)]
    pub scenario_step: u64,
    /// The next storage instance number: Juju numbers storage ids
    /// (`data/3`) from one model-wide sequence, whatever the name.
    #[serde(default)]
    pub next_storage: u32,
    /// Offers by name, and the SAAS names consumed (name → offer).
    #[serde(default)]
    pub offers: BTreeMap<String, super::cmr::Offer>,
    #[serde(default)]
    pub saas: BTreeMap<String, String>,
}

/// One application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Application {
    pub name: String,
    /// The charm directory (or component file) deployed.
    pub charm: PathBuf,
    /// Bumped by every refresh.
    pub charm_rev: u32,
    /// The component's sha256, for `status` (`native` for a native charm).
    pub charm_hash: String,
    /// The charm runs natively, as a process (`deploy --native`).
    #[serde(default)]
    pub native: bool,
    pub charm_name: String,
    pub subordinate: bool,
    /// k8s: a Deployment (a churned pod is a new unit) rather than a StatefulSet.
    pub stateless: bool,
    /// The unit state (`state-set`) lives in the pod, as ops' local
    /// StoredState does, and is lost with it.
    pub pod_local_state: bool,
    pub config: BTreeMap<String, serde_json::Value>,
    /// [`config_hash`] of `config`: Juju compares a hash, so a change and
    /// its undoing before a unit looks run no config-changed. (Files from
    /// before held a change counter here, replaced at the next change.)
    #[serde(alias = "config_version")]
    pub config_hash: u64,
    pub leader: Option<u32>,
    pub leader_settings: Bag,
    pub leader_settings_version: u64,
    pub status: StatusState,
    pub trusted: bool,
    pub next_unit: u32,
    pub life: Life,
    /// Index for addresses.
    pub index: u32,
    /// Each container as the image provides it (what a new pod starts from).
    pub containers: Vec<ContainerState>,
    /// The machine a new unit of a machine charm starts on.
    #[serde(default, skip_serializing_if = "crate::state::MachineState::is_empty")]
    pub machine: crate::state::MachineState,
    /// What its workloads answer on each unit's loopback (`loopback_http`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub loopback_http: Vec<crate::state::HttpAnswer>,
    /// The StatefulSet's rolling-update partition (k8s): pods with a
    /// lower ordinal are not updated.
    #[serde(default)]
    pub partition: u32,
    /// The rolling update under way (k8s refresh).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<Rollout>,
}

/// A rolling update under way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rollout {
    /// The charm revision the pods move to.
    pub revision: u32,
    /// Unit numbers whose pods were recreated by this rollout.
    pub updated: BTreeSet<u32>,
}

/// The bounds of `app`'s unit names, as keys of a map or set by name.
fn units_range(app: &str) -> std::ops::RangeInclusive<UnitName> {
    let app = AppName::transient(app);
    let first = UnitName {
        app: app.clone(),
        n: 0,
    };
    first..=UnitName { app, n: u32::MAX }
}

/// A hash of an application's set config options (the first 8 bytes of
/// the SHA-256 of their JSON), as the agent compares it.
pub fn config_hash(config: &BTreeMap<String, serde_json::Value>) -> u64 {
    use sha2::{Digest, Sha256};
    let json = serde_json::to_vec(config).unwrap_or_default();
    let d = Sha256::digest(json);
    u64::from_be_bytes(d[..8].try_into().expect("8 bytes"))
}

/// One end of a relation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct End {
    pub app: String,
    pub endpoint: String,
    pub role: String,
    pub interface: String,
}

/// A relation between two applications' endpoints (or a peer relation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relation {
    pub id: u32,
    pub kind: RelationKind,
    /// Two ends, or one for a peer relation.
    pub ends: Vec<End>,
    pub life: Life,
    /// Units that have entered scope (ran relation-created, not yet left).
    pub scope: BTreeSet<UnitName>,
    /// Suspended (`juju suspend-relation`): units leave it as if it were dying.
    #[serde(default)]
    pub suspended: bool,
    /// A relation with an offer (`sim/cmr.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_model: Option<super::cmr::CrossModel>,
}

impl Relation {
    /// The end of `app`.
    pub fn end_of(&self, app: &str) -> Option<&End> {
        self.ends.iter().find(|e| e.app == app)
    }

    /// The application on the other side from `app` (itself for peers).
    pub fn other_app(&self, app: &str) -> Option<&str> {
        if self.kind == RelationKind::Peer {
            return self.ends.first().map(|e| e.app.as_str());
        }
        self.ends
            .iter()
            .find(|e| e.app != app)
            .map(|e| e.app.as_str())
    }

    pub fn involves(&self, app: &str) -> bool {
        self.ends.iter().any(|e| e.app == app)
    }

    /// `app:endpoint app:endpoint`, as `juju status` names it.
    pub fn key(&self) -> String {
        self.ends
            .iter()
            .map(|e| format!("{}:{}", e.app, e.endpoint))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Who owns a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretOwner {
    App(String),
    Unit(UnitName),
    /// A user secret (`juju add-secret`).
    Model,
}

/// What one consumer unit knows of a secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Consumer {
    pub tracked: Option<u32>,
    pub label: Option<String>,
}

/// A secret in the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Secret {
    pub id: String,
    pub owner: SecretOwner,
    pub revisions: Vec<crate::state::SecretRevision>,
    pub label: Option<String>,
    pub description: Option<String>,
    pub expire: Option<String>,
    pub rotate: Option<String>,
    /// Grants by relation id (empty list: the whole remote application).
    pub grants: BTreeMap<u32, Vec<String>>,
    /// User secrets: applications granted access.
    pub granted_apps: BTreeSet<String>,
    pub consumers: BTreeMap<UnitName, Consumer>,
    /// When the next secret-rotate is due (ns).
    pub rotate_at: Option<u64>,
    /// When the latest revision expires (ns); secret-expired is due then.
    pub expire_at: Option<u64>,
}

impl Secret {
    pub fn latest(&self) -> u32 {
        self.revisions.iter().map(|r| r.revision).max().unwrap_or(0)
    }
}

/// An action's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionStatus {
    Pending,
    Completed,
    Failed,
    Cancelled,
}

/// An action run on a unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRecord {
    pub id: u64,
    pub unit: UnitName,
    pub name: String,
    pub params: BTreeMap<String, serde_json::Value>,
    pub status: ActionStatus,
    pub results: serde_json::Map<String, serde_json::Value>,
    pub message: String,
    pub logs: Vec<String>,
}

/// The whole model.
#[derive(Debug)]
pub struct Model {
    pub meta: Meta,
    pub apps: BTreeMap<String, Application>,
    pub units: BTreeMap<UnitName, Unit>,
    /// Agents' relation views, apart from units (one row each), by unit
    /// and relation id.
    pub views: BTreeMap<UnitName, BTreeMap<u32, RelView>>,
    pub relations: BTreeMap<u32, Relation>,
    /// Databags by relation id.
    pub bags: BTreeMap<u32, RelBags>,
    pub secrets: BTreeMap<String, Secret>,
    pub actions: BTreeMap<u64, ActionRecord>,
    pub dirty: Dirty,
    /// Per application, the revision of its units' statuses (not persisted).
    pub status_revs: StatusRevisions,
    /// Units told of a change that only adds work for them (a unit entered
    /// the scope of a relation they are in), to wake once the change is
    /// committed (not persisted).
    woken: Vec<UnitName>,
}

impl Model {
    pub fn new(meta: Meta) -> Model {
        let mut m = Model {
            meta,
            apps: BTreeMap::new(),
            units: BTreeMap::new(),
            views: BTreeMap::new(),
            relations: BTreeMap::new(),
            bags: BTreeMap::new(),
            secrets: BTreeMap::new(),
            actions: BTreeMap::new(),
            dirty: Dirty::default(),
            status_revs: StatusRevisions::default(),
            woken: Vec::new(),
        };
        m.dirty.meta = true;
        m
    }

    pub fn meta_mut(&mut self) -> &mut Meta {
        self.dirty.meta = true;
        &mut self.meta
    }

    /// A new model-unique storage instance number (past every number in
    /// use, for files from before the counter).
    pub fn next_storage_id(&mut self) -> u32 {
        let used = self
            .units
            .values()
            .flat_map(|u| &u.storages)
            .map(|s| s.index + 1)
            .max()
            .unwrap_or(0);
        let meta = self.meta_mut();
        let id = meta.next_storage.max(used);
        meta.next_storage = id + 1;
        id
    }

    /// Write `name`'s workload status as given (its time is not stamped:
    /// see `lifecycle::set_unit_status`), moving its application's
    /// status revision. Gives the unit back for the rest of a write.
    pub fn set_status_of(&mut self, name: &UnitName, status: StatusState) -> Option<&mut Unit> {
        let u = self.units.get_mut(name)?;
        self.dirty.units.insert(name.clone());
        let stamp = u.set_status(UnitStatus::new(status));
        self.status_revs.written(name.app.as_str(), stamp);
        Some(u)
    }

    /// The revisions of `app`'s unit statuses and set of units.
    pub fn statuses_rev(&self, app: &str) -> Revs {
        self.status_revs.of(app)
    }

    pub fn app(&self, name: &str) -> Option<&Application> {
        self.apps.get(name)
    }

    pub fn app_mut(&mut self, name: &str) -> Option<&mut Application> {
        let a = self.apps.get_mut(name)?;
        self.dirty.apps.insert(name.to_string());
        Some(a)
    }

    pub fn insert_app(&mut self, app: Application) {
        self.dirty.apps.insert(app.name.clone());
        self.apps.insert(app.name.clone(), app);
    }

    pub fn remove_app(&mut self, name: &str) {
        self.dirty.apps.insert(name.to_string());
        self.apps.remove(name);
    }

    pub fn unit(&self, name: &UnitName) -> Option<&Unit> {
        self.units.get(name)
    }

    pub fn unit_mut(&mut self, name: &UnitName) -> Option<&mut Unit> {
        let u = self.units.get_mut(name)?;
        self.dirty.units.insert(name.clone());
        Some(u)
    }

    pub fn insert_unit(&mut self, unit: Unit) {
        self.dirty.units.insert(unit.name.clone());
        self.status_revs.members_moved(unit.name.app.as_str());
        self.units.insert(unit.name.clone(), unit);
    }

    /// Remove a unit with its views and bags.
    pub fn remove_unit(&mut self, name: &UnitName) {
        self.dirty.units.insert(name.clone());
        self.status_revs.members_moved(name.app.as_str());
        self.units.remove(name);
        for id in self.views_of(name) {
            self.remove_view(name, id);
        }
    }

    pub fn view(&self, unit: &UnitName, rel: u32) -> Option<&RelView> {
        self.views.get(unit)?.get(&rel)
    }

    pub fn view_mut(&mut self, unit: &UnitName, rel: u32) -> Option<&mut RelView> {
        let v = self.views.get_mut(unit)?.get_mut(&rel)?;
        self.dirty.views.insert((unit.clone(), rel));
        Some(v)
    }

    /// Wake `unit` once the change is committed: the change only added
    /// work for it, so if it already has a hook due it still has one.
    pub fn wake_later(&mut self, unit: UnitName) {
        self.woken.push(unit);
    }

    /// The units [`Model::wake_later`] named since the last call.
    pub fn take_woken(&mut self) -> Vec<UnitName> {
        std::mem::take(&mut self.woken)
    }

    /// Note that `x` may have changed for `unit`'s view of `rel`, or (with
    /// [`Hint::Leaving`]) left its scope (a resolver hint, rebuilt on load:
    /// the row is not rewritten). False when `unit` has no such view.
    pub fn watch(&mut self, unit: &UnitName, rel: u32, x: &UnitName, hint: Hint) -> bool {
        let Some(v) = self.views.get_mut(unit).and_then(|vs| vs.get_mut(&rel)) else {
            return false;
        };
        v.dirty.insert(TextOrdered(x.clone()));
        v.stale.insert(x.clone());
        if hint == Hint::Leaving {
            v.leaving.insert(TextOrdered(x.clone()));
        }
        true
    }

    /// Rebuild every view's hints: its members and the remote units in
    /// scope (a superset of what changed, so the resolver finds the same work).
    pub fn rebuild_watches(&mut self) {
        let keys: Vec<(UnitName, u32)> = self.views_iter().map(|(k, _)| k).collect();
        for (u, id) in keys {
            let scope = match self.relations.get(&id) {
                Some(rel) => self.remote_scope(rel, &u),
                None => Vec::new(),
            };
            let v = self
                .views
                .get_mut(&u)
                .and_then(|vs| vs.get_mut(&id))
                .expect("view");
            let members: Vec<TextOrdered> = v.members.keys().cloned().map(TextOrdered).collect();
            v.dirty.extend(members.iter().cloned());
            v.leaving.extend(members);
            v.dirty.extend(scope.into_iter().map(TextOrdered));
        }
    }

    pub fn insert_view(&mut self, unit: &UnitName, rel: u32, view: RelView) {
        self.dirty.views.insert((unit.clone(), rel));
        self.views
            .entry(unit.clone())
            .or_default()
            .insert(rel, view);
    }

    pub fn remove_view(&mut self, unit: &UnitName, rel: u32) {
        if let Some(vs) = self.views.get_mut(unit) {
            vs.remove(&rel);
            if vs.is_empty() {
                self.views.remove(unit);
            }
        }
        self.dirty.views.insert((unit.clone(), rel));
    }

    /// Every view, by (unit, relation id), in order.
    pub fn views_iter(&self) -> impl Iterator<Item = ((UnitName, u32), &RelView)> {
        self.views
            .iter()
            .flat_map(|(u, vs)| vs.iter().map(move |(id, v)| ((u.clone(), *id), v)))
    }

    /// `unit`'s views, by relation id.
    pub fn views_range<'a>(
        &'a self,
        unit: &UnitName,
    ) -> impl Iterator<Item = (u32, &'a RelView)> + 'a {
        self.views
            .get(unit)
            .into_iter()
            .flat_map(|vs| vs.iter().map(|(id, v)| (*id, v)))
    }

    /// Take the members whose bags changed since `unit` last projected its
    /// views (see `project::Views`), by relation.
    pub fn take_stale(&mut self, unit: &UnitName) -> BTreeMap<u32, BTreeSet<UnitName>> {
        match self.views.get_mut(unit) {
            Some(vs) => vs
                .iter_mut()
                .filter(|(_, v)| !v.stale.is_empty())
                .map(|(id, v)| (*id, std::mem::take(&mut v.stale)))
                .collect(),
            None => BTreeMap::new(),
        }
    }

    /// The relation ids `unit` has a view of, in order.
    pub fn views_of(&self, unit: &UnitName) -> Vec<u32> {
        self.views_range(unit).map(|(id, _)| id).collect()
    }

    pub fn relation_mut(&mut self, id: u32) -> Option<&mut Relation> {
        let r = self.relations.get_mut(&id)?;
        self.dirty.relations.insert(id);
        Some(r)
    }

    pub fn insert_relation(&mut self, rel: Relation) {
        self.dirty.relations.insert(rel.id);
        self.relations.insert(rel.id, rel);
    }

    /// Remove a relation with its bags.
    pub fn remove_relation(&mut self, id: u32) {
        self.dirty.relations.insert(id);
        self.relations.remove(&id);
        if let Some(b) = self.bags.remove(&id) {
            for a in b.apps.into_keys() {
                self.dirty.bags.insert((id, BagOwner::App(a)));
            }
            for u in b.units.into_keys() {
                self.dirty.bags.insert((id, BagOwner::Unit(u)));
            }
        }
    }

    /// Every bag, by (relation id, owner).
    pub fn bags_iter(&self) -> impl Iterator<Item = ((u32, BagOwner), &Databag)> {
        self.bags.iter().flat_map(|(id, b)| {
            let apps = b
                .apps
                .iter()
                .map(move |(a, d)| ((*id, BagOwner::App(a.clone())), d));
            let units = b
                .units
                .iter()
                .map(move |(u, d)| ((*id, BagOwner::Unit(u.clone())), d));
            apps.chain(units)
        })
    }

    /// Put a bag as it was stored (no change marked).
    pub fn load_bag(&mut self, rel: u32, owner: BagOwner, bag: Databag) {
        let b = self.bags.entry(rel).or_default();
        match owner {
            BagOwner::App(a) => b.apps.insert(a, bag),
            BagOwner::Unit(u) => b.units.insert(u, bag),
        };
    }

    pub fn bag(&self, rel: u32, owner: &BagOwner) -> Option<&Databag> {
        match owner {
            BagOwner::App(a) => self.app_bag(rel, a),
            BagOwner::Unit(u) => self.unit_bag(rel, u),
        }
    }

    pub fn app_bag(&self, rel: u32, app: &str) -> Option<&Databag> {
        self.bags.get(&rel)?.apps.get(app)
    }

    pub fn unit_bag(&self, rel: u32, unit: &UnitName) -> Option<&Databag> {
        self.bags.get(&rel)?.units.get(unit)
    }

    /// The bag's data, or an empty one.
    pub fn bag_data(&self, rel: u32, owner: &BagOwner) -> Bag {
        self.bag(rel, owner)
            .map(|b| b.data.clone())
            .unwrap_or_default()
    }

    pub fn bag_version(&self, rel: u32, owner: &BagOwner) -> u64 {
        self.bag(rel, owner).map(|b| b.version).unwrap_or(0)
    }

    fn bag_entry(&mut self, rel: u32, owner: &BagOwner) -> Option<&mut Databag> {
        let b = self.bags.get_mut(&rel)?;
        match owner {
            BagOwner::App(a) => b.apps.get_mut(a.as_str()),
            BagOwner::Unit(u) => b.units.get_mut(u),
        }
    }

    /// Replace a bag's data when it differs; returns the new version if it changed.
    pub fn set_bag(&mut self, rel: u32, owner: BagOwner, data: Bag) -> Option<u64> {
        let v = match self.bag_entry(rel, &owner) {
            Some(b) if b.data == data => return None,
            None if data.is_empty() => return None,
            Some(b) => {
                b.data = data;
                b.version += 1;
                b.version
            }
            None => {
                let bag = Databag { version: 1, data };
                let b = self.bags.entry(rel).or_default();
                match &owner {
                    BagOwner::App(a) => b.apps.insert(a.clone(), bag),
                    BagOwner::Unit(u) => b.units.insert(u.clone(), bag),
                };
                1
            }
        };
        self.dirty.bags.insert((rel, owner));
        Some(v)
    }

    pub fn remove_bag(&mut self, rel: u32, owner: BagOwner) {
        let removed = match (self.bags.get_mut(&rel), &owner) {
            (Some(b), BagOwner::App(a)) => b.apps.remove(a.as_str()).is_some(),
            (Some(b), BagOwner::Unit(u)) => b.units.remove(u).is_some(),
            (None, _) => false,
        };
        if removed {
            self.dirty.bags.insert((rel, owner));
        }
    }

    pub fn secret_mut(&mut self, id: &str) -> Option<&mut Secret> {
        let s = self.secrets.get_mut(id)?;
        self.dirty.secrets.insert(id.to_string());
        Some(s)
    }

    pub fn insert_secret(&mut self, s: Secret) {
        self.dirty.secrets.insert(s.id.clone());
        self.secrets.insert(s.id.clone(), s);
    }

    pub fn remove_secret(&mut self, id: &str) {
        self.dirty.secrets.insert(id.to_string());
        self.secrets.remove(id);
    }

    pub fn action_mut(&mut self, id: u64) -> Option<&mut ActionRecord> {
        let a = self.actions.get_mut(&id)?;
        self.dirty.actions.insert(id);
        Some(a)
    }

    pub fn insert_action(&mut self, a: ActionRecord) {
        self.dirty.actions.insert(a.id);
        self.actions.insert(a.id, a);
    }

    /// The names of `app`'s units, alive or dying, in order.
    pub fn app_units(&self, app: &str) -> Vec<UnitName> {
        self.units
            .range(units_range(app))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// The units of `app`, in order.
    pub fn units_of<'a>(&'a self, app: &str) -> impl Iterator<Item = &'a Unit> + 'a {
        self.units.range(units_range(app)).map(|(_, u)| u)
    }

    pub fn alive_units(&self, app: &str) -> Vec<UnitName> {
        self.units
            .range(units_range(app))
            .filter(|(_, u)| u.life == Life::Alive)
            .map(|(k, _)| k.clone())
            .collect()
    }

    pub fn is_leader(&self, unit: &UnitName) -> bool {
        self.apps.get(unit.app.as_str()).and_then(|a| a.leader) == Some(unit.n)
    }

    /// Whether `a` and `b` see each other in relation `rel`: for a
    /// container-scoped relation, only a principal and its own subordinate.
    pub fn in_same_scope(&self, rel: &Relation, a: &UnitName, b: &UnitName) -> bool {
        if rel.kind != RelationKind::Subordinate {
            return true;
        }
        let pa = self.units.get(a).and_then(|u| u.principal.clone());
        let pb = self.units.get(b).and_then(|u| u.principal.clone());
        pa.as_ref() == Some(b) || pb.as_ref() == Some(a) || (pa.is_some() && pa == pb)
    }

    /// The remote units `unit` sees in scope of `rel`.
    pub fn remote_scope(&self, rel: &Relation, unit: &UnitName) -> Vec<UnitName> {
        let Some(other) = rel.other_app(&unit.app) else {
            return Vec::new();
        };
        rel.scope
            .range(units_range(other))
            .filter(|u| *u != unit && self.in_same_scope(rel, unit, u))
            .cloned()
            .collect()
    }

    /// Units in scope of `rel` that see `unit` as a remote member.
    pub fn watchers(&self, rel: &Relation, unit: &UnitName) -> Vec<UnitName> {
        rel.scope
            .iter()
            .filter(|w| {
                *w != unit
                    && rel.other_app(&w.app) == Some(unit.app.as_str())
                    && self.in_same_scope(rel, w, unit)
            })
            .cloned()
            .collect()
    }
}
