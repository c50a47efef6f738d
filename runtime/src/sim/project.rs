//! One unit's view of the model, as the [`State`] a single event runs on:
//! its own bags and the remote ones it has joined, the leader flag and
//! leader settings, its secrets, storage, containers and statuses.

use std::collections::BTreeMap;

use super::hook::Hook;
use super::model::{BagOwner, Model, SecretOwner};
use super::names::UnitName;
use crate::state::{
    ModelState, NetworkState, RelationKind, RelationState, SecretState, State, StatusState,
};

/// RFC 3339 text of a virtual time.
pub fn rfc3339(ns: u64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(ns);
    humantime::format_rfc3339_nanos(t).to_string()
}

/// The State `unit` sees while running `hook`; `seed` seeds its randomness.
pub fn project(m: &Model, name: &UnitName, hook: &Hook, seed: u64) -> Option<State> {
    let unit = m.unit(name)?;
    let app = m.app(&name.app)?;
    let leader = app.leader == Some(name.n);
    let mut relations = Vec::new();
    for id in m.views_of(name) {
        let view = m.view(name, id)?;
        if view.broken {
            continue;
        }
        if let Some(r) = relation_state(m, name, id, hook) {
            relations.push(r);
        }
    }
    if let Hook::RelationCreated { relation } = hook
        && m.view(name, *relation).is_none()
        && let Some(r) = relation_state(m, name, *relation, hook)
    {
        relations.push(r);
    }
    let peer_unit_statuses = if leader {
        m.app_units(&name.app)
            .into_iter()
            .filter(|u| u != name)
            .filter_map(|u| Some((u.to_string(), m.unit(&u)?.status.clone())))
            .collect()
    } else {
        BTreeMap::new()
    };
    let net = NetworkState {
        addresses: vec![unit.address.clone()],
        ingress_addresses: vec![unit.address.clone()],
        ..NetworkState::default()
    };
    let mut networks = BTreeMap::new();
    networks.insert(String::new(), net);
    Some(State {
        unit: Some(name.to_string()),
        leader,
        config: app.config.clone(),
        relations,
        unit_status: unit.status.clone(),
        app_status: if leader {
            app.status.clone()
        } else {
            StatusState::default()
        },
        peer_unit_statuses,
        workload_version: unit.workload_version.clone(),
        unit_state: unit.unit_state.clone(),
        leader_settings: app.leader_settings.clone(),
        secrets: secrets(m, name),
        opened_ports: unit.ports.clone(),
        storages: unit.storages.clone(),
        containers: unit.containers.clone(),
        networks,
        model: ModelState {
            name: m.meta.name.clone(),
            uuid: m.meta.uuid.clone(),
            kind: m.meta.kind.model_type().into(),
            juju_version: m.meta.juju_version.clone(),
        },
        planned_units: m.alive_units(&name.app).len() as u32,
        resources: BTreeMap::new(),
        trusted: app.trusted,
        now: Some(rfc3339(m.meta.now)),
        seed,
    })
}

fn relation_state(m: &Model, name: &UnitName, id: u32, hook: &Hook) -> Option<RelationState> {
    let rel = m.relations.get(&id)?;
    let end = rel.end_of(&name.app)?;
    let remote_app = rel.other_app(&name.app)?.to_string();
    let view = m.view(name, id);
    let mut remote_units_data = BTreeMap::new();
    if let Some(v) = view {
        for x in v.members.keys() {
            remote_units_data.insert(x.n, m.bag_data(id, &BagOwner::Unit(x.clone())));
        }
    }
    // A joining unit is a member for its own joined and changed.
    if let Hook::RelationJoined { relation, unit } = hook
        && *relation == id
    {
        remote_units_data.insert(unit.n, m.bag_data(id, &BagOwner::Unit(unit.clone())));
    }
    if let Hook::RelationDeparted { relation, unit, .. } = hook
        && *relation == id
    {
        remote_units_data.remove(&unit.n);
    }
    let own_app = BagOwner::App(name.app.clone());
    Some(RelationState {
        id,
        endpoint: end.endpoint.clone(),
        kind: Some(rel.kind),
        remote_app: Some(remote_app.clone()),
        local_app_data: m.bag_data(id, &own_app),
        local_unit_data: m.bag_data(id, &BagOwner::Unit(name.clone())),
        remote_app_data: if rel.kind == RelationKind::Peer {
            m.bag_data(id, &own_app)
        } else {
            m.bag_data(id, &BagOwner::App(remote_app))
        },
        remote_units_data,
        remote_model_uuid: None,
    })
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
    if s.granted_apps.contains(&name.app) {
        return true;
    }
    s.grants.iter().any(|(rel, units)| {
        m.relations.get(rel).is_some_and(|r| {
            r.scope.contains(name)
                && r.involves(&name.app)
                && (units.is_empty() || units.iter().any(|u| *u == name.to_string()))
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
