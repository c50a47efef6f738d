//! Operations on a deployed application or unit: config, k8s pod churn,
//! refresh, actions, resolve, model settings.

use std::collections::BTreeMap;
use std::path::Path;

use super::super::charms::open_as;
use super::super::lifecycle::{self, Touched};
use super::super::model::{ActionRecord, ActionStatus, Life, PodExit, Substrate};
use super::super::names::UnitName;
use super::super::scheduler::draw_unit;
use super::super::series;
use super::super::{SimError, Simulator};
use super::{check_config, not_found, usage};
use crate::state::ContainerState;

impl Simulator {
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
        a.config_hash = super::super::model::config_hash(&config);
        a.config = config;
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
        let (loaded, charm_name) = open_as(&self.rt, &path, Some(app), a.native)?;
        let meta = loaded.meta().clone();
        check_config(&meta, &a.config)?;
        let a = self.model.app_mut(app).expect("app");
        a.charm = path;
        a.charm_rev += 1;
        a.charm_hash = loaded.hash();
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
        self.add_peer_relations(app, &meta);
        self.upgrade_units(app, a.subordinate)
    }

    /// New workload images for `app`'s containers (`juju refresh
    /// --resource`, k8s): each container named here replaces the one the
    /// pods start from. Pods take it when they are next replaced: a
    /// refresh's rollout, a churn.
    pub fn set_images(&mut self, app: &str, images: &[ContainerState]) -> Result<(), SimError> {
        if self.model.meta.kind != Substrate::Kubernetes {
            return usage("workload images are a Kubernetes application's (k8s models)");
        }
        let meta = self.meta_of(app)?;
        let a = self
            .model
            .app_mut(app)
            .ok_or_else(|| not_found("application", app))?;
        for image in images {
            if !meta.containers.contains(&image.name) {
                return usage(format!(
                    "charm of {app:?} has no container {:?}",
                    image.name
                ));
            }
            a.containers.retain(|c| c.name != image.name);
            a.containers.push(image.clone());
        }
        a.containers.sort_by(|x, y| x.name.cmp(&y.name));
        Ok(())
    }

    /// `kubectl patch statefulset APP` of the rolling-update partition
    /// (k8s): pods with an ordinal below `partition` are not updated; a
    /// lower partition lets a waiting rollout go on.
    pub fn set_partition(&mut self, app: &str, partition: u32) -> Result<(), SimError> {
        if self.model.meta.kind != Substrate::Kubernetes {
            return usage("a partition is a Kubernetes StatefulSet's (k8s models)");
        }
        let a = self
            .model
            .app_mut(app)
            .ok_or_else(|| not_found("application", app))?;
        a.partition = partition;
        let mut touched = Touched::new();
        crate::sim::rollout::advance(&mut self.model, app, &mut touched);
        self.finish_op(touched)
    }

    /// Every alive unit of `app` upgrades: in place on machines (and for
    /// subordinates), in a new pod on k8s.
    fn upgrade_units(&mut self, app: &str, subordinate: bool) -> Result<(), SimError> {
        let mut touched = Touched::new();
        if self.model.meta.kind == Substrate::Kubernetes && !subordinate {
            // The StatefulSet's rolling update: one pod at a time.
            crate::sim::rollout::start(&mut self.model, app, &mut touched);
            return self.finish_op(touched);
        }
        for u in self.model.alive_units(app) {
            if let Some(unit) = self.model.unit_mut(&u) {
                unit.agent.upgrade_pending = true;
                touched.insert(u);
            }
        }
        self.finish_op(touched)
    }

    /// `juju attach-resource APP NAME=FILE`: a new revision of one of the
    /// charm's resources moves the application's charm-modified version, so
    /// every unit upgrades as on a refresh: upgrade-charm then
    /// config-changed on machines (Juju 3.x `internal/worker/uniter/resolver.go`
    /// `charmModified` compares `CharmModifiedVersion`); on k8s the pods are
    /// replaced first (`remotestate/watcher.go` `applicationChanged`: a
    /// sidecar unit waits for its pod to be recreated). The charm stays.
    pub fn attach_resource(&mut self, app: &str, resource: &str) -> Result<(), SimError> {
        let meta = self.meta_of(app)?;
        if !meta.resources.contains(resource) {
            return usage(format!("charm of {app:?} has no resource {resource:?}"));
        }
        let subordinate = self.model.app(app).is_some_and(|a| a.subordinate);
        self.upgrade_units(app, subordinate)
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
        let Some(schema) = meta.actions.get(action) else {
            return usage(format!("charm has no action {action:?}"));
        };
        // Juju checks the parameters when the action is queued (`juju run`
        // fails at once) and stores them with the schema's defaults.
        let mut payload: serde_json::Map<_, _> = params.into_iter().collect();
        crate::juju::action_schema::validate(schema, &payload).map_err(SimError::Usage)?;
        crate::juju::action_schema::insert_defaults(schema, &mut payload);
        let params = payload.into_iter().collect();
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

    /// `juju trust APP` (`trusted`) or `juju trust APP --remove`: every
    /// unit runs config-changed, as Juju compares the trust setting's hash
    /// with the one seen at the last config-changed (Juju 3.x
    /// `internal/worker/uniter/resolver.go`, `TrustHash`). The same trust
    /// again changes nothing.
    pub fn trust(&mut self, app: &str, trusted: bool) -> Result<(), SimError> {
        let a = self
            .model
            .app(app)
            .ok_or_else(|| not_found("application", app))?;
        if a.trusted == trusted {
            return Ok(());
        }
        self.model.app_mut(app).expect("app exists").trusted = trusted;
        let touched = self.model.app_units(app).into_iter().collect();
        self.finish_op(touched)
    }

    /// The unit's machine or pod gets a new address: the unit runs
    /// config-changed (`resolver.go` compares `AddressesHash`), and the
    /// charm sees the new address from then on. Relation data the unit
    /// published is left to the charm to update.
    pub fn set_address(&mut self, unit: &str, address: &str) -> Result<(), SimError> {
        let name = self.unit_name(unit)?;
        if address.parse::<std::net::IpAddr>().is_err() {
            return usage(format!("{address:?} is not an IP address"));
        }
        let u = self.model.unit_mut(&name).expect("unit_name checked it");
        if u.address == address {
            return Ok(());
        }
        u.address = address.to_string();
        self.finish_op([name].into_iter().collect())
    }

    /// The unit's agent restarts (`systemctl restart` of a machine unit's
    /// agent, or the container agent in the pod): the uniter starts from a
    /// fresh local state, so a non-leader runs leader-settings-changed
    /// again; nothing else runs (see [`lifecycle::restart_agent`]).
    pub fn restart_agent(&mut self, unit: &str) -> Result<(), SimError> {
        let name = self.unit_name(unit)?;
        let mut touched = Touched::new();
        let r = draw_unit(&mut self.model);
        lifecycle::restart_agent(&mut self.model, &name, r, &mut touched);
        self.finish_op(touched)
    }

    /// The machine of `unit` reboots (machine models): every unit on it —
    /// the principal and its subordinates — restarts its agent (see
    /// [`Simulator::restart_agent`]) and, if it had started, runs `start`
    /// before anything else (Juju 3.x `internal/worker/uniter/reboot/resolver.go`
    /// runs start once a reboot is detected, waiting for a pending hook).
    /// Returns the units rebooted.
    pub fn reboot(&mut self, unit: &str) -> Result<Vec<String>, SimError> {
        let name = self.unit_name(unit)?;
        if self.model.meta.kind != Substrate::Machine {
            return usage("reboot is for machine models (a pod is churned instead)");
        }
        let mut touched = Touched::new();
        let on = self.reboot_machine(&name, &mut touched);
        self.finish_op(touched)?;
        Ok(on.iter().map(|u| u.to_string()).collect())
    }

    /// Reboot the machine of `name` (see [`Simulator::reboot`]): the units
    /// on it, the principal first.
    pub(in crate::sim) fn reboot_machine(
        &mut self,
        name: &UnitName,
        touched: &mut Touched,
    ) -> Vec<UnitName> {
        let machine = series::machine_of(&self.model, name);
        let on = series::units_on(&self.model, &machine);
        for u in &on {
            let r = draw_unit(&mut self.model);
            lifecycle::restart_agent(&mut self.model, u, r, touched);
            if let Some(unit) = self.model.unit_mut(u) {
                unit.agent.reboot_start = unit.agent.started;
                crate::machine::boot(&mut unit.machine);
            }
        }
        on
    }

    /// `juju upgrade-machine MACHINE prepare BASE` (Juju 3.x, machine
    /// models; the machine is named by a unit on it): every unit on the
    /// machine runs `pre-series-upgrade`, then their agents stop until
    /// [`Simulator::upgrade_machine_complete`] (see `sim/series.rs`).
    pub fn upgrade_machine_prepare(&mut self, unit: &str, base: &str) -> Result<(), SimError> {
        let machine = self.machine_for_upgrade(unit)?;
        crate::juju::bases::series_of(base).map_err(SimError::Usage)?;
        if let Some(up) = series::upgrade_of(&self.model, &machine) {
            return usage(format!(
                "the machine of {machine} is already being upgraded to {}",
                up.target
            ));
        }
        if let Some(p) = self.model.unit_mut(&machine) {
            p.machine_upgrade = Some(series::MachineUpgrade {
                target: base.to_string(),
                phase: series::MachinePhase::PrepareStarted,
            });
        }
        let touched = series::units_on(&self.model, &machine)
            .into_iter()
            .collect();
        self.finish_op(touched)
    }

    /// `juju upgrade-machine MACHINE complete`: the machine's unit agents
    /// start again and each runs `post-series-upgrade`.
    pub fn upgrade_machine_complete(&mut self, unit: &str) -> Result<(), SimError> {
        let machine = self.machine_for_upgrade(unit)?;
        let phase = series::upgrade_of(&self.model, &machine).map(|u| u.phase);
        if phase != Some(series::MachinePhase::PrepareCompleted) {
            return usage(format!(
                "the machine of {machine} is not prepared: run prepare, and let every unit on it \
                 run pre-series-upgrade first"
            ));
        }
        series::complete(&mut self.model, &machine);
        // The stopped agents start again with fresh local state, as any
        // agent restart.
        let mut touched = Touched::new();
        for u in series::units_on(&self.model, &machine) {
            let r = draw_unit(&mut self.model);
            lifecycle::restart_agent(&mut self.model, &u, r, &mut touched);
        }
        self.finish_op(touched)
    }

    fn machine_for_upgrade(&self, unit: &str) -> Result<UnitName, SimError> {
        let name = self.unit_name(unit)?;
        if self.model.meta.kind != Substrate::Machine {
            return usage("upgrade-machine is for machine models");
        }
        Ok(series::machine_of(&self.model, &name))
    }

    /// Change model settings (e.g. `automatically-retry-hooks`).
    pub fn set_settings(
        &mut self,
        f: impl FnOnce(&mut super::super::model::Settings),
    ) -> Result<(), SimError> {
        f(&mut self.model.meta_mut().settings);
        self.finish_op(Touched::new())
    }
}
