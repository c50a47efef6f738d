//! In-place rolling upgrades, coordinated over a peer relation: the
//! protocol of the data-platform `upgrade` library (shared/seeds), for
//! charms on machines, where `juju refresh` runs upgrade-charm on every unit
//! at once and the units themselves must take turns.
//!
//! - Each unit keeps its state in its peer databag (`state`): `idle`,
//!   `ready`, `upgrading`, `completed`, `failed` or `recovery`.
//! - The operator runs the `pre-upgrade-check` action on the leader before
//!   `juju refresh`: it refuses while the cluster is not idle or when the
//!   charm's [`Upgradable::pre_upgrade_check`] says the cluster is not
//!   ready, and otherwise writes the upgrade stack (unit numbers; the last
//!   upgrades first, the leader by default first in the list, so last).
//! - On upgrade-charm each unit checks that the new charm's
//!   `upgrade_supported` constraints accept the versions running
//!   ([`crate::version`], Poetry's syntax); if not, it fails. Otherwise it
//!   is `ready` (a `failed` unit: `recovery`, its turn at once).
//! - A `ready` unit upgrades when it is the highest-priority unit of the
//!   stack not yet completed, every unit is ready or completed, and none is
//!   upgrading, failed or in recovery: so no two units upgrade at once.
//!   [`Upgradable::upgrade_granted`] does the work; the unit is then
//!   `completed`, or `failed` (its rollback instructions logged, blocked).
//! - When every unit has completed, the leader records the new versions
//!   and clears the stack, and every unit goes back to `idle`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Error, Event, EventKind, Model, Relation, Status, error, info};

/// A unit's upgrade state, from the furthest behind to the furthest on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum UnitState {
    /// Failed, and refreshed back: reinstalled first.
    Recovery,
    /// Its upgrade failed: the upgrade halts.
    Failed,
    /// No upgrade under way.
    Idle,
    /// Refreshed, waiting for its turn.
    Ready,
    /// Its turn: upgrading now.
    Upgrading,
    /// Upgraded.
    Completed,
}

impl UnitState {
    /// The word in the databag.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitState::Recovery => "recovery",
            UnitState::Failed => "failed",
            UnitState::Idle => "idle",
            UnitState::Ready => "ready",
            UnitState::Upgrading => "upgrading",
            UnitState::Completed => "completed",
        }
    }

    fn parse(s: &str) -> Option<UnitState> {
        [
            UnitState::Recovery,
            UnitState::Failed,
            UnitState::Idle,
            UnitState::Ready,
            UnitState::Upgrading,
            UnitState::Completed,
        ]
        .into_iter()
        .find(|u| u.as_str() == s)
    }
}

/// One versioned part of the charm (the charm itself, its workload):
/// its version, the versions it can upgrade from in place, and what it
/// needs of related applications. Versions and constraints are Poetry's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dependency {
    /// What the part is called (in messages).
    pub name: String,
    /// The version this revision carries.
    pub version: String,
    /// The running versions it upgrades from in place (a constraint).
    pub upgrade_supported: String,
    /// Related application → the versions of it this part works with.
    #[serde(default)]
    pub dependencies: BTreeMap<String, String>,
}

/// What the charm supplies to the protocol.
pub trait Upgradable {
    /// Whether the cluster is healthy enough to upgrade; `Err(cause)`
    /// refuses the `pre-upgrade-check` action.
    fn pre_upgrade_check(&mut self, model: &Model) -> Result<(), String>;

    /// The upgrade order of `units` (unit numbers, this application's):
    /// the last element upgrades first. Default: the leader last, the
    /// others from the highest number down.
    fn build_upgrade_stack(&mut self, model: &Model, units: &[u32]) -> Vec<u32> {
        let me = unit_number(model.unit().name());
        let leader = model.unit().is_leader().unwrap_or(false);
        let mut stack: Vec<u32> = units
            .iter()
            .copied()
            .filter(|u| !leader || Some(*u) != me)
            .collect();
        stack.sort_unstable();
        if let (true, Some(me)) = (leader, me) {
            stack.insert(0, me);
        }
        stack
    }

    /// This unit's turn: upgrade its workload. `Err(cause)` marks it
    /// failed and halts the upgrade.
    fn upgrade_granted(&mut self, model: &Model) -> Result<(), String>;

    /// How an operator rolls back, logged when a unit fails.
    fn rollback_instructions(&self) -> String {
        "Upgrade failed. Run `juju refresh` to the previous revision to roll back.".into()
    }

    /// Whether this unit's workload can be upgraded now. `false` keeps the
    /// turn for a later event: a new pod whose Pebble has not answered yet
    /// upgrades at its pebble-ready. Default: always.
    fn workload_reachable(&mut self, _model: &Model) -> bool {
        true
    }

    /// The versions the related applications run (application name →
    /// version), which each part's `dependencies` constrain. Default: none
    /// known, so nothing is checked.
    fn related_versions(&mut self, _model: &Model) -> BTreeMap<String, String> {
        BTreeMap::new()
    }
}

/// Check each part's `dependencies` against the versions the related
/// applications run (`related`: application → version); an application
/// whose version is unknown is not checked. `Err` names the first part,
/// application, constraint and version that do not fit.
pub fn check_dependencies(
    parts: &BTreeMap<String, Dependency>,
    related: &BTreeMap<String, String>,
) -> Result<(), String> {
    for dep in parts.values() {
        for (app, constraint) in &dep.dependencies {
            let Some(running) = related.get(app) else {
                continue;
            };
            let ok = crate::version::satisfies(running, constraint)
                .map_err(|e| format!("{}'s dependency on {app}: {e}", dep.name))?;
            if !ok {
                return Err(format!(
                    "{} {} needs {app} {constraint}, but {app} runs {running}",
                    dep.name, dep.version
                ));
            }
        }
    }
    Ok(())
}

/// The protocol over the peer relation `relation`, for a charm whose parts
/// are `dependencies` (label → part).
pub struct Upgrade {
    relation: String,
    dependencies: BTreeMap<String, Dependency>,
    kubernetes: bool,
    pause_after_first: bool,
}

const STATE: &str = "state";
const CAUSE: &str = "cause";
const STACK: &str = "upgrade-stack";
const VERSIONS: &str = "versions";
const RESUMED: &str = "upgrade-resumed";
/// How the protocol's actions refuse off the leader (the seed's words).
const NOT_LEADER: &str = "Action must be ran on the Juju leader.";
/// The operator's action before `juju refresh`.
pub const PRE_UPGRADE_CHECK: &str = "pre-upgrade-check";
/// The operator's action letting a paused Kubernetes upgrade go on after
/// its first unit ([`Upgrade::pause_after_first`]).
pub const RESUME_UPGRADE: &str = "resume-upgrade";

fn unit_number(unit: &str) -> Option<u32> {
    unit.rsplit_once('/').and_then(|(_, n)| n.parse().ok())
}

impl Upgrade {
    /// The protocol on the peer relation `relation`.
    pub fn new(relation: &str, dependencies: BTreeMap<String, Dependency>) -> Upgrade {
        Upgrade {
            relation: relation.to_string(),
            dependencies,
            kubernetes: false,
            pause_after_first: false,
        }
    }

    /// Kubernetes: once the first unit (the highest ordinal) has upgraded,
    /// hold the partition until the operator runs `resume-upgrade` on the
    /// leader, so the new revision can be checked on one unit first.
    pub fn pause_after_first(mut self) -> Upgrade {
        self.pause_after_first = true;
        self
    }

    /// The Kubernetes path: a refresh replaces the pods one at a time from
    /// the highest ordinal, held back by the StatefulSet's partition, which
    /// the leader sets at `pre-upgrade-check` (to the highest ordinal) and
    /// lowers as each unit completes. The stack is the ordinals; a unit's
    /// turn comes with its new pod. The charm declares `charmbox:
    /// kubernetes: [statefulset-partition]` and must be trusted.
    pub fn on_kubernetes(mut self) -> Upgrade {
        self.kubernetes = true;
        self
    }

    fn peers(&self, model: &Model) -> Result<Option<Relation>, Error> {
        model.get_relation(&self.relation)
    }

    /// This unit's state (`idle` before the relation exists).
    pub fn state(&self, model: &Model) -> Result<UnitState, Error> {
        let Some(peers) = self.peers(model)? else {
            return Ok(UnitState::Idle);
        };
        Ok(read_state(&peers, model.unit().name())?.unwrap_or(UnitState::Idle))
    }

    /// Every unit's state, by unit number (a unit that has not said yet:
    /// `idle`).
    fn states(&self, model: &Model, peers: &Relation) -> Result<BTreeMap<u32, UnitState>, Error> {
        let mut out = BTreeMap::new();
        let me = model.unit().name().to_string();
        for unit in peers.units()?.into_iter().chain([me]) {
            if let Some(n) = unit_number(&unit) {
                out.insert(n, read_state(peers, &unit)?.unwrap_or(UnitState::Idle));
            }
        }
        Ok(out)
    }

    /// Run the protocol for `event`: true when the event was the
    /// protocol's own (the `pre-upgrade-check` action, upgrade-charm).
    /// Call it first in the charm's handler, for every event.
    pub fn handle<C: Upgradable>(
        &self,
        charm: &mut C,
        event: &Event,
        model: &Model,
    ) -> Result<bool, Error> {
        let Some(peers) = self.peers(model)? else {
            if event.action_name() == Some(PRE_UPGRADE_CHECK) {
                event.fail("the upgrade relation is not there yet")?;
                return Ok(true);
            }
            return Ok(false);
        };
        let me = model.unit().name().to_string();
        let leader = model.unit().is_leader()?;
        if read_state(&peers, &me)?.is_none() {
            set_state(&peers, UnitState::Idle)?;
        }
        if leader && peers.local_app_data().get(VERSIONS)?.is_none() {
            peers
                .local_app_data()
                .set_json(VERSIONS, &self.versions())?;
        }
        let own = if event.action_name() == Some(PRE_UPGRADE_CHECK) {
            self.pre_upgrade_check(charm, event, model, &peers, leader)?;
            true
        } else if self.kubernetes && event.action_name() == Some(RESUME_UPGRADE) {
            self.resume_upgrade(event, model, &peers, leader)?;
            true
        } else if event.kind() == EventKind::UpgradeCharm {
            self.upgrade_charm(charm, model, &peers)?;
            true
        } else {
            false
        };
        if event.kind() != EventKind::Action {
            self.advance(charm, model, &peers, leader)?;
        }
        Ok(own)
    }

    fn versions(&self) -> BTreeMap<String, String> {
        self.dependencies
            .iter()
            .map(|(k, d)| (k.clone(), d.version.clone()))
            .collect()
    }

    fn pre_upgrade_check<C: Upgradable>(
        &self,
        charm: &mut C,
        event: &Event,
        model: &Model,
        peers: &Relation,
        leader: bool,
    ) -> Result<(), Error> {
        if !leader {
            return event.fail(NOT_LEADER);
        }
        let states = self.states(model, peers)?;
        if states.values().any(|s| *s != UnitState::Idle) {
            return event.fail("Cannot run pre-upgrade checks, cluster already upgrading.");
        }
        if let Err(cause) = charm.pre_upgrade_check(model) {
            return event.fail(&format!(
                "Pre-upgrade check failed and cannot safely upgrade: {cause}"
            ));
        }
        let units: Vec<u32> = states.keys().copied().collect();
        let stack = if self.kubernetes {
            // The StatefulSet replaces the highest ordinal first.
            let top = units.last().copied().unwrap_or(0);
            if let Err(e) = crate::kubernetes::set_statefulset_partition(top) {
                return event.fail(&format!("cannot set the StatefulSet's partition: {e}"));
            }
            units
        } else {
            charm.build_upgrade_stack(model, &units)
        };
        peers.local_app_data().set_json(STACK, &stack)?;
        event.set_results([(
            "message",
            format!("Pre-upgrade check successful. Upgrade stack: {stack:?}"),
        )])
    }

    fn upgrade_charm<C: Upgradable>(
        &self,
        charm: &mut C,
        model: &Model,
        peers: &Relation,
    ) -> Result<(), Error> {
        let stacked = peers.local_app_data().get(STACK)?.is_some();
        if self.kubernetes && !stacked {
            // A new pod without an upgrade (a deleted pod): nothing to do.
            return Ok(());
        }
        let running: BTreeMap<String, String> = peers
            .local_app_data()
            .get_json(VERSIONS)?
            .unwrap_or_default();
        if let Err(cause) = check_dependencies(&self.dependencies, &charm.related_versions(model)) {
            return self.fail(charm, model, peers, &cause);
        }
        for (label, dep) in &self.dependencies {
            let Some(current) = running.get(label) else {
                continue;
            };
            let ok = crate::version::satisfies(current, &dep.upgrade_supported)
                .map_err(|e| Error::msg(format!("{label}'s upgrade_supported: {e}")))?;
            if !ok {
                let cause = format!(
                    "{} {current} cannot be upgraded in place to {} (supported: {})",
                    dep.name, dep.version, dep.upgrade_supported
                );
                return self.fail(charm, model, peers, &cause);
            }
        }
        if peers
            .local_app_data()
            .get_json::<Vec<u32>>(STACK)?
            .is_none()
        {
            return self.fail(
                charm,
                model,
                peers,
                "pre-upgrade-check was not run before the refresh",
            );
        }
        match self.state(model)? {
            UnitState::Failed | UnitState::Recovery => set_state(peers, UnitState::Recovery),
            _ => {
                set_state(peers, UnitState::Ready)?;
                model
                    .unit()
                    .set_status(Status::waiting("waiting to upgrade"))
            }
        }
    }

    fn fail<C: Upgradable>(
        &self,
        charm: &C,
        model: &Model,
        peers: &Relation,
        cause: &str,
    ) -> Result<(), Error> {
        error!("upgrade of {} failed: {cause}", model.unit().name());
        error!("{}", charm.rollback_instructions());
        set_state(peers, UnitState::Failed)?;
        peers.local_unit_data().set(CAUSE, cause)?;
        model.unit().set_status(Status::blocked(format!(
            "upgrade failed: {cause}; check the logs for rollback instructions"
        )))
    }

    /// Take this unit's turn if it has come, and finish when all have.
    fn advance<C: Upgradable>(
        &self,
        charm: &mut C,
        model: &Model,
        peers: &Relation,
        leader: bool,
    ) -> Result<(), Error> {
        let me = model.unit().name().to_string();
        let mut states = self.states(model, peers)?;
        let stack: Vec<u32> = peers.local_app_data().get_json(STACK)?.unwrap_or_default();
        let own = states.get(&unit_number(&me).unwrap_or(u32::MAX)).copied();
        let busy = states.values().any(|s| {
            matches!(
                s,
                UnitState::Upgrading | UnitState::Failed | UnitState::Recovery
            )
        });
        let all_set = states.values().all(|s| {
            matches!(
                s,
                UnitState::Ready | UnitState::Completed | UnitState::Recovery
            )
        });
        let next = stack
            .iter()
            .rev()
            .find(|u| states.get(u).is_some_and(|s| *s != UnitState::Completed));
        // On Kubernetes the units not replaced yet are still idle.
        let all_set = all_set || self.kubernetes;
        let granted = match own {
            Some(UnitState::Recovery) => true,
            Some(UnitState::Ready) => !busy && all_set && next == unit_number(&me).as_ref(),
            _ => false,
        };
        if granted && !charm.workload_reachable(model) {
            info!("{me}'s turn: waiting for its workload before upgrading");
        } else if granted {
            info!("upgrade granted to {me}");
            set_state(peers, UnitState::Upgrading)?;
            match charm.upgrade_granted(model) {
                Ok(()) => {
                    info!("{me} upgraded");
                    set_state(peers, UnitState::Completed)?;
                    if let Some(n) = unit_number(&me) {
                        states.insert(n, UnitState::Completed);
                    }
                }
                Err(cause) => return self.fail(charm, model, peers, &cause),
            }
        }
        let done = !stack.is_empty() && states.values().all(|s| *s == UnitState::Completed);
        if self.kubernetes && leader && !done && !stack.is_empty() {
            let held = self.pause_after_first
                && peers.local_app_data().get(RESUMED)?.is_none()
                && stack
                    .last()
                    .is_some_and(|first| states.get(first) == Some(&UnitState::Completed));
            if !held {
                self.move_partition(&stack, &states)?;
            } else {
                info!("the first unit upgraded: run `resume-upgrade` on the leader to go on");
            }
        }
        if leader && done {
            info!("every unit upgraded: the upgrade is finished");
            peers
                .local_app_data()
                .set_json(VERSIONS, &self.versions())?;
            peers.local_app_data().remove(STACK)?;
            peers.local_app_data().remove(RESUMED)?;
            set_state(peers, UnitState::Idle)?;
        } else if !leader
            && stack.is_empty()
            && states.get(&unit_number(&me).unwrap_or(u32::MAX)) == Some(&UnitState::Completed)
        {
            set_state(peers, UnitState::Idle)?;
        }
        Ok(())
    }
}

impl Upgrade {
    /// `resume-upgrade` (Kubernetes, on the leader): let a paused upgrade go
    /// on past its first unit.
    fn resume_upgrade(
        &self,
        event: &Event,
        model: &Model,
        peers: &Relation,
        leader: bool,
    ) -> Result<(), Error> {
        if !leader {
            return event.fail(NOT_LEADER);
        }
        let stack: Vec<u32> = peers.local_app_data().get_json(STACK)?.unwrap_or_default();
        let Some(first) = stack.last() else {
            return event
                .fail("No upgrade in progress: run pre-upgrade-check, then `juju refresh`.");
        };
        let states = self.states(model, peers)?;
        if let Some((n, _)) = states
            .iter()
            .find(|(_, s)| matches!(s, UnitState::Failed | UnitState::Recovery))
        {
            return event.fail(&format!(
                "Cannot resume: unit {n} failed its upgrade; refresh back to recover first."
            ));
        }
        if states.get(first) != Some(&UnitState::Completed) {
            return event.fail(&format!(
                "Cannot resume: unit {first}, the first to upgrade, has not completed yet."
            ));
        }
        peers.local_app_data().set(RESUMED, "true")?;
        self.move_partition(&stack, &states)?;
        let now =
            crate::kubernetes::statefulset_partition().map_err(|e| Error::msg(e.to_string()))?;
        event.set_results([(
            "message",
            format!("Upgrade resumed. The StatefulSet's partition is now {now}."),
        )])
    }

    /// Lower the partition to the next unit of the stack once every unit
    /// above it has completed (never while one is failed or recovering).
    fn move_partition(
        &self,
        stack: &[u32],
        states: &BTreeMap<u32, UnitState>,
    ) -> Result<(), Error> {
        if states.values().any(|s| {
            matches!(
                s,
                UnitState::Failed | UnitState::Recovery | UnitState::Upgrading
            )
        }) {
            return Ok(());
        }
        let Some(next) = stack
            .iter()
            .rev()
            .find(|u| states.get(u).is_some_and(|s| *s != UnitState::Completed))
        else {
            return Ok(());
        };
        let now =
            crate::kubernetes::statefulset_partition().map_err(|e| Error::msg(e.to_string()))?;
        if *next < now {
            info!("lowering the StatefulSet's partition to {next}");
            crate::kubernetes::set_statefulset_partition(*next)
                .map_err(|e| Error::msg(e.to_string()))?;
        }
        Ok(())
    }
}

fn read_state(peers: &Relation, unit: &str) -> Result<Option<UnitState>, Error> {
    let raw = peers.unit_data(unit).get(STATE)?;
    Ok(raw.as_deref().and_then(UnitState::parse))
}

fn set_state(peers: &Relation, state: UnitState) -> Result<(), Error> {
    peers.local_unit_data().set(STATE, state.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_order_from_furthest_behind() {
        let mut v = [UnitState::Completed, UnitState::Ready, UnitState::Upgrading];
        v.sort();
        assert_eq!(v[0], UnitState::Ready);
        for s in [
            UnitState::Recovery,
            UnitState::Failed,
            UnitState::Idle,
            UnitState::Completed,
        ] {
            assert_eq!(UnitState::parse(s.as_str()), Some(s));
        }
        assert_eq!(UnitState::parse("upgraded"), None);
    }

    fn part(deps: &[(&str, &str)]) -> BTreeMap<String, Dependency> {
        let dep = Dependency {
            name: "kvdb".into(),
            version: "2.0".into(),
            upgrade_supported: ">1".into(),
            dependencies: deps
                .iter()
                .map(|(a, c)| (a.to_string(), c.to_string()))
                .collect(),
        };
        BTreeMap::from([("kvdb_service".to_string(), dep)])
    }

    #[test]
    fn related_application_versions_are_checked_against_dependencies() {
        let related = |v: &str| BTreeMap::from([("proxy".to_string(), v.to_string())]);
        let deps = part(&[("proxy", "^2.1")]);
        assert_eq!(check_dependencies(&deps, &related("2.4")), Ok(()));
        assert_eq!(
            check_dependencies(&deps, &related("1.9")),
            Err("kvdb 2.0 needs proxy ^2.1, but proxy runs 1.9".into())
        );
        // A related application whose version is not known is not checked.
        assert_eq!(check_dependencies(&deps, &BTreeMap::new()), Ok(()));
        let bad = check_dependencies(&part(&[("proxy", "^^2")]), &related("2.0")).unwrap_err();
        assert!(bad.starts_with("kvdb's dependency on proxy: "), "{bad}");
    }

    #[test]
    fn unit_numbers_come_from_unit_names() {
        assert_eq!(unit_number("kvdb/12"), Some(12));
        assert_eq!(unit_number("kvdb"), None);
    }
}
