//! Config, addresses, networks, goal state, credentials, resources, reboot.

use super::{REBOOT_NOW, Reboot, UnitBackend};
use crate::backend::error::juju;
use crate::backend::{ToolError, ToolResult};
use crate::bindings::types::{
    AddressInfo, BindAddress, CloudSpec, ConfigValue, GoalStateInfo, GoalStatus, NetworkInfo,
    RelationId,
};
use crate::charm::ConfigType;
use crate::state::{NetworkState, StatusState};

fn typed(kind: ConfigType, v: &serde_json::Value) -> Option<ConfigValue> {
    use serde_json::Value;
    Some(match (kind, v) {
        (_, Value::Null) => return None,
        (ConfigType::Int, Value::Number(n)) => ConfigValue::Int(n.as_i64()?),
        (ConfigType::Float, Value::Number(n)) => ConfigValue::Float(n.as_f64()?),
        (ConfigType::Boolean, Value::Bool(b)) => ConfigValue::Boolean(*b),
        (ConfigType::Secret, Value::String(s)) => ConfigValue::Secret(s.clone()),
        (_, Value::String(s)) => ConfigValue::String(s.clone()),
        _ => return None,
    })
}

impl UnitBackend {
    pub(super) fn config_get(&self, key: &str) -> Option<ConfigValue> {
        let option = self.meta.config.get(key)?;
        let value = self.state.config.get(key).or(option.default.as_ref())?;
        typed(option.kind, value)
    }

    pub(super) fn config_get_all(&self, all: bool) -> Vec<(String, Option<ConfigValue>)> {
        self.meta
            .config
            .keys()
            .map(|k| (k.clone(), self.config_get(k)))
            .filter(|(_, v)| all || v.is_some())
            .collect()
    }

    pub(super) fn unit_get(&self, setting: &str) -> ToolResult<String> {
        let net = self.binding("");
        match setting {
            "private-address" => Ok(net.addresses.first().cloned().unwrap_or_default()),
            "public-address" => match net.ingress_addresses.first() {
                Some(a) => Ok(a.clone()),
                None => Err(juju::not_found("public address not found")),
            },
            "" => Err(juju::invalid("no setting specified")),
            other => Err(juju::invalid(format!("unknown setting {other:?}"))),
        }
    }

    fn binding(&self, name: &str) -> NetworkState {
        self.state.networks.get(name).cloned().unwrap_or_default()
    }

    pub(super) fn network_get(
        &self,
        binding: &str,
        relation: Option<RelationId>,
    ) -> ToolResult<NetworkInfo> {
        if let Some(id) = relation {
            self.relation(Some(id))?;
        }
        let known = binding.is_empty()
            || self.meta.endpoints.contains_key(binding)
            || self.state.networks.contains_key(binding);
        if !known {
            return Err(juju::other(format!(
                "no network config found for binding {binding:?}"
            )));
        }
        let net = self.binding(binding);
        let addresses = net
            .addresses
            .iter()
            .map(|a| AddressInfo {
                hostname: String::new(),
                value: a.clone(),
                cidr: net.cidr.clone(),
            })
            .collect();
        Ok(NetworkInfo {
            bind_addresses: vec![BindAddress {
                mac_address: net.mac_address.clone(),
                interface_name: net.interface_name.clone(),
                addresses,
            }],
            egress_subnets: net.egress_subnets.clone(),
            ingress_addresses: net.ingress_addresses.clone(),
        })
    }

    /// Juju's `goal-state` (the uniter facade's `oneGoalState`): the
    /// application's units that are not dead, each with its workload status
    /// (or `dying`) and when it was set; per non-peer endpoint, the remote
    /// application with the relation's status and its units likewise.
    pub(super) fn goal_state(&self) -> GoalStateInfo {
        let mut units = vec![(
            self.unit.clone(),
            self.goal_status(&self.unit, &self.state.unit_status),
        )];
        let peers = self
            .state
            .relations
            .iter()
            .filter(|r| self.is_peer(r))
            .flat_map(|r| r.remote_units_data.keys())
            .map(|n| format!("{}/{n}", self.app()));
        let planned = (1..self.state.planned_units.max(1)).map(|n| format!("{}/{n}", self.app()));
        for u in planned
            .chain(peers)
            .chain(self.state.peer_unit_statuses.keys().cloned())
        {
            if units.iter().all(|(x, _)| *x != u) {
                let status = self
                    .state
                    .peer_unit_statuses
                    .get(&u)
                    .cloned()
                    .unwrap_or_default();
                units.push((u.clone(), self.goal_status(&u, &status)));
            }
        }
        units.sort_by(|a, b| a.0.cmp(&b.0));
        let mut relations: Vec<(String, Vec<(String, GoalStatus)>)> = Vec::new();
        for r in self.state.relations.iter().filter(|r| !self.is_peer(r)) {
            let app = self.remote_app_of(r);
            let mut members = vec![(
                app.clone(),
                GoalStatus {
                    status: "joined".into(),
                    since: None,
                },
            )];
            for n in r.remote_units_data.keys() {
                let name = format!("{app}/{n}");
                let status = r.remote_units_status.get(n).cloned().unwrap_or_default();
                members.push((name.clone(), self.goal_status(&name, &status)));
            }
            match relations.iter_mut().find(|(ep, _)| *ep == r.endpoint) {
                Some((_, m)) => m.extend(members),
                None => relations.push((r.endpoint.clone(), members)),
            }
        }
        for (_, members) in &mut relations {
            members.sort_by(|a, b| a.0.cmp(&b.0));
            members.dedup_by(|a, b| a.0 == b.0);
        }
        relations.sort_by(|a, b| a.0.cmp(&b.0));
        GoalStateInfo { units, relations }
    }

    /// A unit's goal status: `dying` for a dying unit, else its workload
    /// status, with the time it was set.
    fn goal_status(&self, unit: &str, status: &StatusState) -> GoalStatus {
        let name = if self.state.dying_units.contains(unit) {
            "dying".to_string()
        } else {
            status.status.clone()
        };
        GoalStatus {
            status: name,
            since: status.since.clone(),
        }
    }

    pub(super) fn credential_get(&self) -> ToolResult<CloudSpec> {
        if !self.state.trusted {
            return Err(juju::denied(
                "cannot access cloud credentials: permission denied",
            ));
        }
        Ok(CloudSpec {
            type_: if self.state.model.kind == "kubernetes" {
                "kubernetes"
            } else {
                "lxd"
            }
            .into(),
            name: "localhost".into(),
            region: None,
            endpoint: None,
            identity_endpoint: None,
            storage_endpoint: None,
            credential: None,
            ca_certificates: Vec::new(),
            skip_tls_verify: false,
            is_controller_cloud: true,
        })
    }

    pub(super) fn resource_get(&self, name: &str) -> ToolResult<String> {
        if name.is_empty() {
            return Err(juju::invalid("missing required resource name"));
        }
        self.state.resources.get(name).cloned().ok_or_else(|| {
            juju::other(format!(
                "could not download resource: resource {name:?} not found"
            ))
        })
    }

    /// `juju-reboot [--now]`: recorded for the agent; `--now` stops the
    /// hook as Juju's killing its process does.
    pub(super) fn juju_reboot(&mut self, now: bool) -> ToolResult<()> {
        if self.is_action() {
            return Err(juju::unsupported(
                "juju-reboot is not supported when running an action.",
            ));
        }
        let asked = if now { Reboot::Now } else { Reboot::AfterHook };
        self.reboot = self.reboot.max(Some(asked));
        if now {
            return Err(ToolError::Fatal(REBOOT_NOW.into()));
        }
        Ok(())
    }
}
