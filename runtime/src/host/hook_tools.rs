//! `hook-tools` imports: each typed call becomes one [`HookCall`] for the backend.

use super::HostState;
use crate::backend::error::juju;
use crate::backend::{HookCall as C, ToolError};
use crate::bindings::hook_tools::Host;
use crate::bindings::types::{
    ApplicationStatus, CloudSpec, ConfigValue, GoalStateInfo, LogLevel, NetworkInfo, OpenedPort,
    PortRange, RelationId, SecretInfo, SecretOptions, SecretReadMode, SecretRevokeTarget,
    StatusInfo, StatusKind, StorageInfo, StringMap,
};
use crate::expect_reply;
use crate::limits::Trip;
use crate::limits::{Exceeded, weigh};

type R<T> = Result<T, ToolError>;

impl HostState {
    /// Every typed call: metered in and out (see [`crate::limits::Meter`]),
    /// then answered by the backend. A limit refuses it with Juju's quota
    /// error; a guest that must stop traps.
    fn tool(&mut self, call: C) -> R<crate::backend::HookReply> {
        let gate = |g: Result<Result<(), Exceeded>, Trip>| match g {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(juju::quota(e.to_string())),
            Err(t) => Err(ToolError::Fatal(t.to_string())),
        };
        gate(self.meter.call(weigh(&call)))?;
        let reply = self.backend.call(call)?;
        gate(self.meter.reply(weigh(&reply)))?;
        Ok(reply)
    }
}

impl Host for HostState {
    fn config_get(&mut self, key: String) -> R<Option<ConfigValue>> {
        expect_reply!(self.tool(C::ConfigGet { key })?, ConfigValue)
    }
    fn config_get_all(&mut self, all: bool) -> R<Vec<(String, Option<ConfigValue>)>> {
        expect_reply!(self.tool(C::ConfigGetAll { all })?, Config)
    }
    fn unit_get(&mut self, setting: String) -> R<String> {
        expect_reply!(self.tool(C::UnitGet { setting })?, Text)
    }
    fn network_get(&mut self, binding: String, relation: Option<RelationId>) -> R<NetworkInfo> {
        expect_reply!(self.tool(C::NetworkGet { binding, relation })?, Network)
    }
    fn goal_state(&mut self) -> R<GoalStateInfo> {
        expect_reply!(self.tool(C::GoalState)?, GoalState)
    }
    fn credential_get(&mut self) -> R<CloudSpec> {
        expect_reply!(self.tool(C::CredentialGet)?, CloudSpec)
    }
    fn application_version_set(&mut self, version: String) -> R<()> {
        expect_reply!(self.tool(C::ApplicationVersionSet { version })?)
    }
    fn resource_get(&mut self, name: String) -> R<String> {
        expect_reply!(self.tool(C::ResourceGet { name })?, Text)
    }
    fn juju_reboot(&mut self, now: bool) -> R<()> {
        expect_reply!(self.tool(C::JujuReboot { now })?)
    }
    fn juju_log(&mut self, level: LogLevel, message: String) -> R<()> {
        expect_reply!(self.tool(C::JujuLog { level, message })?)
    }
    fn status_get(&mut self) -> R<StatusInfo> {
        expect_reply!(self.tool(C::StatusGet)?, Status)
    }
    fn application_status_get(&mut self) -> R<ApplicationStatus> {
        expect_reply!(self.tool(C::ApplicationStatusGet)?, ApplicationStatus)
    }
    fn status_set(&mut self, application: bool, status: StatusKind, message: String) -> R<()> {
        expect_reply!(self.tool(C::StatusSet {
            application,
            status,
            message
        })?)
    }
    fn is_leader(&mut self) -> R<bool> {
        expect_reply!(self.tool(C::IsLeader)?, Bool)
    }
    fn leader_get(&mut self) -> R<StringMap> {
        expect_reply!(self.tool(C::LeaderGet)?, Map)
    }
    fn leader_set(&mut self, settings: StringMap) -> R<()> {
        expect_reply!(self.tool(C::LeaderSet { settings })?)
    }
    fn relation_ids(&mut self, endpoint: String) -> R<Vec<RelationId>> {
        expect_reply!(self.tool(C::RelationIds { endpoint })?, RelationIds)
    }
    fn relation_endpoint(&mut self, relation: RelationId) -> R<String> {
        expect_reply!(self.tool(C::RelationEndpoint { relation })?, Text)
    }
    fn relation_list(&mut self, relation: Option<RelationId>) -> R<Vec<String>> {
        expect_reply!(self.tool(C::RelationList { relation })?, Texts)
    }
    fn relation_remote_app(&mut self, relation: Option<RelationId>) -> R<String> {
        expect_reply!(self.tool(C::RelationRemoteApp { relation })?, Text)
    }
    fn relation_get(
        &mut self,
        relation: Option<RelationId>,
        target: Option<String>,
        app: bool,
    ) -> R<StringMap> {
        expect_reply!(
            self.tool(C::RelationGet {
                relation,
                target,
                app
            })?,
            Map
        )
    }
    fn relation_set(
        &mut self,
        relation: Option<RelationId>,
        app: bool,
        settings: StringMap,
    ) -> R<()> {
        expect_reply!(self.tool(C::RelationSet {
            relation,
            app,
            settings
        })?)
    }
    fn relation_model_get(&mut self, relation: Option<RelationId>) -> R<String> {
        expect_reply!(self.tool(C::RelationModelGet { relation })?, Text)
    }
    fn state_get(&mut self) -> R<StringMap> {
        expect_reply!(self.tool(C::StateGet)?, Map)
    }
    fn state_set(&mut self, settings: StringMap) -> R<()> {
        expect_reply!(self.tool(C::StateSet { settings })?)
    }
    fn state_delete(&mut self, key: String) -> R<()> {
        expect_reply!(self.tool(C::StateDelete { key })?)
    }
    fn open_port(&mut self, range: PortRange, endpoints: Vec<String>) -> R<()> {
        expect_reply!(self.tool(C::OpenPort { range, endpoints })?)
    }
    fn close_port(&mut self, range: PortRange, endpoints: Vec<String>) -> R<()> {
        expect_reply!(self.tool(C::ClosePort { range, endpoints })?)
    }
    fn opened_ports(&mut self) -> R<Vec<OpenedPort>> {
        expect_reply!(self.tool(C::OpenedPorts)?, OpenedPorts)
    }
    fn storage_get(&mut self, storage_id: Option<String>) -> R<StorageInfo> {
        expect_reply!(self.tool(C::StorageGet { storage_id })?, Storage)
    }
    fn storage_list(&mut self, name: Option<String>) -> R<Vec<String>> {
        expect_reply!(self.tool(C::StorageList { name })?, Texts)
    }
    fn storage_add(&mut self, directives: Vec<(String, u32)>) -> R<()> {
        expect_reply!(self.tool(C::StorageAdd { directives })?)
    }
    fn secret_add(&mut self, content: StringMap, options: SecretOptions) -> R<String> {
        expect_reply!(self.tool(C::SecretAdd { content, options })?, Text)
    }
    fn secret_set(
        &mut self,
        id: String,
        content: Option<StringMap>,
        options: SecretOptions,
    ) -> R<()> {
        expect_reply!(self.tool(C::SecretSet {
            id,
            content,
            options
        })?)
    }
    fn secret_get(
        &mut self,
        id: Option<String>,
        label: Option<String>,
        mode: SecretReadMode,
    ) -> R<StringMap> {
        expect_reply!(self.tool(C::SecretGet { id, label, mode })?, Map)
    }
    fn secret_info_get(&mut self, id: Option<String>, label: Option<String>) -> R<SecretInfo> {
        expect_reply!(self.tool(C::SecretInfoGet { id, label })?, SecretInfo)
    }
    fn secret_ids(&mut self) -> R<Vec<String>> {
        expect_reply!(self.tool(C::SecretIds)?, Texts)
    }
    fn secret_grant(&mut self, id: String, relation: RelationId, unit: Option<String>) -> R<()> {
        expect_reply!(self.tool(C::SecretGrant { id, relation, unit })?)
    }
    fn secret_revoke(&mut self, id: String, target: SecretRevokeTarget) -> R<()> {
        expect_reply!(self.tool(C::SecretRevoke { id, target })?)
    }
    fn secret_remove(&mut self, id: String, revision: Option<u32>) -> R<()> {
        expect_reply!(self.tool(C::SecretRemove { id, revision })?)
    }
    fn action_get(&mut self) -> R<String> {
        expect_reply!(self.tool(C::ActionGet)?, Text)
    }
    fn action_set(&mut self, results: StringMap) -> R<()> {
        expect_reply!(self.tool(C::ActionSet { results })?)
    }
    fn action_log(&mut self, message: String) -> R<()> {
        expect_reply!(self.tool(C::ActionLog { message })?)
    }
    fn action_fail(&mut self, message: Option<String>) -> R<()> {
        expect_reply!(self.tool(C::ActionFail { message })?)
    }
}
