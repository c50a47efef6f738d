//! The output State of a hook back into the model: the unit's own bags, its
//! application's bags when leader, unit state, statuses, ports, storage,
//! containers, leader settings and secrets. A changed bag marks the units
//! that watch it (their relation-changed is due); a new secret revision
//! queues secret-changed for the consumers tracking an older one.
//!
//! The State backend already dropped the buffered effects of a failed hook,
//! so merging its output keeps exactly what Juju keeps (§5.1).

use std::collections::BTreeSet;

use super::model::{BagOwner, Hint, Model, Secret, SecretOwner};
use super::names::UnitName;
use super::project::{consumes, owns};
use crate::juju::secrets::rotate_interval_ns;
use crate::state::{RelationKind, SecretState, State};

/// What a merge did to other units' next hooks.
#[derive(Debug, Default)]
pub struct Merged {
    /// Units whose next hook may have changed in any way.
    pub touched: BTreeSet<UnitName>,
    /// Units that were only told of a relation bag that changed: work was
    /// added for them and none taken away, so one that already had a hook
    /// due still has one.
    pub woken: BTreeSet<UnitName>,
}

/// Merge `out`, the State `name` committed, into the model. `input`: the
/// secrets the hook was shown, when other hooks may have changed the model
/// since (`sim/batch.rs`); then only what the hook itself changed of them
/// is merged, so a hook of one unit of an application does not undo a
/// secret another unit of it wrote meanwhile.
pub fn merge(m: &mut Model, name: &UnitName, out: &State, input: Option<&[SecretState]>) -> Merged {
    let mut touched = BTreeSet::new();
    let mut woken = BTreeSet::new();
    touched.insert(name.clone());
    let leader = m.is_leader(name);
    merge_unit(m, name, out);
    if leader {
        merge_app(m, name, out, &mut touched);
    }
    for r in &out.relations {
        merge_relation(m, name, r, &mut woken);
    }
    merge_secrets(m, name, &out.secrets, input, &mut touched);
    Merged { touched, woken }
}

fn merge_unit(m: &mut Model, name: &UnitName, out: &State) {
    let now = m.meta.now;
    let Some(u) = m.unit(name) else { return };
    let old = u.storages.clone();
    // Storage the charm added (`storage-add`) gets a model-unique number.
    let mut storages = out.storages.clone();
    let mut new_storage = Vec::new();
    for s in &mut storages {
        if !old.iter().any(|o| o.name == s.name && o.index == s.index) {
            s.index = m.next_storage_id();
            new_storage.push(format!("{}/{}", s.name, s.index));
        }
    }
    let Some(u) = m.unit(name) else { return };
    let same = u.status().says_same(&out.unit_status)
        && u.workload_version == out.workload_version
        && u.unit_state == out.unit_state
        && u.ports == out.opened_ports
        && u.storages == storages
        && u.containers == out.containers
        && u.machine == out.machine;
    if same {
        return;
    }
    let u = if u.status().says_same(&out.unit_status) {
        m.unit_mut(name).expect("unit exists")
    } else {
        let mut status = out.unit_status.clone();
        status.since = Some(super::project::rfc3339(now));
        let u = m.set_status_of(name, status).expect("unit exists");
        u.status_set = true;
        u
    };
    u.workload_version.clone_from(&out.workload_version);
    u.unit_state.clone_from(&out.unit_state);
    u.ports.clone_from(&out.opened_ports);
    u.storages = storages;
    u.containers.clone_from(&out.containers);
    u.machine.clone_from(&out.machine);
    u.agent.storage_attaching.extend(new_storage);
}

fn merge_app(m: &mut Model, name: &UnitName, out: &State, touched: &mut BTreeSet<UnitName>) {
    let Some(app) = m.app(&name.app) else { return };
    let now = m.meta.now;
    let status_changed = !app.status.says_same(&out.app_status);
    let settings_changed = app.leader_settings != out.leader_settings;
    let partition_changed = app.partition != out.statefulset_partition;
    if !status_changed && !settings_changed && !partition_changed {
        return;
    }
    let app = m.app_mut(&name.app).expect("app exists");
    // A patched StatefulSet: the rollout, if any, goes on after the commit.
    app.partition = out.statefulset_partition;
    if status_changed {
        app.status = out.app_status.clone();
        app.status.since = Some(super::project::rfc3339(now));
    }
    if settings_changed {
        app.leader_settings = out.leader_settings.clone();
        // Every agent's watcher sees the change, the writer's too: the
        // leader runs no leader-settings-changed, but once it resigns it
        // has a version to catch up with (`remotestate/watcher.go`).
        app.leader_settings_version += 1;
        touched.extend(m.app_units(&name.app));
    }
}

fn merge_relation(
    m: &mut Model,
    name: &UnitName,
    r: &crate::state::RelationState,
    woken: &mut BTreeSet<UnitName>,
) {
    let Some(rel) = m.relations.get(&r.id) else {
        return;
    };
    let peer = rel.kind == RelationKind::Peer;
    // Most hooks write nothing: compare before copying.
    let unit_same = match m.unit_bag(r.id, name) {
        Some(b) => b.data == r.local_unit_data,
        None => r.local_unit_data.is_empty(),
    };
    if !unit_same
        && m.set_bag(
            r.id,
            BagOwner::Unit(name.clone()),
            r.local_unit_data.clone(),
        )
        .is_some()
    {
        let rel = &m.relations[&r.id];
        for w in m.watchers(rel, name) {
            if m.watch(&w, r.id, name, Hint::Changed) {
                woken.insert(w);
            }
        }
    }
    if !m.is_leader(name) {
        return;
    }
    let app_same = match m.app_bag(r.id, &name.app) {
        Some(b) => b.data == r.local_app_data,
        None => r.local_app_data.is_empty(),
    };
    if app_same {
        return;
    }
    if let Some(v) = m.set_bag(
        r.id,
        BagOwner::App(name.app.to_string()),
        r.local_app_data.clone(),
    ) {
        if peer && let Some(view) = m.view_mut(name, r.id) {
            view.app_seen = v;
        }
        let rel = &m.relations[&r.id];
        let watchers: Vec<UnitName> = rel
            .scope
            .iter()
            .filter(|w| *w != name && (peer || w.app != name.app))
            .cloned()
            .collect();
        woken.extend(watchers);
    }
}

/// The unit that runs owner hooks of a secret: the leader for
/// application secrets.
pub fn owner_unit(m: &Model, s: &Secret) -> Option<UnitName> {
    match &s.owner {
        SecretOwner::App(a) => m
            .app(a)
            .and_then(|app| app.leader)
            .map(|n| UnitName::new(a, n)),
        SecretOwner::Unit(u) => Some(u.clone()),
        SecretOwner::Model => None,
    }
}

/// A new revision of `id`: secret-changed for consumers tracking an older one.
pub fn notify_new_revision(m: &mut Model, id: &str, touched: &mut BTreeSet<UnitName>) {
    let Some(s) = m.secrets.get(id) else { return };
    let latest = s.latest();
    let due: Vec<UnitName> = s
        .consumers
        .iter()
        .filter(|(_, c)| c.tracked.is_some_and(|t| t < latest))
        .map(|(u, _)| u.clone())
        .collect();
    for u in due {
        if let Some(unit) = m.unit_mut(&u) {
            unit.agent.secret_changed.insert(id.to_string());
            touched.insert(u);
        }
    }
}

fn merge_secrets(
    m: &mut Model,
    name: &UnitName,
    out: &[SecretState],
    input: Option<&[SecretState]>,
    touched: &mut BTreeSet<UnitName>,
) {
    let now = m.meta.now;
    let owned_before: Vec<String> = match input {
        Some(input) => (input.iter())
            .filter(|s| s.owner.is_some() && m.secrets.contains_key(&s.id))
            .map(|s| s.id.clone())
            .collect(),
        None => (m.secrets.values())
            .filter(|s| owns(&s.owner, name))
            .map(|s| s.id.clone())
            .collect(),
    };
    for s in out.iter().filter(|s| s.owner.is_some()) {
        if input.is_some_and(|input| input.iter().any(|i| i == s)) {
            // Not changed by this hook.
            continue;
        }
        let owner = if s.owner.as_deref() == Some("application") {
            SecretOwner::App(name.app.to_string())
        } else {
            SecretOwner::Unit(name.clone())
        };
        let rotate_at = s
            .rotate
            .as_deref()
            .and_then(rotate_interval_ns)
            .map(|i| now + i);
        let expire_at = s
            .expire
            .as_deref()
            .and_then(crate::sandbox::parse_rfc3339_ns);
        match m.secrets.get(&s.id) {
            None => m.insert_secret(Secret {
                id: s.id.clone(),
                owner,
                revisions: s.revisions.clone(),
                label: s.label.clone(),
                description: s.description.clone(),
                expire: s.expire.clone(),
                rotate: s.rotate.clone(),
                grants: s.grants.clone(),
                granted_apps: Default::default(),
                consumers: Default::default(),
                rotate_at,
                expire_at,
            }),
            Some(old) => {
                let unchanged = old.revisions == s.revisions
                    && old.label == s.label
                    && old.description == s.description
                    && old.expire == s.expire
                    && old.rotate == s.rotate
                    && old.grants == s.grants;
                if unchanged {
                    continue;
                }
                let new_rev =
                    s.revisions.iter().map(|r| r.revision).max().unwrap_or(0) > old.latest();
                let rotate_changed = old.rotate != s.rotate;
                let sec = m.secret_mut(&s.id).expect("secret exists");
                sec.revisions.clone_from(&s.revisions);
                sec.label.clone_from(&s.label);
                sec.description.clone_from(&s.description);
                sec.grants.clone_from(&s.grants);
                if sec.expire != s.expire {
                    sec.expire.clone_from(&s.expire);
                    sec.expire_at = expire_at;
                }
                if rotate_changed || new_rev {
                    sec.rotate.clone_from(&s.rotate);
                    sec.rotate_at = rotate_at;
                }
                if new_rev {
                    notify_new_revision(m, &s.id, touched);
                }
            }
        }
    }
    for id in owned_before {
        if !out.iter().any(|s| s.id == id && s.owner.is_some()) {
            m.remove_secret(&id);
        }
    }
    for s in out.iter().filter(|s| s.owner.is_none()) {
        let Some(sec) = m.secrets.get(&s.id) else {
            continue;
        };
        if !consumes(m, sec, name) {
            continue;
        }
        let old = sec.consumers.get(name).cloned().unwrap_or_default();
        if old.tracked == s.tracked && old.label == s.label {
            continue;
        }
        let sec = m.secret_mut(&s.id).expect("secret exists");
        let c = sec.consumers.entry(name.clone()).or_default();
        c.tracked = s.tracked;
        c.label.clone_from(&s.label);
        // The old revision may now be unused: the owner is told (§6.6).
        if let Some(old_rev) = old.tracked
            && s.tracked != Some(old_rev)
            && old_rev != sec.latest()
            && !sec.consumers.values().any(|c| c.tracked == Some(old_rev))
        {
            let sec = sec.clone();
            if let Some(owner) = owner_unit(m, &sec)
                && let Some(u) = m.unit_mut(&owner)
            {
                u.agent.secret_remove.insert((sec.id.clone(), old_rev));
                touched.insert(owner);
            }
        }
    }
}
