//! The State backend: one unit's view of a model, loaded from a [`State`],
//! with Juju's hook-transaction rules. Immediate effects (status, leader
//! settings, workload version, logs) change the working State at once;
//! buffered ones (relation data, unit state, ports, storage, secrets) wait in
//! a [`Transaction`] that [`Backend::finish`] commits only on success.

mod actions;
mod config;
mod data;
mod kubernetes;
mod leadership;
mod loopback;
mod machine;
mod pebble;
mod ports;
mod relations;
mod sandbox;

pub use sandbox::DEFAULT_NOW_NS;
mod secrets;
mod status;
mod storage;
mod unit_state;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::error::juju;
use super::{Backend, HookCall, HookReply, HookTools, ToolResult};
use crate::bindings::event::JujuContext;
use crate::bindings::types::{LogLevel, StringMap};
use crate::charm::CharmMeta;
use crate::event::ResolvedEvent;
use crate::limits::{Budget, HostLimits};
use crate::state::{Bag, State};

/// A `juju-log` line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogLine {
    pub level: LogLevel,
    pub message: String,
}

/// What an action reported.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActionReport {
    pub results: serde_json::Map<String, serde_json::Value>,
    pub logs: Vec<String>,
    pub failed: Option<String>,
}

/// A reboot the hook asked for with `juju-reboot` (Juju's
/// `HookContext.handleReboot`): after the hook, only if it succeeded; or
/// now, which stops the hook (its buffered changes are lost) and runs it
/// again after the machine rebooted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reboot {
    AfterHook,
    Now,
}

/// The message that stops a hook at `juju-reboot --now` (Juju kills the
/// hook's process there).
pub const REBOOT_NOW: &str =
    "juju-reboot --now: the hook is stopped; it runs again after the machine reboots";

/// Buffered effects of the running hook, committed only if it succeeds.
#[derive(Debug, Default)]
struct Transaction {
    /// Relation id → this unit's databag as the hook sees it.
    unit_bags: BTreeMap<u32, Bag>,
    /// Relation id → this application's databag (leader writes).
    app_bags: BTreeMap<u32, Bag>,
    unit_state: Option<Bag>,
    ports: ports::PendingPorts,
    storage_added: Vec<(String, u32)>,
    secrets: secrets::PendingSecrets,
}

/// One unit, one event, answering hook tools from a State.
pub struct UnitBackend {
    meta: Arc<CharmMeta>,
    /// The working State: the input plus immediate effects so far.
    state: State,
    ctx: JujuContext,
    params: Option<serde_json::Map<String, serde_json::Value>>,
    unit: String,
    tx: Transaction,
    /// Set once `is-leader` answered false: stays false for the hook.
    minion: bool,
    logs: Vec<LogLine>,
    action: ActionReport,
    sandbox: crate::backend::sandbox::VirtualSandbox,
    pebble: pebble::Containers,
    /// What the unit's logs and data may take on the host.
    budget: Budget,
    /// What `juju-reboot` asked for.
    reboot: Option<Reboot>,
}

impl UnitBackend {
    /// A backend for `event` over `state`. Fails when the State does not fit
    /// the charm (undeclared config, relations on unknown endpoints...).
    pub fn new(meta: Arc<CharmMeta>, state: State, event: &ResolvedEvent) -> Result<Self, String> {
        crate::state::check::against(&state, &meta).map_err(|e| match e {
            crate::state::StateError::Invalid { path, message } => format!("{path}: {message}"),
            other => other.to_string(),
        })?;
        let unit = event.event.context.unit_name.clone();
        let sandbox = sandbox::for_state(&state)?;
        let pebble_now = state
            .now
            .as_deref()
            .and_then(crate::sandbox::parse_rfc3339_ns)
            .unwrap_or(DEFAULT_NOW_NS);
        let mut pebble = pebble::Containers::new(&meta, &state, pebble_now)?;
        let limits = HostLimits::default();
        pebble.set_fs_limit(limits.pebble_fs_bytes);
        let budget = Budget::new(limits, data::data_size(&state));
        Ok(UnitBackend {
            meta,
            ctx: event.event.context.clone(),
            params: event.params.clone(),
            unit,
            state,
            tx: Transaction::default(),
            minion: false,
            reboot: None,
            logs: Vec::new(),
            action: ActionReport::default(),
            sandbox,
            pebble,
            budget,
        })
    }

    /// The working State (after `finish`, the output State).
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Take the output State.
    pub fn into_state(self) -> State {
        self.state
    }

    /// `juju-log` lines of this hook.
    pub fn logs(&self) -> &[LogLine] {
        &self.logs
    }

    /// The reboot `juju-reboot` asked for in this hook, if any.
    pub fn reboot(&self) -> Option<Reboot> {
        self.reboot
    }

    /// What an action reported (results, logs, failure).
    pub fn action_report(&self) -> &ActionReport {
        &self.action
    }

    fn app(&self) -> &str {
        &self.meta.name
    }

    fn is_action(&self) -> bool {
        self.ctx.action.is_some()
    }
}

impl HookTools for UnitBackend {
    fn call(&mut self, call: HookCall) -> ToolResult<HookReply> {
        use HookCall as C;
        use HookReply as R;
        Ok(match call {
            C::ConfigGet { key } => R::ConfigValue(self.config_get(&key)),
            C::ConfigGetAll { all } => R::Config(self.config_get_all(all)),
            C::UnitGet { setting } => R::Text(self.unit_get(&setting)?),
            C::NetworkGet { binding, relation } => {
                R::Network(self.network_get(&binding, relation)?)
            }
            C::GoalState => R::GoalState(self.goal_state()),
            C::CredentialGet => R::CloudSpec(self.credential_get()?),
            C::ApplicationVersionSet { version } => {
                let old = self.state.workload_version.len();
                self.budget
                    .replace(old, version.len())
                    .map_err(data::refused)?;
                self.state.workload_version = version;
                R::Done
            }
            C::ResourceGet { name } => R::Text(self.resource_get(&name)?),
            C::JujuReboot { now } => {
                self.juju_reboot(now)?;
                R::Done
            }
            C::JujuLog { level, message } => {
                self.juju_log(level, message)?;
                R::Done
            }
            C::StatusGet => R::Status(self.status_get()),
            C::ApplicationStatusGet => R::ApplicationStatus(self.application_status_get()?),
            C::StatusSet {
                application,
                status,
                message,
            } => {
                self.status_set(application, status, message)?;
                R::Done
            }
            C::IsLeader => R::Bool(self.is_leader()),
            C::LeaderGet => R::Map(to_map(&self.state.leader_settings)),
            C::LeaderSet { settings } => {
                self.leader_set(settings)?;
                R::Done
            }
            C::RelationIds { endpoint } => R::RelationIds(self.relation_ids(&endpoint)?),
            C::RelationEndpoint { relation } => {
                R::Text(self.relation(Some(relation))?.endpoint.clone())
            }
            C::HookRelation => R::RelationId(self.ctx.relation.as_ref().map(|r| r.id)),
            C::RelationList { relation } => R::Texts(self.relation_list(relation)?),
            C::RelationRemoteApp { relation } => R::Text(self.remote_app(relation)?),
            C::RelationGet {
                relation,
                target,
                app,
            } => R::Map(self.relation_get(relation, target.as_deref(), app)?),
            C::RelationSet {
                relation,
                app,
                settings,
            } => {
                self.relation_set(relation, app, settings)?;
                R::Done
            }
            C::RelationModelGet { relation } => R::Text(self.relation_model_get(relation)?),
            C::StateGet => R::Map(to_map(self.unit_state())),
            C::StateSet { settings } => {
                self.state_set(settings)?;
                R::Done
            }
            C::StateDelete { key } => {
                self.state_delete(&key);
                R::Done
            }
            C::OpenPort { range, endpoints } => {
                self.change_port(true, range, endpoints)?;
                R::Done
            }
            C::ClosePort { range, endpoints } => {
                self.change_port(false, range, endpoints)?;
                R::Done
            }
            C::OpenedPorts => R::OpenedPorts(self.opened_ports()),
            C::StorageGet { storage_id } => R::Storage(self.storage_get(storage_id.as_deref())?),
            C::StorageList { name } => R::Texts(self.storage_list(name.as_deref())),
            C::StorageAdd { directives } => {
                self.storage_add(directives)?;
                R::Done
            }
            C::SecretAdd { content, options } => R::Text(self.secret_add(content, options)?),
            C::SecretSet {
                id,
                content,
                options,
            } => {
                self.secret_set(&id, content, options)?;
                R::Done
            }
            C::SecretGet { id, label, mode } => {
                R::Map(self.secret_get(id.as_deref(), label.as_deref(), mode)?)
            }
            C::SecretInfoGet { id, label } => {
                R::SecretInfo(self.secret_info_get(id.as_deref(), label.as_deref())?)
            }
            C::SecretIds => R::Texts(self.secret_ids()),
            C::SecretGrant { id, relation, unit } => {
                self.secret_grant(&id, relation, unit.as_deref())?;
                R::Done
            }
            C::SecretRevoke { id, target } => {
                self.secret_revoke(&id, target)?;
                R::Done
            }
            C::SecretRemove { id, revision } => {
                self.secret_remove(&id, revision)?;
                R::Done
            }
            C::ActionGet => R::Text(self.action_get()?),
            C::ActionSet { results } => {
                self.action_set(results)?;
                R::Done
            }
            C::ActionLog { message } => {
                self.action_log(message)?;
                R::Done
            }
            C::ActionFail { message } => {
                self.action_fail(message)?;
                R::Done
            }
        })
    }
}

impl Backend for UnitBackend {
    fn finish(&mut self, success: bool) -> Result<(), String> {
        // Pebble changes are effects on the workload, not part of the
        // hook's transaction: they stay even when the hook fails.
        self.pebble.write_back(&mut self.state);
        let tx = std::mem::take(&mut self.tx);
        // A failed action does not error the unit, but its changes are dropped.
        if success && self.action.failed.is_none() {
            self.commit(tx)?;
        }
        Ok(())
    }

    fn set_limits(&mut self, limits: &HostLimits) {
        self.pebble.set_fs_limit(limits.pebble_fs_bytes);
        self.budget.set_limits(limits.clone());
    }
}

impl UnitBackend {
    fn commit(&mut self, tx: Transaction) -> Result<(), String> {
        unit_state::check_total(tx.unit_state.as_ref())?;
        self.check_storage_added(&tx.storage_added)?;
        for (id, bag) in tx.unit_bags {
            if let Some(r) = self.state.relations.iter_mut().find(|r| r.id == id) {
                r.local_unit_data = bag;
            }
        }
        for (id, bag) in tx.app_bags {
            if let Some(r) = self.state.relations.iter_mut().find(|r| r.id == id) {
                r.local_app_data = bag;
            }
        }
        if let Some(s) = tx.unit_state {
            self.state.unit_state = s;
        }
        self.state.opened_ports = tx.ports.apply(std::mem::take(&mut self.state.opened_ports));
        for (name, count) in tx.storage_added {
            let next = self
                .state
                .storages
                .iter()
                .filter(|s| s.name == name)
                .map(|s| s.index + 1)
                .max()
                .unwrap_or(0);
            for i in 0..count {
                self.state.storages.push(crate::state::StorageState {
                    name: name.clone(),
                    index: next + i,
                    location: None,
                });
            }
        }
        tx.secrets.apply(&mut self.state);
        Ok(())
    }

    /// Fail unless this hook runs an action.
    fn require_action(&self) -> ToolResult<()> {
        if self.is_action() {
            Ok(())
        } else {
            Err(juju::unsupported("not running an action"))
        }
    }
}

/// A sorted map as the WIT string map.
pub(crate) fn to_map(bag: &Bag) -> StringMap {
    bag.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}
