//! The workload side of a k8s unit: one of its workload containers
//! restarting (Kubernetes restarts a crashed or OOM-killed container in the
//! same pod), a custom notice in it (`pebble notify`), a Pebble check
//! failing or recovering.

use super::super::hook::Hook;
use super::super::lifecycle::Touched;
use super::super::model::{Life, Substrate};
use super::super::names::UnitName;
use super::super::{SimError, Simulator};
use super::usage;
use crate::pebble::notices::valid_custom_key;
use crate::state::ContainerState;
use crate::state::container::{CheckState, NoticeState};

/// Whether a check failed or recovered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckChange {
    /// The check reached its failure threshold (`perform-check` errored).
    Failed,
    /// It succeeded again (`recover-check` done).
    Recovered,
}

impl Simulator {
    /// A workload container of `unit` restarts: its Pebble comes back with a
    /// new boot id, so the unit runs `<container>-pebble-ready` again (Juju
    /// 3.x `internal/worker/uniter/pebblepoller.go` queues pebble-ready
    /// whenever a container's Pebble boot id changes). The container starts
    /// from the image again, as a new pod's do: the layers, services and
    /// files the charm gave it are gone. The charm container, the unit's
    /// other containers and its data stay.
    pub fn restart_container(&mut self, unit: &str, container: &str) -> Result<(), SimError> {
        let name = self.unit_name(unit)?;
        if self.model.meta.kind != Substrate::Kubernetes {
            return usage("workload containers are for Kubernetes models");
        }
        let app = self.model.app(&name.app).expect("unit_name checked it");
        let Some(template) = app.containers.iter().find(|c| c.name == container).cloned() else {
            return usage(format!("unit {unit} has no container {container:?}"));
        };
        let u = self.model.unit_mut(&name).expect("unit_name checked it");
        if u.life != Life::Alive {
            return usage(format!("unit {unit} is being removed"));
        }
        if let Some(c) = u.containers.iter_mut().find(|c| c.name == container) {
            *c = template;
        }
        u.agent.pebble_ready.insert(container.to_string());
        // The old Pebble's notices went with it.
        u.agent
            .workload_events
            .retain(|h| workload_container(h) != Some(container));
        let touched: Touched = [name].into_iter().collect();
        self.finish_op(touched)
    }
}

/// The container a Pebble event is about.
fn workload_container(h: &Hook) -> Option<&str> {
    match h {
        Hook::PebbleCustomNotice { container, .. }
        | Hook::PebbleCheckFailed { container, .. }
        | Hook::PebbleCheckRecovered { container, .. } => Some(container),
        _ => None,
    }
}

impl Simulator {
    /// The unit (alive, in a k8s model) and its workload container.
    fn workload(&self, unit: &str, container: &str) -> Result<UnitName, SimError> {
        let name = self.unit_name(unit)?;
        if self.model.meta.kind != Substrate::Kubernetes {
            return usage("workload containers are for Kubernetes models");
        }
        let u = self.model.unit(&name).expect("unit_name checked it");
        if u.life != Life::Alive {
            return usage(format!("unit {unit} is being removed"));
        }
        if !u.containers.iter().any(|c| c.name == container) {
            return usage(format!("unit {unit} has no container {container:?}"));
        }
        Ok(name)
    }

    fn container_mut(&mut self, name: &UnitName, container: &str) -> &mut ContainerState {
        let u = self.model.unit_mut(name).expect("checked by workload");
        (u.containers.iter_mut())
            .find(|c| c.name == container)
            .expect("checked by workload")
    }

    /// `pebble notify KEY` in a workload container: Pebble records a custom
    /// notice (a repeat of the key counts another occurrence of the same
    /// notice) and the unit runs `<container>-pebble-custom-notice` for it
    /// (Juju 3.x `internal/worker/uniter/pebblenotices.go` turns each custom
    /// notice into that event, one at a time in the order Pebble reports
    /// them). Returns the notice id.
    pub fn pebble_notify(
        &mut self,
        unit: &str,
        container: &str,
        key: &str,
    ) -> Result<String, SimError> {
        let name = self.workload(unit, container)?;
        if !valid_custom_key(key) {
            return usage(format!(
                "invalid custom notice key {key:?}: it must look like \"example.com/path\""
            ));
        }
        let now = super::super::project::rfc3339(self.model.meta.now);
        let c = self.container_mut(&name, container);
        let next = (c.notices.iter())
            .filter_map(|n| n.id.parse::<u64>().ok())
            .max()
            .unwrap_or(0)
            + 1;
        let kind = |n: &NoticeState| n.kind.is_empty() || n.kind == "custom";
        let id = match c
            .notices
            .iter_mut()
            .find(|n| kind(n) && n.key == key && n.user_id.is_none())
        {
            Some(n) => {
                n.occurrences += 1;
                n.last_occurred = Some(now.clone());
                n.last_repeated = Some(now);
                n.id.clone()
            }
            None => {
                c.notices.push(NoticeState {
                    id: next.to_string(),
                    kind: "custom".into(),
                    key: key.to_string(),
                    first_occurred: Some(now.clone()),
                    last_occurred: Some(now.clone()),
                    last_repeated: Some(now),
                    occurrences: 1,
                    ..NoticeState::default()
                });
                next.to_string()
            }
        };
        let u = self.model.unit_mut(&name).expect("checked");
        u.agent.workload_events.push_back(Hook::PebbleCustomNotice {
            container: container.to_string(),
            notice: id.clone(),
        });
        self.finish_op([name].into_iter().collect())?;
        Ok(id)
    }

    /// A Pebble check of a workload container fails (reaches its failure
    /// threshold) or recovers: the check's state says so and the unit runs
    /// `<container>-pebble-check-failed` or `-recovered`
    /// (`pebblenotices.go`: a `perform-check` change in error, or a
    /// `recover-check` change done). The check must be in the container's
    /// plan, and a check fails only when up and recovers only when down.
    pub fn pebble_check(
        &mut self,
        unit: &str,
        container: &str,
        check: &str,
        change: CheckChange,
    ) -> Result<(), SimError> {
        let name = self.workload(unit, container)?;
        let c = self.container_mut(&name, container);
        let plan = crate::pebble::snapshot::plan_checks(c).map_err(SimError::Usage)?;
        if !plan.iter().any(|p| p == check) {
            return usage(format!(
                "container {container:?} of {unit} has no check {check:?} in its plan"
            ));
        }
        let st = c
            .checks
            .entry(check.to_string())
            .or_insert_with(|| CheckState {
                status: "up".into(),
                ..CheckState::default()
            });
        let down = st.status == "down";
        let hook = match (change, down) {
            (CheckChange::Failed, false) => {
                st.status = "down".into();
                st.failures = st.failures.max(1);
                Hook::PebbleCheckFailed {
                    container: container.to_string(),
                    check: check.to_string(),
                }
            }
            (CheckChange::Recovered, true) => {
                st.status = "up".into();
                st.failures = 0;
                Hook::PebbleCheckRecovered {
                    container: container.to_string(),
                    check: check.to_string(),
                }
            }
            (CheckChange::Failed, true) => {
                return usage(format!("check {check:?} is already down"));
            }
            (CheckChange::Recovered, false) => {
                return usage(format!("check {check:?} is not down"));
            }
        };
        let u = self.model.unit_mut(&name).expect("checked");
        u.agent.workload_events.push_back(hook);
        self.finish_op([name].into_iter().collect())
    }
}
