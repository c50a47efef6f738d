//! Juju 3.6's hook tools, one module per family. Each tool parses its argv
//! like Juju's command (flags, then `Init`'s checks, exit 2), asks the
//! backend (`Run`, exit 1) and prints the result.

mod action;
mod config;
mod leader;
mod legacy;
mod ports;
mod relation;
mod secret;
mod state;
mod status;
mod storage;
mod unit;

use super::{Ctx, Fail, Res, reply};
use crate::backend::HookCall;

/// A hook tool: the arguments after its name.
pub(crate) type Tool = fn(&mut Ctx, &[String]) -> Res<()>;

/// Every tool Juju 3.6's unit agent serves, by name.
const TOOLS: &[(&str, Tool)] = &[
    // base
    ("application-version-set", unit::application_version_set),
    ("close-port", ports::close_port),
    ("config-get", config::config_get),
    ("credential-get", unit::credential_get),
    ("goal-state", unit::goal_state),
    ("juju-log", status::juju_log),
    ("juju-reboot", unit::juju_reboot),
    ("network-get", unit::network_get),
    ("open-port", ports::open_port),
    ("opened-ports", ports::opened_ports),
    ("relation-get", relation::relation_get),
    ("relation-ids", relation::relation_ids),
    ("relation-list", relation::relation_list),
    ("relation-model-get", relation::relation_model_get),
    ("relation-set", relation::relation_set),
    ("state-delete", state::state_delete),
    ("state-get", state::state_get),
    ("state-set", state::state_set),
    ("status-get", status::status_get),
    ("status-set", status::status_set),
    ("unit-get", unit::unit_get),
    // legacy members of the base set
    ("add-metric", legacy::add_metric),
    ("k8s-raw-get", legacy::k8s_spec_get),
    ("k8s-raw-set", legacy::k8s_raw_set),
    ("k8s-spec-get", legacy::k8s_spec_get),
    ("k8s-spec-set", legacy::k8s_spec_set),
    ("pod-spec-get", legacy::k8s_spec_get),
    ("pod-spec-set", legacy::k8s_spec_set),
    // leadership
    ("is-leader", leader::is_leader),
    ("leader-get", leader::leader_get),
    ("leader-set", leader::leader_set),
    // storage
    ("storage-add", storage::storage_add),
    ("storage-get", storage::storage_get),
    ("storage-list", storage::storage_list),
    // resources and payloads
    ("resource-get", unit::resource_get),
    ("payload-register", legacy::payload_register),
    ("payload-status-set", legacy::payload_status_set),
    ("payload-unregister", legacy::payload_unregister),
    // secrets
    ("secret-add", secret::secret_add),
    ("secret-get", secret::secret_get),
    ("secret-grant", secret::secret_grant),
    ("secret-ids", secret::secret_ids),
    ("secret-info-get", secret::secret_info_get),
    ("secret-remove", secret::secret_remove),
    ("secret-revoke", secret::secret_revoke),
    ("secret-set", secret::secret_set),
    // actions
    ("action-fail", action::action_fail),
    ("action-get", action::action_get),
    ("action-log", action::action_log),
    ("action-set", action::action_set),
];

/// The tool called `name`.
pub(crate) fn lookup(name: &str) -> Option<Tool> {
    TOOLS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Every tool name (a native hook's PATH holds one link per name).
pub(crate) fn names() -> Vec<&'static str> {
    TOOLS.iter().map(|(n, _)| *n).collect()
}

pub(crate) fn usage(m: impl Into<String>) -> Fail {
    Fail::Usage(m.into())
}

pub(crate) fn run_err(m: impl Into<String>) -> Fail {
    Fail::Run(m.into())
}

/// `CheckEmpty` as an `Init` error.
pub(crate) fn check_empty(args: &[String]) -> Res<()> {
    super::args::check_empty(args).map_err(Fail::Usage)
}

/// Juju's `Init` check that a relation id was given or the hook has one
/// (`no relation id specified`, exit 2).
pub(crate) fn require_relation(ctx: &mut Ctx, relation: Option<u32>) -> Res<()> {
    if relation.is_some() || hook_relation(ctx)?.is_some() {
        return Ok(());
    }
    Err(usage("no relation id specified"))
}

/// The id of the hook's relation (`JUJU_RELATION_ID`), if it has one: what
/// Juju's `relationIdValue` defaults `-r` to.
pub(crate) fn hook_relation(ctx: &mut Ctx) -> Res<Option<u32>> {
    match ctx.try_call(HookCall::HookRelation)? {
        Ok(r) => reply!(r, RelationId),
        Err(e) => Err(Fail::Run(super::message(&e).to_string())),
    }
}
