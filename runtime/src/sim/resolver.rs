//! Which hook a unit runs next: the agent's local state against the model,
//! in the priorities of Juju's resolver (reference §6.1, `resolver.go`
//! `NextOp`) and, per relation, of `nextHookForRelation` (§6.3).
//!
//! The resolver only reads. `pick` is a draw of the seeded generator that
//! chooses where to start among relations with work (Juju walks a Go map,
//! so the order across relations is unspecified); 0 is as good as any
//! draw for asking whether there is work at all.

use super::hook::Hook;
use super::model::{Application, Life, Model, Relation, Substrate, Unit};
use super::names::UnitName;
use super::series;
use crate::state::RelationKind;

/// The next hook of `name` at virtual time `now`, if any.
pub fn next_hook(m: &Model, name: &UnitName, now: u64, pick: u64) -> Option<Hook> {
    let unit = m.unit(name)?;
    let app = m.app(&name.app)?;
    let a = &unit.agent;
    let dying = unit.life == Life::Dying;
    let machine = m.meta.kind == Substrate::Machine;

    // A pod being terminated runs `stop` and nothing else (§6.4, §6.5).
    if a.pod_exit.is_some() {
        return Some(Hook::Stop);
    }
    // A machine prepared for a series upgrade has its unit agents stopped.
    if machine && series::agent_stopped(m, name) {
        return None;
    }
    // In error, only actions go before the retry (§5.3). Leadership waits
    // too: Juju accepts it and runs leader-settings-changed only when the
    // operation state is Continue (`leadership/resolver.go`).
    if let Some(e) = &a.error {
        if let Some(&id) = a.actions.front() {
            return Some(Hook::Action { id });
        }
        return match e.retry_at {
            Some(t) if t <= now => Some(e.hook.clone()),
            _ => None,
        };
    }
    // First start: machines attach storage before install (§6.2).
    if !a.installed {
        if machine && let Some(s) = a.storage_attaching.first() {
            return Some(Hook::StorageAttached { storage: s.clone() });
        }
        return Some(Hook::Install);
    }
    // A hook stopped by `juju-reboot --now` runs again first: it is queued
    // (`operation/runhook.go` Execute: ErrRequeueAndReboot → Step Queued),
    // and the reboot resolver waits while the operation is RunHook.
    if let Some(h) = &a.requeued {
        return Some(h.clone());
    }
    // After a machine reboot the uniter runs `start` before anything else
    // (`reboot/resolver.go`; not while a hook is pending, above).
    // Not during a series upgrade (`reboot/resolver.go`).
    if a.reboot_start && a.started && !dying && series::upgrade_of(m, name).is_none() {
        return Some(Hook::Start);
    }
    // upgrade-charm queues config-changed (`operation/runhook.go` Commit):
    // a queued hook runs next, as the resolvers before it (leadership,
    // secrets, relations) wait for the operation state `Continue` and
    // actions for it or a hook in error (`resolver.go` `NextOp`).
    if a.after_upgrade {
        return Some(Hook::ConfigChanged);
    }
    // A config-changed on a unit not started queues start at once
    // (`operation/runhook.go` Commit): nothing runs in between.
    if !dying && !a.started && !a.upgrade_pending && !config_due(unit, app) {
        return Some(Hook::Start);
    }
    // 3. relation-created for relations not yet joined.
    if !dying && let Some(h) = created(m, unit) {
        return Some(h);
    }
    // 4. leadership.
    if let Some(h) = leadership(unit, app) {
        return Some(h);
    }
    // 5. the optional resolvers: a machine's series upgrade
    // (`upgradeseries/resolver.go`), then the workload's events.
    if machine && let Some(h) = series::next_hook(m, name) {
        return Some(h);
    }
    // 5. workload events: pebble-ready once the unit has started (§6.5).
    if a.started
        && !dying
        && let Some(c) = a.pebble_ready.first()
    {
        return Some(Hook::PebbleReady {
            container: c.clone(),
        });
    }
    // Pebble's notices and check changes, one at a time in the order they
    // came (`pebblenotices.go` waits for each event to be handled).
    if a.started
        && !dying
        && let Some(h) = a.workload_events.front()
    {
        return Some(h.clone());
    }
    // 6. secrets.
    if let Some(h) = secrets(m, unit) {
        return Some(h);
    }
    // 7. actions.
    if let Some(&id) = a.actions.front() {
        return Some(Hook::Action { id });
    }
    // 9. storage: on k8s only after start (§6.2); detaching in teardown.
    if (machine || a.started)
        && let Some(s) = a.storage_attaching.first()
    {
        return Some(Hook::StorageAttached { storage: s.clone() });
    }
    // Detaching: in teardown, or when `detach-storage` made the
    // attachment dying (`storage/resolver.go`).
    if let Some(s) = a.storage_detaching.first() {
        return Some(Hook::StorageDetaching { storage: s.clone() });
    }
    // 10. the main state machine.
    if dying {
        // Teardown: every departed and broken, then stop, then remove (§6.3).
        if let Some(h) = relation_hooks(m, unit, pick) {
            return Some(h);
        }
        if !a.stopped {
            return Some(Hook::Stop);
        }
        return Some(Hook::Remove);
    }
    if a.upgrade_pending {
        return Some(Hook::UpgradeCharm);
    }
    if config_due(unit, app) {
        return Some(Hook::ConfigChanged);
    }
    if !a.started {
        return Some(Hook::Start);
    }
    if let Some(h) = relation_hooks(m, unit, pick) {
        return Some(h);
    }
    match a.update_status_at {
        Some(t) if t <= now => Some(Hook::UpdateStatus),
        _ => None,
    }
}

/// Juju compares the config's hash, the trust setting's and the unit's
/// addresses' with those seen at the last config-changed (`resolver.go`:
/// `ConfigHash`, `TrustHash`, `AddressesHash`).
fn config_due(unit: &Unit, app: &Application) -> bool {
    let a = &unit.agent;
    a.config_seen != Some(app.config_hash)
        || a.trust_seen.is_some_and(|t| t != app.trusted)
        || a.address_seen.as_ref().is_some_and(|x| *x != unit.address)
}

/// `leadership/resolver.go`: a dying unit accepts no leadership and runs
/// no leader-settings-changed. A unit that loses leadership resigns, which
/// runs no hook (`operation/leader.go`); like every non-leader it then runs
/// leader-settings-changed only when the leader settings moved since it
/// last ran that hook (never, for a unit leader since its agent started).
fn leadership(unit: &Unit, app: &Application) -> Option<Hook> {
    let a = &unit.agent;
    if unit.life == Life::Dying {
        return None;
    }
    let is_leader = app.leader == Some(unit.name.n);
    if is_leader && !a.leader {
        return Some(Hook::LeaderElected);
    }
    if !is_leader && a.lsc_seen != Some(app.leader_settings_version) {
        return Some(Hook::LeaderSettingsChanged);
    }
    None
}

/// Whether `unit` takes part in `rel`: for a container-scoped relation,
/// only when a unit on the other side shares its container.
pub fn participates(m: &Model, rel: &Relation, unit: &UnitName) -> bool {
    if !rel.involves(&unit.app) {
        return false;
    }
    if rel.kind != RelationKind::Subordinate {
        return true;
    }
    let Some(other) = rel.other_app(&unit.app) else {
        return false;
    };
    m.app_units(other)
        .iter()
        .any(|o| m.in_same_scope(rel, unit, o))
}

fn created(m: &Model, unit: &Unit) -> Option<Hook> {
    // The unit's views, looked up once rather than for every relation.
    let views = m.views.get(&unit.name);
    m.relations
        .values()
        .find(|r| {
            r.life == Life::Alive
                && !r.suspended
                && r.involves(&unit.name.app)
                && views.is_none_or(|v| !v.contains_key(&r.id))
                && participates(m, r, &unit.name)
        })
        .map(|r| Hook::RelationCreated { relation: r.id })
}

/// `secrets/resolver.go`: nothing for a dying or not-installed unit.
fn secrets(m: &Model, unit: &Unit) -> Option<Hook> {
    let a = &unit.agent;
    if unit.life == Life::Dying || !a.installed {
        return None;
    }
    // Owner hooks for application secrets are skipped once the unit is no
    // longer the leader (§5.4): they stay queued but never run here.
    let owns = |id: &str| match m.secrets.get(id).map(|s| &s.owner) {
        Some(super::model::SecretOwner::App(_)) => m.is_leader(&unit.name),
        Some(_) => true,
        None => false,
    };
    // Juju's order: expired, rotate, changed, then remove.
    if let Some((s, r)) = a.secret_expired.iter().find(|(s, _)| owns(s)) {
        return Some(Hook::SecretExpired {
            secret: s.clone(),
            revision: *r,
        });
    }
    if let Some(s) = a.secret_rotate.iter().find(|s| owns(s)) {
        return Some(Hook::SecretRotate { secret: s.clone() });
    }
    if let Some(s) = a.secret_changed.first() {
        return Some(Hook::SecretChanged { secret: s.clone() });
    }
    if let Some((s, r)) = a.secret_remove.iter().find(|(s, _)| owns(s)) {
        return Some(Hook::SecretRemove {
            secret: s.clone(),
            revision: *r,
        });
    }
    None
}

/// The first relation hook, starting at a drawn relation.
fn relation_hooks(m: &Model, unit: &Unit, pick: u64) -> Option<Hook> {
    let ids = m.views_of(&unit.name);
    if ids.is_empty() {
        return None;
    }
    let start = (pick % ids.len() as u64) as usize;
    let dying = unit.life == Life::Dying;
    (0..ids.len())
        .map(|i| ids[(start + i) % ids.len()])
        .find_map(|id| relation_next(m, unit, id, dying))
}

/// `nextHookForRelation`: the hook one relation needs next.
pub fn relation_next(m: &Model, unit: &Unit, id: u32, dying: bool) -> Option<Hook> {
    let view = m.view(&unit.name, id)?;
    if view.broken {
        return None;
    }
    let rel = m.relations.get(&id);
    let peer = rel.is_some_and(|r| r.kind == RelationKind::Peer);
    // A suspended relation is broken as a dying one is (`relation/resolver.go`
    // `processRelationSnapshot`).
    let teardown = dying || rel.is_none_or(|r| r.life == Life::Dying || r.suspended);
    if teardown {
        // Every member departs, then the relation is broken (never for peers).
        if let Some(x) = view.members.keys().min_by(|a, b| a.cmp_text(b)) {
            let departing = if dying { unit.name.clone() } else { x.clone() };
            return Some(Hook::RelationDeparted {
                relation: id,
                unit: x.clone(),
                departing,
            });
        }
        return (!peer).then_some(Hook::RelationBroken { relation: id });
    }
    let rel = rel?;
    // 1. changed right after joined.
    if let Some(x) = &view.changed_pending {
        return Some(Hook::RelationChanged {
            relation: id,
            unit: Some(x.clone()),
        });
    }
    let in_scope = |x: &UnitName| rel.scope.contains(x) && m.in_same_scope(rel, &unit.name, x);
    // 2. departures: only members that may have left the scope.
    // The hint sets are in text order: the first match is the smallest.
    if let Some(x) = view
        .leaving
        .iter()
        .map(|x| &x.0)
        .find(|x| view.members.contains_key(*x) && !in_scope(x))
    {
        return Some(Hook::RelationDeparted {
            relation: id,
            unit: x.clone(),
            departing: x.clone(),
        });
    }
    // 4. the remote application's bag (never when unwritten).
    let remote_app = rel.other_app(&unit.name.app)?;
    let app_version = m.app_bag(id, remote_app).map_or(0, |b| b.version);
    if app_version != 0 && app_version != view.app_seen {
        return Some(Hook::RelationChanged {
            relation: id,
            unit: None,
        });
    }
    // 5. joins, in Juju's order: unit names sorted as strings.
    if let Some(x) = view
        .dirty
        .iter()
        .map(|x| &x.0)
        .find(|x| !view.members.contains_key(*x) && in_scope(x))
    {
        return Some(Hook::RelationJoined {
            relation: id,
            unit: x.clone(),
        });
    }
    // 6. changed settings.
    view.dirty
        .iter()
        .map(|x| &x.0)
        .find(|x| match view.members.get(*x) {
            Some(seen) => *seen != Some(m.unit_bag(id, x).map_or(0, |b| b.version)),
            None => false,
        })
        .map(|x| Hook::RelationChanged {
            relation: id,
            unit: Some(x.clone()),
        })
}
