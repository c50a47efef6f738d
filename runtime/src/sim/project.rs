//! One unit's view of the model, as the [`State`] a single event runs on:
//! its own bags and the remote ones it has joined, the leader flag and
//! leader settings, its secrets, storage, containers and statuses.
//!
//! Projecting from scratch copies the bag of every member the unit has
//! joined: O(relation size) per hook, quadratic over a settle. So each
//! unit's relations are kept from its last hook ([`Views`]) and patched:
//! the members whose bags changed since (marked on the unit's view by
//! [`Model::watch`], the same notices that wake the resolver), and its own
//! and the application bags when their versions moved. Membership only
//! changes by the unit's own hooks (joined, departed), whose output is what
//! is kept, so the kept relations always have the view's members.
//!
//! The statuses of the unit's peers and of each relation's remote units
//! are kept the same way, and copied again only when their application's
//! status revision ([`Model::statuses_rev`]) moved.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::hook::Hook;
use super::model::{BagOwner, Model, SecretOwner};
use super::names::UnitName;
use super::unit_status::Revs;
use crate::state::{
    ModelState, NetworkState, RelationKind, RelationState, SecretState, State, StatusState,
};

/// RFC 3339 text of a virtual time.
pub fn rfc3339(ns: u64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(ns);
    humantime::format_rfc3339_nanos(t).to_string()
}

/// The versions of the bags a projected relation was built from (0: no
/// bag), and the status revision of the remote application (0: a peer
/// relation, whose statuses come with the unit's own application).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BagVersions {
    pub own_unit: u64,
    pub local_app: u64,
    pub remote_app: u64,
    pub remote_statuses: Revs,
}

/// What a projection was built from: each relation's versions, and the
/// status revision of the unit's own application (its peers' statuses).
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub relations: Vec<(u32, BagVersions)>,
    pub peers: Revs,
}

/// The statuses of a unit's peers as of its last committed hook, and the
/// status revision of its application they were built from.
#[derive(Debug, Clone)]
pub struct KeptPeers {
    pub revs: Revs,
    pub statuses: BTreeMap<String, StatusState>,
}

/// What is kept of one unit's last committed hook.
#[derive(Debug, Clone, Default)]
pub struct Kept {
    pub relations: Vec<KeptRelation>,
    pub peers: Option<KeptPeers>,
}

/// One relation as a unit last saw it, and the versions it was built from.
#[derive(Debug, Clone)]
pub struct KeptRelation {
    pub rel: RelationState,
    pub versions: BagVersions,
}

/// Each unit's relations as of its last committed hook.
#[derive(Debug, Default)]
pub struct Views {
    units: HashMap<UnitName, Kept>,
}

impl Views {
    /// Take what is kept for `unit` (it is put back after a committed hook).
    pub fn take(&mut self, unit: &UnitName) -> Kept {
        self.units.remove(unit).unwrap_or_default()
    }

    /// Keep `relations` and `peers`, the output of `unit`'s committed hook,
    /// built from `sources`.
    pub fn keep(
        &mut self,
        unit: &UnitName,
        relations: Vec<RelationState>,
        peers: BTreeMap<String, StatusState>,
        sources: &Sources,
    ) {
        let mut kept = Vec::with_capacity(relations.len());
        for rel in relations {
            if let Some((_, v)) = sources.relations.iter().find(|(id, _)| *id == rel.id) {
                kept.push(KeptRelation { rel, versions: *v });
            }
        }
        let peers = Some(KeptPeers {
            revs: sources.peers,
            statuses: peers,
        });
        self.units.insert(
            unit.clone(),
            Kept {
                relations: kept,
                peers,
            },
        );
    }

    pub fn forget(&mut self, unit: &UnitName) {
        self.units.remove(unit);
    }

    pub fn clear(&mut self) {
        self.units.clear();
    }
}

/// The State `unit` sees while running `hook`; `seed` seeds its randomness.
pub fn project(m: &Model, name: &UnitName, hook: &Hook, seed: u64) -> Option<State> {
    project_from(m, name, hook, seed, Kept::default(), &BTreeMap::new()).map(|(s, _)| s)
}

/// [`project`], patching `kept` (the unit's relations and peer statuses as
/// of its last hook) instead of copying every member's bag and status
/// again; `stale` lists, by relation, the members whose bags changed since.
/// Also returns what the projection was built from.
pub fn project_from(
    m: &Model,
    name: &UnitName,
    hook: &Hook,
    seed: u64,
    kept: Kept,
    stale: &BTreeMap<u32, BTreeSet<UnitName>>,
) -> Option<(State, Sources)> {
    let unit = m.unit(name)?;
    let app = m.app(&name.app)?;
    let leader = app.leader == Some(name.n);
    let peers_rev = m.statuses_rev(&name.app);
    let peer_unit_statuses = match kept.peers {
        Some(p) if p.revs == peers_rev => p.statuses,
        // The same peers: copy only the statuses written since.
        Some(mut p) if p.revs.members == peers_rev.members => {
            for u in m.units_of(&name.app) {
                if u.name != *name && u.status().stamp() > p.revs.statuses {
                    p.statuses
                        .insert(u.name.to_string(), StatusState::clone(u.status()));
                }
            }
            p.statuses
        }
        _ => m
            .units_of(&name.app)
            .filter(|u| u.name != *name)
            .map(|u| (u.name.to_string(), StatusState::clone(u.status())))
            .collect(),
    };
    // A unit is in a few relations: a list searched beats a map built.
    let mut kept = kept.relations;
    let mut relations = Vec::new();
    let mut versions = Vec::new();
    let no_stale = BTreeSet::new();
    let mut add = |id: u32, relations: &mut Vec<RelationState>| {
        let k = (kept.iter().position(|k| k.rel.id == id)).map(|i| kept.swap_remove(i));
        let st = stale.get(&id).unwrap_or(&no_stale);
        if let Some((r, v)) = relation_state(m, name, id, hook, k, st) {
            relations.push(r);
            versions.push((id, v));
        }
    };
    for (id, view) in m.views_range(name) {
        if view.broken {
            continue;
        }
        add(id, &mut relations);
    }
    if let Hook::RelationCreated { relation } = hook
        && m.view(name, *relation).is_none()
    {
        add(*relation, &mut relations);
    }
    // One walk over the application's units: the dying ones and the
    // alive ones Juju plans for.
    let mut dying_units = BTreeSet::new();
    let mut planned_units = 0u32;
    for u in m.units_of(&name.app) {
        match u.life {
            super::model::Life::Dying => {
                dying_units.insert(u.name.to_string());
            }
            super::model::Life::Alive => planned_units += 1,
        }
    }
    for r in &relations {
        let Some(remote_app) = r.remote_app.as_deref() else {
            continue;
        };
        for u in m.units_of(remote_app) {
            if u.life == super::model::Life::Dying && r.remote_units_status.contains_key(&u.name.n)
            {
                dying_units.insert(u.name.to_string());
            }
        }
    }
    let net = NetworkState {
        addresses: vec![unit.address.clone()],
        ingress_addresses: vec![unit.address.clone()],
        ..NetworkState::default()
    };
    let mut networks = BTreeMap::new();
    networks.insert(String::new(), net);
    let state = State {
        unit: Some(name.to_string()),
        leader,
        config: app.config.clone(),
        relations,
        unit_status: StatusState::clone(unit.status()),
        app_status: if leader {
            app.status.clone()
        } else {
            StatusState::default()
        },
        dying_units,
        peer_unit_statuses,
        workload_version: unit.workload_version.clone(),
        unit_state: unit.unit_state.clone(),
        leader_settings: app.leader_settings.clone(),
        secrets: secrets(m, name),
        opened_ports: unit.ports.clone(),
        storages: unit.storages.clone(),
        containers: unit.containers.clone(),
        machine: unit.machine.clone(),
        loopback_http: app.loopback_http.clone(),
        statefulset_partition: app.partition,
        networks,
        model: ModelState {
            name: m.meta.name.clone(),
            uuid: m.meta.uuid.clone(),
            kind: m.meta.kind.model_type().into(),
            juju_version: m.meta.juju_version.clone(),
        },
        planned_units,
        resources: BTreeMap::new(),
        trusted: app.trusted,
        now: Some(rfc3339(m.meta.now)),
        seed,
        // Every status in the model was checked when written or read back
        // (`unit_status.rs`).
        statuses_vouched: true,
    };
    Some((
        state,
        Sources {
            relations: versions,
            peers: peers_rev,
        },
    ))
}

fn unit_data(m: &Model, id: u32, x: &UnitName) -> crate::state::Bag {
    m.unit_bag(id, x)
        .map(|b| b.data.clone())
        .unwrap_or_default()
}

fn relation_state(
    m: &Model,
    name: &UnitName,
    id: u32,
    hook: &Hook,
    kept: Option<KeptRelation>,
    stale: &BTreeSet<UnitName>,
) -> Option<(RelationState, BagVersions)> {
    let rel = m.relations.get(&id)?;
    let end = rel.end_of(&name.app)?;
    let remote_app = rel.other_app(&name.app)?;
    let view = m.view(name, id);
    let own_unit = BagOwner::Unit(name.clone());
    let own_app = BagOwner::App(name.app.to_string());
    let remote_owner = BagOwner::App(remote_app.to_string());
    let peer = rel.kind == RelationKind::Peer;
    let versions = BagVersions {
        own_unit: m.bag_version(id, &own_unit),
        local_app: m.bag_version(id, &own_app),
        remote_app: if peer {
            m.bag_version(id, &own_app)
        } else {
            m.bag_version(id, &remote_owner)
        },
        remote_statuses: if peer {
            Revs::default()
        } else {
            m.statuses_rev(remote_app)
        },
    };
    let members = view.map(|v| v.members.len()).unwrap_or(0);
    let mut kept_statuses = None;
    let mut out = match kept {
        // Membership only moves with the unit's own hooks, whose output
        // was kept; a different count means something else happened.
        Some(k) if k.rel.remote_units_data.len() == members => {
            kept_statuses = Some(k.versions.remote_statuses);
            let mut r = k.rel;
            for x in stale {
                if let Some(d) = r.remote_units_data.get_mut(&x.n) {
                    *d = unit_data(m, id, x);
                }
            }
            if k.versions.own_unit != versions.own_unit {
                r.local_unit_data = m.bag_data(id, &own_unit);
            }
            if k.versions.local_app != versions.local_app {
                r.local_app_data = m.bag_data(id, &own_app);
            }
            if k.versions.remote_app != versions.remote_app {
                r.remote_app_data = if peer {
                    m.bag_data(id, &own_app)
                } else {
                    m.bag_data(id, &remote_owner)
                };
            }
            r
        }
        _ => {
            let mut remote_units_data = BTreeMap::new();
            if let Some(v) = view {
                for x in v.members.keys() {
                    remote_units_data.insert(x.n, unit_data(m, id, x));
                }
            }
            RelationState {
                id,
                endpoint: end.endpoint.clone(),
                kind: Some(rel.kind),
                remote_app: remote_app_seen(rel, name.app.as_str()),
                local_app_data: m.bag_data(id, &own_app),
                local_unit_data: m.bag_data(id, &own_unit),
                remote_app_data: if peer {
                    m.bag_data(id, &own_app)
                } else {
                    m.bag_data(id, &remote_owner)
                },
                remote_units_data,
                remote_units_status: BTreeMap::new(),
                remote_model_uuid: remote_model_seen(rel, name.app.as_str()),
            }
        }
    };
    // A joining unit is a member for its own joined and changed.
    if let Hook::RelationJoined { relation, unit } = hook
        && *relation == id
    {
        out.remote_units_data.insert(unit.n, unit_data(m, id, unit));
    }
    if let Hook::RelationDeparted { relation, unit, .. } = hook
        && *relation == id
    {
        out.remote_units_data.remove(&unit.n);
    }
    // Remote members' workload statuses, for goal-state (peers' come
    // with the unit's own application).
    if peer {
        out.remote_units_status.clear();
    } else {
        remote_statuses(
            m,
            remote_app,
            &mut out,
            kept_statuses,
            versions.remote_statuses,
        );
    }
    Some((out, versions))
}

/// Bring `out`'s remote members' statuses up to date: those kept from
/// `old` (the remote application's revisions they were built from, none:
/// nothing kept) stay while the application has the same units, and only
/// the members that are new to the relation or whose status was written
/// since are copied.
fn remote_statuses(
    m: &Model,
    remote_app: &str,
    out: &mut RelationState,
    old: Option<Revs>,
    now: Revs,
) {
    let RelationState {
        remote_units_data: data,
        remote_units_status: statuses,
        ..
    } = out;
    let since = match old {
        Some(o) if o.members == now.members => {
            // Members left only by the unit's own departed hooks: walk the
            // two key lists side by side before searching one for each.
            if !statuses.keys().eq(data.keys()) {
                statuses.retain(|n, _| data.contains_key(n));
            }
            if o.statuses == now.statuses && statuses.len() == data.len() {
                return;
            }
            o.statuses
        }
        _ => {
            statuses.clear();
            0
        }
    };
    for u in m.units_of(remote_app) {
        let n = u.name.n;
        if data.contains_key(&n) && (u.status().stamp() > since || !statuses.contains_key(&n)) {
            statuses.insert(n, StatusState::clone(u.status()));
        }
    }
}

/// Whether `name` sees `secret` as its owner: its application's secrets,
/// or its own unit's.
pub fn owns(owner: &SecretOwner, name: &UnitName) -> bool {
    match owner {
        SecretOwner::App(a) => *a == name.app,
        SecretOwner::Unit(u) => u == name,
        SecretOwner::Model => false,
    }
}

/// Whether `name` may read `secret` as a consumer: granted in a relation
/// it is in scope of, or (user secrets) granted to its application.
pub fn consumes(m: &Model, s: &super::model::Secret, name: &UnitName) -> bool {
    if owns(&s.owner, name) {
        return false;
    }
    if s.granted_apps.contains(name.app.as_str()) {
        return true;
    }
    s.grants.iter().any(|(rel, units)| {
        m.relations.get(rel).is_some_and(|r| {
            r.scope.contains(name)
                && r.involves(&name.app)
                && (units.is_empty() || units.iter().any(|u| name.is_text(u)))
        })
    })
}

fn secrets(m: &Model, name: &UnitName) -> Vec<SecretState> {
    let mut out = Vec::new();
    for s in m.secrets.values() {
        if owns(&s.owner, name) {
            out.push(SecretState {
                id: s.id.clone(),
                owner: Some(
                    match s.owner {
                        SecretOwner::App(_) => "application",
                        _ => "unit",
                    }
                    .into(),
                ),
                revisions: s.revisions.clone(),
                tracked: None,
                label: s.label.clone(),
                description: s.description.clone(),
                expire: s.expire.clone(),
                rotate: s.rotate.clone(),
                grants: s.grants.clone(),
            });
        } else if consumes(m, s, name) {
            let c = s.consumers.get(name);
            out.push(SecretState {
                id: s.id.clone(),
                owner: None,
                revisions: s.revisions.clone(),
                tracked: c.and_then(|c| c.tracked),
                label: c.and_then(|c| c.label.clone()),
                description: None,
                expire: None,
                rotate: None,
                grants: BTreeMap::new(),
            });
        }
    }
    out
}

/// The name the units of `viewer` see for the application at the other
/// end of `rel`.
pub fn remote_app_seen(rel: &super::model::Relation, viewer: &str) -> Option<String> {
    let other = rel.other_app(viewer)?;
    Some(match &rel.cross_model {
        None => other.to_string(),
        Some(x) if viewer == x.offerer => format!("remote-{}", x.token),
        Some(x) => x.saas.clone(),
    })
}

/// The other model's UUID, as `viewer`'s `relation-model-get` shows it
/// (none: the relation is within the model).
pub fn remote_model_seen(rel: &super::model::Relation, viewer: &str) -> Option<String> {
    rel.cross_model.as_ref().map(|x| {
        if viewer == x.offerer {
            x.consumer_model.clone()
        } else {
            x.offerer_model.clone()
        }
    })
}

/// `unit`'s name as the units of `viewer` see it in `rel`.
pub fn unit_seen(rel: Option<&super::model::Relation>, viewer: &str, unit: &UnitName) -> String {
    match rel.filter(|r| r.cross_model.is_some() && unit.app.as_str() != viewer) {
        Some(r) => match remote_app_seen(r, viewer) {
            Some(app) => format!("{app}/{}", unit.n),
            None => unit.to_string(),
        },
        None => unit.to_string(),
    }
}
