//! A unit as the controller holds it. Its workload status is private:
//! only the model writes it, with the status revision kept projections
//! rely on.

use serde::{Deserialize, Serialize};

use super::{Agent, Life, UnitStatus};
use crate::sim::names::UnitName;
use crate::state::{Bag, ContainerState, PortState, StatusState, StorageState};

/// One unit and what the controller holds for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    pub name: UnitName,
    pub life: Life,
    /// A subordinate's principal unit.
    pub principal: Option<UnitName>,
    /// Written only by [`Model::set_status_of`](super::Model::set_status_of),
    /// which moves the application's status revision with it (kept
    /// projections rely on it).
    status: UnitStatus,
    /// Whether the charm ever set the workload status.
    pub status_set: bool,
    pub workload_version: String,
    pub unit_state: Bag,
    pub ports: Vec<PortState>,
    pub storages: Vec<StorageState>,
    pub containers: Vec<ContainerState>,
    /// Its machine (machine charms): packages, services, commands run.
    #[serde(default, skip_serializing_if = "crate::state::MachineState::is_empty")]
    pub machine: crate::state::MachineState,
    pub address: String,
    /// Pod generation (k8s): bumped each time the pod is recreated.
    pub pod: u32,
    pub agent: Agent,
    /// `--force`: when the controller removes the unit whatever is left of
    /// its teardown (ns of virtual time; Juju's forced-destroy cleanup).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_removal_at: Option<u64>,
    /// A principal's machine being upgraded (`juju upgrade-machine`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_upgrade: Option<crate::sim::agent::MachineUpgrade>,
}

impl Unit {
    /// A new alive unit `name` with status `status`, nothing else set.
    pub fn new(name: UnitName, status: StatusState) -> Unit {
        Unit {
            name,
            life: Life::Alive,
            principal: None,
            status: UnitStatus::new(status),
            status_set: false,
            workload_version: String::new(),
            unit_state: Bag::new(),
            ports: Vec::new(),
            storages: Vec::new(),
            containers: Vec::new(),
            machine: Default::default(),
            address: String::new(),
            pod: 0,
            agent: Agent::default(),
            force_removal_at: None,
            machine_upgrade: None,
        }
    }

    /// The unit's workload status.
    pub fn status(&self) -> &UnitStatus {
        &self.status
    }

    /// Replace the status; its stamp, for the model's revision.
    pub(super) fn set_status(&mut self, status: UnitStatus) -> u64 {
        self.status = status;
        self.status.stamp()
    }
}
