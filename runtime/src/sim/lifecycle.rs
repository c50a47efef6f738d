//! What a hook's commit does to the agent and the model beyond the charm's
//! own effects: the uniter's bookkeeping (installed, started, members seen),
//! entering and leaving relation scopes, the agent's own statuses (§5.4),
//! pods recreated after churn, leadership handed on, units removed.

use std::collections::BTreeSet;

use super::agent::{HookError, RelView, retry_delay_ns};
use super::hook::Hook;
use super::model::{BagOwner, Hint, Life, Model, PodExit, SecretOwner};
use super::names::{TextOrdered, UnitName};
use crate::state::{Bag, RelationKind, StatusState};

/// Units whose next hook may have changed.
pub type Touched = BTreeSet<UnitName>;

fn status(s: &str, m: &str) -> StatusState {
    StatusState {
        status: s.into(),
        message: m.into(),
        since: None,
    }
}

/// Set a unit's workload status, stamped with the model's time when it
/// says something new (`goal-state` shows when it was set).
pub fn set_unit_status(m: &mut Model, name: &UnitName, new: StatusState) {
    let Some(u) = m.unit(name) else { return };
    if u.status().says_same(&new) && new.since.is_none() {
        return;
    }
    let now = m.meta.now;
    stamped(m, name, new, now);
}

/// Write `name`'s status, stamped with the virtual time `now`.
fn stamped(m: &mut Model, name: &UnitName, mut new: StatusState, now: u64) {
    new.since = Some(super::project::rfc3339(now));
    m.set_status_of(name, new);
}

/// The agent's own status before a hook (§5.4).
pub fn before_hook(m: &mut Model, name: &UnitName, hook: &Hook) {
    let Some(u) = m.unit(name) else { return };
    let new = match hook {
        Hook::Install if !u.status_set => status("maintenance", "installing charm software"),
        Hook::Stop => status("maintenance", "stopping charm software"),
        Hook::Remove => status("maintenance", "cleaning up prior to charm deletion"),
        _ => return,
    };
    set_unit_status(m, name, new);
}

/// A hook failed: the unit goes into error, to be retried with Juju's
/// backoff when `automatically-retry-hooks` is on (§5.3). `r` is a draw in [0, 1).
pub fn failed(m: &mut Model, name: &UnitName, hook: &Hook, message: String, r: f64) {
    let now = m.meta.now;
    let retry = m.meta.settings.retry_hooks;
    let hook_name = hook.name(m, name);
    let Some(u) = m.unit_mut(name) else { return };
    let attempts = match &u.agent.error {
        Some(e) if e.hook == *hook => e.attempts + 1,
        _ => 1,
    };
    u.agent.error = Some(HookError {
        hook: hook.clone(),
        attempts,
        retry_at: retry.then(|| now + retry_delay_ns(attempts, r)),
        message: format!("hook failed: \"{hook_name}\": {message}"),
    });
}

/// What a hook was shown of the versions its commit records as seen: the
/// bag a relation-changed reads, the leader settings, and a changed
/// secret's latest revision, as they were when the hook was projected.
/// Hooks run one at a time see what their commit finds; hooks run
/// concurrently (`sim/batch.rs`) may commit after another unit's hook moved
/// one on, and must record what they saw, not what is there now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seen {
    bag: u64,
    lsc: u64,
    secret: u32,
}

impl Seen {
    /// The versions `hook` of `name` sees in `m` now.
    pub fn now(m: &Model, name: &UnitName, hook: &Hook) -> Seen {
        let lsc = m.app(&name.app).map_or(0, |a| a.leader_settings_version);
        let bag = match hook {
            Hook::RelationChanged {
                relation,
                unit: Some(x),
            } => m.bag_version(*relation, &BagOwner::Unit(x.clone())),
            Hook::RelationChanged {
                relation,
                unit: None,
            } => (m.relations.get(relation))
                .and_then(|r| r.other_app(&name.app))
                .map_or(0, |remote| {
                    m.bag_version(*relation, &BagOwner::App(remote.to_string()))
                }),
            _ => 0,
        };
        let secret = match hook {
            Hook::SecretChanged { secret } => m.secrets.get(secret).map_or(0, |s| s.latest()),
            _ => 0,
        };
        Seen { bag, lsc, secret }
    }
}

/// The uniter's side of a committed hook. `r` is a draw in [0, 1).
pub fn committed(m: &mut Model, name: &UnitName, hook: &Hook, r: f64, touched: &mut Touched) {
    let seen = Seen::now(m, name, hook);
    committed_as_seen(m, name, hook, seen, r, touched);
}

/// [`committed`] for a hook that was shown `seen`. A notification that
/// came after it (a newer bag or secret revision) stays pending, so the
/// unit runs another hook for it.
pub fn committed_as_seen(
    m: &mut Model,
    name: &UnitName,
    hook: &Hook,
    seen: Seen,
    r: f64,
    touched: &mut Touched,
) {
    let now = m.meta.now;
    let interval = m.meta.settings.update_status_interval_s * 1_000_000_000;
    let Some(app) = m.app(&name.app) else { return };
    let config_hash = app.config_hash;
    let trusted = app.trusted;
    let lsc_version = seen.lsc;
    let charm_rev = app.charm_rev;
    if m.unit(name).is_none() {
        return;
    }
    if let Some(u) = m.unit_mut(name)
        && u.agent.error.as_ref().is_some_and(|e| e.hook == *hook)
    {
        u.agent.error = None;
    }
    let u = m.unit_mut(name).expect("unit");
    let a = &mut u.agent;
    match hook {
        Hook::Install => a.installed = true,
        Hook::Start => {
            a.reboot_start = false;
            a.started = true;
            a.stopped = false;
            a.update_status_at = Some(now + (interval as f64 * (0.8 + 0.4 * r)) as u64);
            if !u.status_set {
                stamped(m, name, status("unknown", ""), now);
            }
        }
        Hook::UpdateStatus => {
            a.update_status_at = Some(now + (interval as f64 * (0.8 + 0.4 * r)) as u64);
        }
        Hook::ConfigChanged => {
            a.config_seen = Some(config_hash);
            a.trust_seen = Some(trusted);
            a.address_seen = Some(u.address.clone());
            if a.after_upgrade {
                a.after_upgrade = false;
                // A new agent starts from version 0 (`uniter.go` makes a
                // fresh `LocalState`): non-leaders run leader-settings-changed.
                a.lsc_seen = None;
            }
        }
        Hook::UpgradeCharm => {
            a.charm_rev = charm_rev;
            a.upgrade_pending = false;
            a.config_seen = None;
            // No `start` follows on a machine: Juju queues start only for a
            // unit that never started (a new k8s pod is one, `new_pod`).
            a.after_upgrade = true;
        }
        // Accepting leadership leaves the leader-settings version seen
        // alone (`resolver/opfactory.go` records it only for
        // leader-settings-changed).
        Hook::LeaderElected => a.leader = true,
        Hook::LeaderSettingsChanged => {
            a.leader = false;
            a.lsc_seen = Some(lsc_version);
        }
        Hook::PebbleReady { container } => {
            a.pebble_ready.remove(container);
        }
        Hook::PebbleCustomNotice { .. }
        | Hook::PebbleCheckFailed { .. }
        | Hook::PebbleCheckRecovered { .. }
            if a.workload_events.front() == Some(hook) =>
        {
            a.workload_events.pop_front();
        }
        Hook::StorageAttached { storage } => {
            a.storage_attaching.remove(storage);
        }
        Hook::StorageDetaching { storage } => {
            a.storage_detaching.remove(storage);
            u.storages
                .retain(|s| format!("{}/{}", s.name, s.index) != *storage);
        }
        Hook::SecretChanged { secret } => {
            let latest = m.secrets.get(secret).map_or(0, |s| s.latest());
            let u = m.unit_mut(name).expect("unit");
            if latest == seen.secret {
                u.agent.secret_changed.remove(secret);
            }
        }
        Hook::SecretRotate { secret } => {
            a.secret_rotate.remove(secret);
        }
        Hook::SecretExpired { secret, revision } => {
            a.secret_expired.remove(&(secret.clone(), *revision));
        }
        Hook::SecretRemove { secret, revision } => {
            a.secret_remove.remove(&(secret.clone(), *revision));
        }
        Hook::Action { .. } => {
            a.actions.pop_front();
        }
        Hook::Stop => {
            a.stopped = true;
            a.started = false;
            a.update_status_at = None;
            let exit = a.pod_exit.take();
            stamped(m, name, status("maintenance", ""), now);
            match exit {
                Some(_) => new_pod(m, name, touched),
                None => {
                    for id in m.views_of(name) {
                        leave_scope(m, name, id, touched);
                    }
                }
            }
        }
        _ => {}
    }
    super::series::committed(m, name, hook, touched);
    model_side(m, name, hook, seen, r, touched);
}

/// The model-wide part of a committed hook.
fn model_side(
    m: &mut Model,
    name: &UnitName,
    hook: &Hook,
    seen: Seen,
    r: f64,
    touched: &mut Touched,
) {
    let now = m.meta.now;
    match hook {
        Hook::SecretRotate { secret } => {
            // Rotation repeats until the charm writes a new revision.
            if let Some(s) = m.secret_mut(secret)
                && s.rotate_at.is_some_and(|t| t <= now)
            {
                s.rotate_at = Some(now + RETRY_OWNER_HOOK_NS);
            }
        }
        Hook::SecretExpired { secret, revision } => {
            if let Some(s) = m.secret_mut(secret)
                && s.latest() == *revision
                && s.expire_at.is_some_and(|t| t <= now)
            {
                s.expire_at = Some(now + RETRY_OWNER_HOOK_NS);
            }
        }
        Hook::Remove => remove_unit(m, name, r, touched),
        Hook::RelationCreated { relation } => {
            let id = *relation;
            if let Some(rel) = m.relations.get(&id) {
                let dirty = m
                    .remote_scope(rel, name)
                    .into_iter()
                    .map(TextOrdered)
                    .collect();
                m.insert_view(
                    name,
                    id,
                    RelView {
                        created: true,
                        dirty,
                        ..RelView::default()
                    },
                );
                enter_scope(m, name, id, touched);
            }
        }
        Hook::RelationJoined { relation, unit } => {
            if let Some(v) = m.view_mut(name, *relation) {
                v.members.insert(unit.clone(), None);
                v.changed_pending = Some(unit.clone());
            }
        }
        Hook::RelationChanged {
            relation,
            unit: Some(x),
        } => {
            let moved = m.bag_version(*relation, &BagOwner::Unit(x.clone())) != seen.bag;
            if let Some(v) = m.view_mut(name, *relation) {
                if let Some(s) = v.members.get_mut(x) {
                    *s = Some(seen.bag);
                }
                if v.changed_pending.as_ref() == Some(x) {
                    v.changed_pending = None;
                }
                if !moved {
                    v.dirty.remove(&TextOrdered(x.clone()));
                }
            }
        }
        Hook::RelationChanged {
            relation,
            unit: None,
        } => {
            let remote = m
                .relations
                .get(relation)
                .and_then(|r| r.other_app(&name.app));
            if remote.is_some()
                && let Some(v) = m.view_mut(name, *relation)
            {
                // The writer of a peer application bag already saw its
                // own write (`merge`); versions only move on.
                v.app_seen = v.app_seen.max(seen.bag);
            }
        }
        Hook::RelationDeparted { relation, unit, .. } => {
            let dying = m.unit(name).is_some_and(|u| u.life == Life::Dying);
            let peer = m
                .relations
                .get(relation)
                .is_some_and(|r| r.kind == RelationKind::Peer);
            let mut empty = false;
            if let Some(v) = m.view_mut(name, *relation) {
                v.members.remove(unit);
                let hint = TextOrdered(unit.clone());
                v.dirty.remove(&hint);
                v.leaving.remove(&hint);
                if v.changed_pending.as_ref() == Some(unit) {
                    v.changed_pending = None;
                }
                empty = v.members.is_empty();
            }
            // A peer relation has no broken: a dying unit leaves its scope
            // once every member has departed.
            let rel_dying = m
                .relations
                .get(relation)
                .is_none_or(|r| r.life == Life::Dying);
            if peer && empty && (dying || rel_dying) {
                leave_scope(m, name, *relation, touched);
            }
        }
        Hook::RelationBroken { relation } => leave_scope(m, name, *relation, touched),
        _ => {}
    }
}

/// How long before a repeated secret-rotate or secret-expired (unverified:
/// Juju repeats them until the charm acts; the interval is ours).
pub const RETRY_OWNER_HOOK_NS: u64 = 300_000_000_000;

/// The unit's bag as Juju seeds it on entering scope.
fn address_bag(address: &str) -> Bag {
    let mut b = Bag::new();
    b.insert("egress-subnets".into(), format!("{address}/32"));
    b.insert("ingress-address".into(), address.into());
    b.insert("private-address".into(), address.into());
    b
}

/// `name` enters the scope of relation `id`: remote units will see it join.
pub fn enter_scope(m: &mut Model, name: &UnitName, id: u32, touched: &mut Touched) {
    let address = m.unit(name).map(|u| u.address.clone()).unwrap_or_default();
    let Some(rel) = m.relation_mut(id) else {
        return;
    };
    rel.scope.insert(name.clone());
    let key = BagOwner::Unit(name.clone());
    let mut bag = m.bag_data(id, &key);
    bag.extend(address_bag(&address));
    m.set_bag(id, key, bag);
    let rel = &m.relations[&id];
    // A unit entering the scope only adds work for the others (a join), as
    // a bag write does: they are woken, not resolved again; on a dying
    // relation, where it may also put off a relation-broken, they are.
    let dying = rel.life == Life::Dying;
    for w in m.watchers(rel, name) {
        if m.watch(&w, id, name, Hint::Changed) {
            if dying {
                touched.insert(w);
            } else {
                m.wake_later(w);
            }
        }
    }
}

/// `name` leaves the scope of relation `id`: its view is done, remote
/// units will see it depart; a dying relation with an empty scope goes.
pub fn leave_scope(m: &mut Model, name: &UnitName, id: u32, touched: &mut Touched) {
    if let Some(v) = m.view_mut(name, id) {
        v.broken = true;
    }
    let Some(rel) = m.relations.get(&id) else {
        m.remove_view(name, id);
        return;
    };
    let watchers = m.watchers(rel, name);
    if let Some(rel) = m.relation_mut(id) {
        rel.scope.remove(name);
    }
    for w in watchers {
        if m.watch(&w, id, name, Hint::Leaving) {
            touched.insert(w);
        }
    }
    let rel = &m.relations[&id];
    if rel.life == Life::Dying && rel.scope.is_empty() {
        drop_relation(m, id);
    }
}

/// Remove relation `id` with every view of it.
pub fn drop_relation(m: &mut Model, id: u32) {
    let holders: Vec<UnitName> = m
        .views
        .iter()
        .filter(|(_, vs)| vs.contains_key(&id))
        .map(|(u, _)| u.clone())
        .collect();
    for u in holders {
        m.remove_view(&u, id);
    }
    m.remove_relation(id);
}

/// Start a unit's teardown; a unit that never installed goes at once.
pub fn set_dying(m: &mut Model, name: &UnitName, r: f64, touched: &mut Touched) {
    let Some(u) = m.unit(name) else { return };
    if u.life == Life::Dying {
        return;
    }
    let installed = u.agent.installed;
    let u = m.unit_mut(name).expect("unit");
    u.life = Life::Dying;
    u.agent.storage_detaching = u
        .storages
        .iter()
        .map(|s| format!("{}/{}", s.name, s.index))
        .collect();
    u.agent.storage_attaching.clear();
    touched.insert(name.clone());
    // Subordinates go with their principal.
    let subs: Vec<UnitName> = m
        .units
        .values()
        .filter(|s| s.principal.as_ref() == Some(name))
        .map(|s| s.name.clone())
        .collect();
    for s in subs {
        set_dying(m, &s, r, touched);
    }
    if !installed {
        remove_unit(m, name, r, touched);
    }
}

/// The unit is gone: out of every scope, its bags and unit secrets removed,
/// leadership handed on, its application removed after its last unit.
pub fn remove_unit(m: &mut Model, name: &UnitName, r: f64, touched: &mut Touched) {
    for id in m.views_of(name) {
        leave_scope(m, name, id, touched);
    }
    let rels: Vec<u32> = m.relations.keys().copied().collect();
    for id in rels {
        if let Some(rel) = m.relation_mut(id) {
            rel.scope.remove(name);
        }
        m.remove_bag(id, BagOwner::Unit(name.clone()));
    }
    let secrets: Vec<String> = m
        .secrets
        .values()
        .filter(|s| s.owner == SecretOwner::Unit(name.clone()) || s.consumers.contains_key(name))
        .map(|s| s.id.clone())
        .collect();
    for id in secrets {
        if m.secrets[&id].owner == SecretOwner::Unit(name.clone()) {
            m.remove_secret(&id);
        } else if let Some(s) = m.secret_mut(&id) {
            s.consumers.remove(name);
        }
    }
    let actions: Vec<u64> = m
        .unit(name)
        .map(|u| u.agent.actions.iter().copied().collect())
        .unwrap_or_default();
    for id in actions {
        if let Some(a) = m.action_mut(id) {
            a.status = super::model::ActionStatus::Cancelled;
        }
    }
    m.remove_unit(name);
    touched.insert(name.clone());
    let was_leader = m.app(&name.app).and_then(|a| a.leader) == Some(name.n);
    if was_leader {
        elect(m, &name.app, r, touched);
    }
    let app_gone = m.app(&name.app).is_some_and(|a| a.life == Life::Dying)
        && m.app_units(&name.app).is_empty();
    if app_gone {
        let own: Vec<u32> = m
            .relations
            .values()
            .filter(|r| r.involves(&name.app))
            .map(|r| r.id)
            .collect();
        for id in own {
            let peer = m.relations[&id].kind == RelationKind::Peer;
            if peer || m.relations[&id].scope.is_empty() {
                drop_relation(m, id);
            }
        }
        m.remove_app(&name.app);
    }
}

/// A new leader for `app` among its alive units, chosen by the draw `r`
/// (Juju gives the lease to whichever agent claims first).
pub fn elect(m: &mut Model, app: &str, r: f64, touched: &mut Touched) {
    let candidates = m.alive_units(app);
    let leader = if candidates.is_empty() {
        None
    } else {
        let i = ((r * candidates.len() as f64) as usize).min(candidates.len() - 1);
        Some(candidates[i].n)
    };
    hand_leadership(m, app, leader, touched);
}

/// The lease of `app` goes to unit number `leader`. The old leader's agent
/// resigns, which runs no hook (`operation/leader.go`); the new one will
/// run leader-elected. The leader settings do not change, so no other
/// unit is told (`remotestate/watcher.go` bumps the version only when the
/// settings change).
pub fn hand_leadership(m: &mut Model, app: &str, leader: Option<u32>, touched: &mut Touched) {
    let Some(a) = m.app_mut(app) else { return };
    let old = std::mem::replace(&mut a.leader, leader);
    if let Some(n) = old.filter(|n| Some(*n) != leader)
        && let Some(u) = m.unit_mut(&UnitName::new(app, n))
    {
        u.agent.leader = false;
    }
    touched.extend(m.app_units(app));
}

/// The next update-status of a unit, `interval_s` from `now` randomised to
/// 80–120 % (`NewUpdateStatusTimer`); `r` is a draw in [0, 1).
pub fn update_status_due(now: u64, interval_s: u64, r: f64) -> u64 {
    now + (interval_s as f64 * 1e9 * (0.8 + 0.4 * r)) as u64
}

/// The unit's uniter restarts (its agent, or a worker it depends on,
/// bounced): a fresh `LocalState` (`uniter.go`), so a non-leader runs
/// leader-settings-changed again; a new update-status timer; a hook in
/// error waits for a retry timer started afresh (or for `resolve`, when
/// hooks are not retried). What the agent keeps in its state file
/// (installed, started, config hash, relations) stays. `r` is a draw.
pub fn restart_agent(m: &mut Model, name: &UnitName, r: f64, touched: &mut Touched) {
    let now = m.meta.now;
    let settings = m.meta.settings.clone();
    let Some(u) = m.unit_mut(name) else { return };
    let a = &mut u.agent;
    a.lsc_seen = None;
    if a.update_status_at.is_some() {
        a.update_status_at = Some(update_status_due(now, settings.update_status_interval_s, r));
    }
    if let Some(e) = &mut a.error {
        e.attempts = 1;
        e.retry_at = settings.retry_hooks.then(|| now + retry_delay_ns(1, r));
    }
    touched.insert(name.clone());
}

/// The pod of a k8s unit was recreated (after churn or refresh): the same
/// unit, a fresh filesystem and containers, `upgrade-charm` due (§6.5).
pub fn new_pod(m: &mut Model, name: &UnitName, touched: &mut Touched) {
    let Some(app) = m.app(&name.app) else { return };
    let templates = app.containers.clone();
    let pod_local = app.pod_local_state;
    let Some(u) = m.unit_mut(name) else { return };
    u.pod += 1;
    u.containers = templates;
    if pod_local {
        u.unit_state.clear();
    }
    let a = &mut u.agent;
    a.started = false;
    a.stopped = false;
    a.upgrade_pending = true;
    a.error = None;
    a.update_status_at = None;
    a.pebble_ready = u.containers.iter().map(|c| c.name.clone()).collect();
    a.workload_events.clear();
    touched.insert(name.clone());
}

/// Mark a unit's pod for termination: `stop` runs in the old pod, then a
/// new pod takes over (a pod that never started is just replaced).
pub fn exit_pod(m: &mut Model, name: &UnitName, why: PodExit, touched: &mut Touched) {
    let Some(u) = m.unit(name) else { return };
    if !u.agent.installed {
        new_pod(m, name, touched);
        return;
    }
    if let Some(u) = m.unit_mut(name) {
        u.agent.pod_exit = Some(why);
        u.agent.error = None;
    }
    touched.insert(name.clone());
}
