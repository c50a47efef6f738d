//! The resolver's orderings against Juju 3.x's uniter resolvers, on small
//! models built by hand (no charm runs). Each test names the Juju source
//! it follows (and the model-unique storage ids).

use std::collections::BTreeMap;

use super::agent::{Agent, HookError};
use super::hook::Hook;
use super::model::{Application, Life, Meta, Model, Settings, Substrate, Unit};
use super::names::{TextOrdered, UnitName};
use super::resolver::next_hook;
use crate::state::{Bag, StatusState};

/// A model with application `app` of `units` installed, started units,
/// unit 0 the leader (and knowing it), every agent up to date.
pub fn model(app: &str, units: u32) -> Model {
    let mut m = Model::new(Meta {
        name: "m".into(),
        uuid: "u".into(),
        kind: Substrate::Kubernetes,
        juju_version: "3.6.0".into(),
        seed: 0,
        now: 0,
        draws: 0,
        next_relation_id: 0,
        next_action_id: 0,
        next_seq: 0,
        next_app_index: 1,
        settings: Settings::default(),
        scenario_step: 0,
        next_storage: 0,
        offers: Default::default(),
        saas: Default::default(),
    });
    m.insert_app(Application {
        name: app.into(),
        charm: "c".into(),
        charm_rev: 1,
        charm_hash: String::new(),
        native: false,
        charm_name: app.into(),
        subordinate: false,
        stateless: false,
        pod_local_state: false,
        config: BTreeMap::new(),
        config_hash: super::model::config_hash(&BTreeMap::new()),
        leader: Some(0),
        leader_settings: Bag::new(),
        leader_settings_version: 0,
        status: StatusState::default(),
        trusted: false,
        next_unit: units,
        life: Life::Alive,
        index: 0,
        containers: Vec::new(),
        machine: Default::default(),
        loopback_http: Vec::new(),
        partition: 0,
        rollout: None,
    });
    for n in 0..units {
        let mut unit = Unit::new(UnitName::new(app, n), StatusState::default());
        unit.agent = Agent {
            installed: true,
            started: true,
            leader: n == 0,
            lsc_seen: Some(0),
            config_seen: Some(super::model::config_hash(&BTreeMap::new())),
            charm_rev: 1,
            ..Agent::default()
        };
        m.insert_unit(unit);
    }
    m
}

pub fn unit(app: &str, n: u32) -> UnitName {
    UnitName::new(app, n)
}

/// Put `name` in error on `hook`, its retry due at `retry_at`.
pub fn fail(m: &mut Model, name: &UnitName, hook: Hook, retry_at: Option<u64>) {
    m.unit_mut(name).unwrap().agent.error = Some(HookError {
        hook,
        attempts: 1,
        retry_at,
        message: "boom".into(),
    });
}

/// The lease of `app` goes to unit `new` (the old leader resigns).
fn hand_leadership_to(m: &mut Model, app: &str, new: u32) {
    let mut touched = super::lifecycle::Touched::new();
    super::lifecycle::hand_leadership(m, app, Some(new), &mut touched);
}

/// The leader of `app` changed its leader settings (`leader-set`).
fn leader_set(m: &mut Model, app: &str) {
    m.app_mut(app).unwrap().leader_settings_version += 1;
}

/// Juju 3.x `internal/worker/uniter/leadership/resolver.go` `NextOp`:
/// leadership is accepted (leader-elected) and leader-settings-changed
/// runs only when `localState.Kind == operation.Continue`; a unit in error
/// is not (its hook is pending), so both wait for the retry or resolve.
#[test]
fn a_unit_in_error_runs_no_leadership_hook_until_resolved() {
    let mut m = model("a", 3);
    m.remove_unit(&unit("a", 0));
    hand_leadership_to(&mut m, "a", 1);
    leader_set(&mut m, "a");
    fail(&mut m, &unit("a", 1), Hook::ConfigChanged, Some(100));
    fail(&mut m, &unit("a", 2), Hook::ConfigChanged, None);
    assert_eq!(next_hook(&m, &unit("a", 1), 0, 0), None, "retry not due");
    assert_eq!(next_hook(&m, &unit("a", 2), 0, 0), None, "not resolved");
    // The retry comes first, then leader-elected.
    assert_eq!(
        next_hook(&m, &unit("a", 1), 100, 0),
        Some(Hook::ConfigChanged)
    );
    m.unit_mut(&unit("a", 1)).unwrap().agent.error = None;
    assert_eq!(
        next_hook(&m, &unit("a", 1), 100, 0),
        Some(Hook::LeaderElected)
    );
    // Resolved without a retry: leader-settings-changed follows.
    m.unit_mut(&unit("a", 2)).unwrap().agent.error = None;
    assert_eq!(
        next_hook(&m, &unit("a", 2), 0, 0),
        Some(Hook::LeaderSettingsChanged)
    );
}

/// Actions still run in error (`resolver.go` `NextOp` runs actions before
/// the error check); leadership does not jump them either.
#[test]
fn an_action_runs_in_error_but_leadership_does_not() {
    let mut m = model("a", 2);
    m.remove_unit(&unit("a", 0));
    hand_leadership_to(&mut m, "a", 1);
    fail(&mut m, &unit("a", 1), Hook::Start, None);
    m.unit_mut(&unit("a", 1))
        .unwrap()
        .agent
        .actions
        .push_back(7);
    assert_eq!(
        next_hook(&m, &unit("a", 1), 0, 0),
        Some(Hook::Action { id: 7 })
    );
    m.unit_mut(&unit("a", 1)).unwrap().agent.actions.clear();
    assert_eq!(next_hook(&m, &unit("a", 1), 0, 0), None);
}

/// `leadership/resolver.go` `NextOp`: `canAcceptLeader` is false when
/// `remoteState.Life == life.Dying`, and leader-settings-changed needs
/// `remoteState.Life != life.Dying` (as in remove-application, where the
/// leader goes while the others are dying).
#[test]
fn a_dying_unit_runs_no_leadership_hook() {
    let mut m = model("a", 3);
    m.remove_unit(&unit("a", 0));
    hand_leadership_to(&mut m, "a", 1);
    leader_set(&mut m, "a");
    for n in [1, 2] {
        m.unit_mut(&unit("a", n)).unwrap().life = Life::Dying;
    }
    // Teardown goes straight on: stop, then remove.
    assert_eq!(next_hook(&m, &unit("a", 1), 0, 0), Some(Hook::Stop));
    assert_eq!(next_hook(&m, &unit("a", 2), 0, 0), Some(Hook::Stop));
}

/// Juju 3.x `internal/worker/uniter/secrets/resolver.go` `NextOp`: "Nothing
/// to do if not yet installed, the unit is dying" — no secret-changed (nor
/// any other secret hook) for a dying consumer.
#[test]
fn a_dying_unit_runs_no_secret_hook() {
    let mut m = model("a", 1);
    let u = m.unit_mut(&unit("a", 0)).unwrap();
    u.agent.secret_changed.insert("s1".into());
    assert_eq!(
        next_hook(&m, &unit("a", 0), 0, 0),
        Some(Hook::SecretChanged {
            secret: "s1".into()
        })
    );
    m.unit_mut(&unit("a", 0)).unwrap().life = Life::Dying;
    assert_eq!(next_hook(&m, &unit("a", 0), 0, 0), Some(Hook::Stop));
}

/// `secrets/resolver.go` `NextOp` tries `expireOp` before `rotateOp`, and
/// both before consumed secret-changed: with all due, secret-expired runs
/// first, then secret-rotate, then secret-changed.
#[test]
fn expiry_goes_before_rotation_and_changes() {
    use super::model::{Secret, SecretOwner};
    let mut m = model("a", 1);
    let me = unit("a", 0);
    m.insert_secret(Secret {
        id: "s1".into(),
        owner: SecretOwner::Unit(me.clone()),
        revisions: Vec::new(),
        label: None,
        description: None,
        expire: None,
        rotate: None,
        grants: BTreeMap::new(),
        granted_apps: Default::default(),
        consumers: BTreeMap::new(),
        rotate_at: None,
        expire_at: None,
    });
    let a = &mut m.unit_mut(&me).unwrap().agent;
    a.secret_changed.insert("s0".into());
    a.secret_rotate.insert("s1".into());
    a.secret_expired.insert(("s1".into(), 2));
    let expired = Hook::SecretExpired {
        secret: "s1".into(),
        revision: 2,
    };
    assert_eq!(next_hook(&m, &me, 0, 0), Some(expired));
    m.unit_mut(&me).unwrap().agent.secret_expired.clear();
    let rotate = Hook::SecretRotate {
        secret: "s1".into(),
    };
    assert_eq!(next_hook(&m, &me, 0, 0), Some(rotate));
    m.unit_mut(&me).unwrap().agent.secret_rotate.clear();
    let changed = Hook::SecretChanged {
        secret: "s0".into(),
    };
    assert_eq!(next_hook(&m, &me, 0, 0), Some(changed));
}

/// A peer relation of `app` (id 0) with every unit in scope and each
/// unit's view fresh (nothing joined, every other unit a candidate).
pub fn peer_relation(m: &mut Model, app: &str) {
    use super::agent::RelView;
    use super::model::{End, Relation};
    let units = m.app_units(app);
    m.insert_relation(Relation {
        id: 0,
        kind: crate::state::RelationKind::Peer,
        ends: vec![End {
            app: app.into(),
            endpoint: "peers".into(),
            role: "peer".into(),
            interface: "p".into(),
        }],
        life: Life::Alive,
        scope: units.iter().cloned().collect(),
        suspended: false,
        cross_model: None,
    });
    for u in &units {
        let view = RelView {
            created: true,
            dirty: units
                .iter()
                .filter(|x| *x != u)
                .cloned()
                .map(TextOrdered)
                .collect(),
            ..RelView::default()
        };
        m.insert_view(u, 0, view);
    }
}

/// Juju 3.x `internal/worker/uniter/relation/resolver.go`
/// `nextHookForRelation` walks `allUnitNames.SortedValues()`: unit names
/// sorted as strings, so `many/10` joins and departs before `many/2`.
#[test]
fn joins_and_departures_follow_unit_names_sorted_as_strings() {
    let mut m = model("many", 11);
    peer_relation(&mut m, "many");
    let me = unit("many", 0);
    let mut joined = Vec::new();
    while let Some(Hook::RelationJoined { unit: x, .. }) = next_hook(&m, &me, 0, 0) {
        let view = m.view_mut(&me, 0).unwrap();
        view.members.insert(x.clone(), Some(0));
        view.dirty.remove(&TextOrdered(x.clone()));
        joined.push(x.to_string());
    }
    assert_eq!(joined[..4], ["many/1", "many/10", "many/2", "many/3"]);
    assert_eq!(joined.len(), 10);
    // The unit dies: every member departs, in the same order.
    m.unit_mut(&me).unwrap().life = Life::Dying;
    let mut departed = Vec::new();
    while let Some(Hook::RelationDeparted { unit: x, .. }) = next_hook(&m, &me, 0, 0) {
        m.view_mut(&me, 0).unwrap().members.remove(&x);
        departed.push(x.to_string());
    }
    assert_eq!(departed, joined);
}

/// Juju 3.x `internal/worker/uniter/resolver.go` runs config-changed when
/// `remoteState.ConfigHash != localState.ConfigHash`: config set to y and
/// back to x before the unit looks runs nothing.
#[test]
fn config_changed_follows_the_config_hash_not_a_counter() {
    use super::model::config_hash;
    let mut m = model("a", 1);
    let me = unit("a", 0);
    let set = |m: &mut Model, v: &str| {
        let a = m.app_mut("a").unwrap();
        a.config.insert("k".into(), serde_json::json!(v));
        a.config_hash = config_hash(&a.config);
    };
    set(&mut m, "x");
    let seen = m.app("a").unwrap().config_hash;
    m.unit_mut(&me).unwrap().agent.config_seen = Some(seen);
    assert_eq!(next_hook(&m, &me, 0, 0), None);
    set(&mut m, "y");
    assert_eq!(next_hook(&m, &me, 0, 0), Some(Hook::ConfigChanged));
    set(&mut m, "x");
    assert_eq!(next_hook(&m, &me, 0, 0), None, "back to what it saw");
}

/// A model file written before the hash kept a counter under the old
/// name: it still loads, and the unit that saw it runs nothing new.
#[test]
fn an_old_config_version_field_still_loads() {
    let m = model("a", 1);
    let mut json = serde_json::to_value(m.app("a").unwrap()).unwrap();
    let o = json.as_object_mut().unwrap();
    o.remove("config_hash");
    o.insert("config_version".into(), serde_json::json!(3));
    let app: Application = serde_json::from_value(json).unwrap();
    assert_eq!(app.config_hash, 3);
}

/// Juju's storage instance ids are model-wide (`state/storage.go`
/// `newStorageInstanceId` takes the next value of the one "stores"
/// sequence): two units with `data` storage get `data/0` and `data/1`, the
/// next storage of any name `/2`, and a file from before the counter
/// continues past the numbers in use.
#[test]
fn storage_ids_are_unique_in_the_model() {
    use crate::state::StorageState;
    let mut m = model("a", 2);
    for n in [0, 1] {
        let index = m.next_storage_id();
        m.unit_mut(&unit("a", n))
            .unwrap()
            .storages
            .push(StorageState {
                name: "data".into(),
                index,
                location: None,
            });
    }
    let ids: Vec<u32> = m.units.values().map(|u| u.storages[0].index).collect();
    assert_eq!(ids, [0, 1]);
    assert_eq!(m.next_storage_id(), 2);
    m.meta_mut().next_storage = 0;
    assert_eq!(m.next_storage_id(), 2, "past the numbers in use");
}

/// Juju 3.x `internal/worker/uniter/operation/runhook.go` `Commit`:
/// config-changed on a unit not started queues `start` at once, so a new
/// k8s pod runs start before leader-settings-changed; a machine refresh
/// leaves the unit started, so no start follows its config-changed.
#[test]
fn start_is_queued_by_config_changed_only_when_not_started() {
    let mut m = model("a", 2);
    let me = unit("a", 1);
    let hash = m.app("a").unwrap().config_hash;
    let a = &mut m.unit_mut(&me).unwrap().agent;
    a.lsc_seen = None;
    a.started = false;
    assert_eq!(next_hook(&m, &me, 0, 0), Some(Hook::Start), "new pod");
    let a = &mut m.unit_mut(&me).unwrap().agent;
    a.started = true;
    a.config_seen = None;
    assert_eq!(next_hook(&m, &me, 0, 0), Some(Hook::LeaderSettingsChanged));
    m.unit_mut(&me).unwrap().agent.lsc_seen = Some(0);
    assert_eq!(next_hook(&m, &me, 0, 0), Some(Hook::ConfigChanged));
    m.unit_mut(&me).unwrap().agent.config_seen = Some(hash);
    assert_eq!(next_hook(&m, &me, 0, 0), None, "machine refresh: no start");
}

/// Juju 3.x `internal/worker/uniter/operation/leader.go`: resigning
/// leadership runs no hook (it only records `Leader = false`), and
/// `leadership/resolver.go` then runs leader-settings-changed on a
/// non-leader only when `LeaderSettingsVersion` differs from the one it
/// last ran it at; a change of leader alone does not move that version
/// (`remotestate/watcher.go` bumps it on leader-settings changes only).
#[test]
fn a_lease_moving_runs_leader_elected_and_nothing_else_until_the_settings_move() {
    let mut m = model("a", 3);
    hand_leadership_to(&mut m, "a", 1);
    assert_eq!(
        next_hook(&m, &unit("a", 1), 0, 0),
        Some(Hook::LeaderElected)
    );
    assert_eq!(
        next_hook(&m, &unit("a", 0), 0, 0),
        None,
        "resigned silently"
    );
    assert!(!m.unit(&unit("a", 0)).unwrap().agent.leader);
    assert_eq!(next_hook(&m, &unit("a", 2), 0, 0), None);
    // The new leader writes leader settings: both non-leaders are told.
    m.unit_mut(&unit("a", 1)).unwrap().agent.leader = true;
    leader_set(&mut m, "a");
    for n in [0, 2] {
        assert_eq!(
            next_hook(&m, &unit("a", n), 0, 0),
            Some(Hook::LeaderSettingsChanged)
        );
    }
    assert_eq!(next_hook(&m, &unit("a", 1), 0, 0), None);
}

/// `uniter.go` starts each agent with a fresh `LocalState`, its leader
/// settings version 0 while the watcher's first event makes the remote one
/// 1: a unit leader since its agent started never ran
/// leader-settings-changed, so it runs it once it resigns.
#[test]
fn a_unit_leader_since_its_agent_started_catches_up_when_it_resigns() {
    let mut m = model("a", 2);
    m.unit_mut(&unit("a", 0)).unwrap().agent.lsc_seen = None;
    assert_eq!(next_hook(&m, &unit("a", 0), 0, 0), None, "the leader");
    hand_leadership_to(&mut m, "a", 1);
    assert_eq!(
        next_hook(&m, &unit("a", 0), 0, 0),
        Some(Hook::LeaderSettingsChanged)
    );
    // Leadership back to unit 0: it accepts it again (its agent resigned).
    hand_leadership_to(&mut m, "a", 0);
    assert_eq!(
        next_hook(&m, &unit("a", 0), 0, 0),
        Some(Hook::LeaderElected)
    );
}

/// Juju 3.x `internal/worker/uniter/operation/runhook.go` `Commit` queues
/// config-changed when upgrade-charm commits, and `resolver.go` `NextOp`
/// runs a queued hook before the resolvers that wait for `Continue`
/// (leadership, secrets, relations) and actions (which run only in
/// `Continue` or beside a hook in error): nothing runs between
/// upgrade-charm and config-changed.
#[test]
fn nothing_runs_between_upgrade_charm_and_its_config_changed() {
    let mut m = model("a", 2);
    let me = unit("a", 1);
    let a = &mut m.unit_mut(&me).unwrap().agent;
    a.upgrade_pending = true;
    a.actions.push_back(3);
    a.secret_changed.insert("s1".into());
    // Before the upgrade: secret-changed goes first (secrets and actions
    // come before the main state machine).
    let changed = Hook::SecretChanged {
        secret: "s1".into(),
    };
    assert_eq!(next_hook(&m, &me, 0, 0), Some(changed));
    let mut touched = super::lifecycle::Touched::new();
    super::lifecycle::committed(&mut m, &me, &Hook::UpgradeCharm, 0.5, &mut touched);
    assert_eq!(next_hook(&m, &me, 0, 0), Some(Hook::ConfigChanged));
    super::lifecycle::committed(&mut m, &me, &Hook::ConfigChanged, 0.5, &mut touched);
    assert_eq!(
        next_hook(&m, &me, 0, 0),
        Some(Hook::LeaderSettingsChanged),
        "then the rest, in the resolver's order"
    );
}

/// Juju 3.x `internal/worker/uniter/relation/resolver.go`
/// `processRelationSnapshot`: a suspended relation is broken as a dying
/// one is — every member departs (the departing unit is the remote one),
/// then relation-broken; `createdRelationsResolver` and
/// `statetracker.go` `SynchronizeScopes` skip it, so a unit not in it does
/// not join until it is resumed.
#[test]
fn a_suspended_relation_departs_and_breaks_and_is_not_joined() {
    use super::agent::RelView;
    use super::model::{End, Relation};
    let mut m = model("a", 2);
    let mut b = m.app("a").unwrap().clone();
    b.name = "b".into();
    m.insert_app(b);
    let mut b0 = m.unit(&unit("a", 0)).unwrap().clone();
    b0.name = unit("b", 0);
    m.insert_unit(b0);
    let end = |app: &str, role: &str| End {
        app: app.into(),
        endpoint: "db".into(),
        role: role.into(),
        interface: "i".into(),
    };
    m.insert_relation(Relation {
        id: 0,
        kind: crate::state::RelationKind::Regular,
        ends: vec![end("a", "provides"), end("b", "requires")],
        life: Life::Alive,
        scope: [unit("a", 0), unit("b", 0)].into_iter().collect(),
        suspended: false,
        cross_model: None,
    });
    for (me, other) in [(unit("a", 0), unit("b", 0)), (unit("b", 0), unit("a", 0))] {
        let mut view = RelView {
            created: true,
            ..RelView::default()
        };
        view.members.insert(other, Some(0));
        m.insert_view(&me, 0, view);
    }
    let me = unit("a", 0);
    assert_eq!(next_hook(&m, &me, 0, 0), None);
    assert_eq!(
        next_hook(&m, &unit("a", 1), 0, 0),
        Some(Hook::RelationCreated { relation: 0 }),
        "alive: a/1 enters it"
    );
    m.relation_mut(0).unwrap().suspended = true;
    assert_eq!(
        next_hook(&m, &unit("a", 1), 0, 0),
        None,
        "suspended: not joined"
    );
    assert_eq!(
        next_hook(&m, &me, 0, 0),
        Some(Hook::RelationDeparted {
            relation: 0,
            unit: unit("b", 0),
            departing: unit("b", 0),
        })
    );
    m.view_mut(&me, 0).unwrap().members.clear();
    assert_eq!(
        next_hook(&m, &me, 0, 0),
        Some(Hook::RelationBroken { relation: 0 })
    );
}

/// Juju 3.x `internal/worker/uniter/pebblenotices.go` hands the uniter one
/// Pebble event at a time, in the order Pebble reports them; the workload
/// resolver runs them after start (with pebble-ready) and, like every hook
/// but actions, not while a hook is in error.
#[test]
fn pebble_events_run_in_the_order_they_came() {
    let mut m = model("a", 1);
    let me = unit("a", 0);
    let notice = Hook::PebbleCustomNotice {
        container: "w".into(),
        notice: "1".into(),
    };
    let failed = Hook::PebbleCheckFailed {
        container: "w".into(),
        check: "alive".into(),
    };
    let a = &mut m.unit_mut(&me).unwrap().agent;
    a.workload_events.push_back(failed.clone());
    a.workload_events.push_back(notice.clone());
    a.pebble_ready.insert("w".into());
    a.started = false;
    assert_eq!(
        next_hook(&m, &me, 0, 0),
        Some(Hook::Start),
        "not before start"
    );
    m.unit_mut(&me).unwrap().agent.started = true;
    let ready = Hook::PebbleReady {
        container: "w".into(),
    };
    assert_eq!(next_hook(&m, &me, 0, 0), Some(ready.clone()));
    let mut touched = super::lifecycle::Touched::new();
    super::lifecycle::committed(&mut m, &me, &ready, 0.5, &mut touched);
    assert_eq!(next_hook(&m, &me, 0, 0), Some(failed.clone()));
    fail(&mut m, &me, failed.clone(), None);
    assert_eq!(next_hook(&m, &me, 0, 0), None, "in error");
    m.unit_mut(&me).unwrap().agent.error = None;
    super::lifecycle::committed(&mut m, &me, &failed, 0.5, &mut touched);
    assert_eq!(next_hook(&m, &me, 0, 0), Some(notice.clone()));
    super::lifecycle::committed(&mut m, &me, &notice, 0.5, &mut touched);
    assert_eq!(next_hook(&m, &me, 0, 0), None);
}

/// Juju 3.x `internal/worker/uniter/storage/resolver.go`: a dying
/// attachment of an alive unit (`juju detach-storage`) runs
/// storage-detaching, after actions (the storage resolver comes after the
/// actions resolver in `resolver.go` `NextOp`).
#[test]
fn a_detached_storage_runs_storage_detaching_on_an_alive_unit() {
    let mut m = model("a", 1);
    let me = unit("a", 0);
    let a = &mut m.unit_mut(&me).unwrap().agent;
    a.storage_detaching.insert("logs/3".into());
    a.actions.push_back(1);
    assert_eq!(next_hook(&m, &me, 0, 0), Some(Hook::Action { id: 1 }));
    m.unit_mut(&me).unwrap().agent.actions.clear();
    assert_eq!(
        next_hook(&m, &me, 0, 0),
        Some(Hook::StorageDetaching {
            storage: "logs/3".into()
        })
    );
}

/// Juju 3.x `internal/worker/uniter/reboot/resolver.go`: a detected reboot
/// runs `start` on a started unit before the other resolvers (an action
/// waits), not while a hook is pending (in error).
#[test]
fn after_a_reboot_start_runs_first() {
    let mut m = model("a", 2);
    let me = unit("a", 1);
    let a = &mut m.unit_mut(&me).unwrap().agent;
    a.reboot_start = true;
    a.lsc_seen = None;
    a.actions.push_back(2);
    assert_eq!(next_hook(&m, &me, 0, 0), Some(Hook::Start));
    fail(&mut m, &me, Hook::ConfigChanged, None);
    assert_eq!(
        next_hook(&m, &me, 0, 0),
        Some(Hook::Action { id: 2 }),
        "in error: only actions"
    );
    m.unit_mut(&me).unwrap().agent.error = None;
    let mut touched = super::lifecycle::Touched::new();
    super::lifecycle::committed(&mut m, &me, &Hook::Start, 0.5, &mut touched);
    assert_eq!(next_hook(&m, &me, 0, 0), Some(Hook::LeaderSettingsChanged));
}

/// Juju 3.x `operation/runhook.go` Execute: a hook stopped by
/// `juju-reboot --now` is queued (ErrRequeueAndReboot → Step Queued) and
/// runs again first after the reboot, before an action and before the
/// reboot resolver's `start`, which waits while the operation is RunHook
/// (`reboot/resolver.go`); then `start`.
#[test]
fn a_hook_stopped_by_juju_reboot_now_runs_again_before_the_reboot_start() {
    let mut m = model("a", 2);
    let me = unit("a", 1);
    let a = &mut m.unit_mut(&me).unwrap().agent;
    a.reboot_start = true;
    a.requeued = Some(Hook::ConfigChanged);
    a.actions.push_back(2);
    assert_eq!(next_hook(&m, &me, 0, 0), Some(Hook::ConfigChanged));
    m.unit_mut(&me).unwrap().agent.requeued = None;
    let mut touched = super::lifecycle::Touched::new();
    super::lifecycle::committed(&mut m, &me, &Hook::ConfigChanged, 0.5, &mut touched);
    assert_eq!(next_hook(&m, &me, 0, 0), Some(Hook::Start));
}
