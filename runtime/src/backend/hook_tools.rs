//! The `hook-tools` interface as a backend trait.
//!
//! Every typed import and every raw `jujuc` invocation becomes one
//! [`HookCall`]; the backend answers it with one [`HookReply`]. One request
//! type means one set of rules, and a trace records calls as data.

use serde::{Deserialize, Serialize};

use super::ToolResult;
use crate::bindings::types::{
    ApplicationStatus, CloudSpec, ConfigValue, GoalStateInfo, LogLevel, NetworkInfo, OpenedPort,
    PortRange, RelationId, SecretInfo, SecretOptions, SecretReadMode, SecretRevokeTarget,
    StatusInfo, StatusKind, StorageInfo, StringMap,
};

/// One hook-tool request, named after the tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "tool", rename_all = "kebab-case")]
pub enum HookCall {
    ConfigGet {
        key: String,
    },
    ConfigGetAll {
        all: bool,
    },
    UnitGet {
        setting: String,
    },
    NetworkGet {
        binding: String,
        relation: Option<RelationId>,
    },
    GoalState,
    CredentialGet,
    ApplicationVersionSet {
        version: String,
    },
    ResourceGet {
        name: String,
    },
    JujuReboot {
        now: bool,
    },
    JujuLog {
        level: LogLevel,
        message: String,
    },
    StatusGet,
    ApplicationStatusGet,
    StatusSet {
        application: bool,
        status: StatusKind,
        message: String,
    },
    IsLeader,
    LeaderGet,
    LeaderSet {
        settings: StringMap,
    },
    RelationIds {
        endpoint: String,
    },
    RelationEndpoint {
        relation: RelationId,
    },
    /// The hook's relation id (`JUJU_RELATION_ID`), none outside relation
    /// hooks: the default of `-r` in the raw tools. No typed import asks it.
    HookRelation,
    RelationList {
        relation: Option<RelationId>,
    },
    RelationRemoteApp {
        relation: Option<RelationId>,
    },
    RelationGet {
        relation: Option<RelationId>,
        target: Option<String>,
        app: bool,
    },
    RelationSet {
        relation: Option<RelationId>,
        app: bool,
        settings: StringMap,
    },
    RelationModelGet {
        relation: Option<RelationId>,
    },
    StateGet,
    StateSet {
        settings: StringMap,
    },
    StateDelete {
        key: String,
    },
    OpenPort {
        range: PortRange,
        endpoints: Vec<String>,
    },
    ClosePort {
        range: PortRange,
        endpoints: Vec<String>,
    },
    OpenedPorts,
    StorageGet {
        storage_id: Option<String>,
    },
    StorageList {
        name: Option<String>,
    },
    StorageAdd {
        directives: Vec<(String, u32)>,
    },
    SecretAdd {
        content: StringMap,
        options: SecretOptions,
    },
    SecretSet {
        id: String,
        content: Option<StringMap>,
        options: SecretOptions,
    },
    SecretGet {
        id: Option<String>,
        label: Option<String>,
        mode: SecretReadMode,
    },
    SecretInfoGet {
        id: Option<String>,
        label: Option<String>,
    },
    SecretIds,
    SecretGrant {
        id: String,
        relation: RelationId,
        unit: Option<String>,
    },
    SecretRevoke {
        id: String,
        target: SecretRevokeTarget,
    },
    SecretRemove {
        id: String,
        revision: Option<u32>,
    },
    ActionGet,
    ActionSet {
        results: StringMap,
    },
    ActionLog {
        message: String,
    },
    ActionFail {
        message: Option<String>,
    },
}

/// The successful answer to a [`HookCall`]; which variant depends on the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HookReply {
    Done,
    Bool(bool),
    Text(String),
    Texts(Vec<String>),
    Map(StringMap),
    RelationIds(Vec<RelationId>),
    RelationId(Option<RelationId>),
    ConfigValue(Option<ConfigValue>),
    Config(Vec<(String, Option<ConfigValue>)>),
    Status(StatusInfo),
    ApplicationStatus(ApplicationStatus),
    Network(NetworkInfo),
    GoalState(GoalStateInfo),
    CloudSpec(CloudSpec),
    OpenedPorts(Vec<OpenedPort>),
    Storage(StorageInfo),
    SecretInfo(SecretInfo),
}

impl HookCall {
    /// The Juju tool this call stands for (`relation-get`, `status-set`, ...).
    pub fn tool_name(&self) -> &'static str {
        use HookCall::*;
        match self {
            ConfigGet { .. } | ConfigGetAll { .. } => "config-get",
            UnitGet { .. } => "unit-get",
            NetworkGet { .. } => "network-get",
            GoalState => "goal-state",
            CredentialGet => "credential-get",
            ApplicationVersionSet { .. } => "application-version-set",
            ResourceGet { .. } => "resource-get",
            JujuReboot { .. } => "juju-reboot",
            JujuLog { .. } => "juju-log",
            StatusGet | ApplicationStatusGet => "status-get",
            StatusSet { .. } => "status-set",
            IsLeader => "is-leader",
            LeaderGet => "leader-get",
            LeaderSet { .. } => "leader-set",
            RelationIds { .. } | RelationEndpoint { .. } => "relation-ids",
            // Not a tool of its own: the `-r` default of the raw tools.
            HookRelation => "hook-relation",
            RelationList { .. } | RelationRemoteApp { .. } => "relation-list",
            RelationGet { .. } => "relation-get",
            RelationSet { .. } => "relation-set",
            RelationModelGet { .. } => "relation-model-get",
            StateGet => "state-get",
            StateSet { .. } => "state-set",
            StateDelete { .. } => "state-delete",
            OpenPort { .. } => "open-port",
            ClosePort { .. } => "close-port",
            OpenedPorts => "opened-ports",
            StorageGet { .. } => "storage-get",
            StorageList { .. } => "storage-list",
            StorageAdd { .. } => "storage-add",
            SecretAdd { .. } => "secret-add",
            SecretSet { .. } => "secret-set",
            SecretGet { .. } => "secret-get",
            SecretInfoGet { .. } => "secret-info-get",
            SecretIds => "secret-ids",
            SecretGrant { .. } => "secret-grant",
            SecretRevoke { .. } => "secret-revoke",
            SecretRemove { .. } => "secret-remove",
            ActionGet => "action-get",
            ActionSet { .. } => "action-set",
            ActionLog { .. } => "action-log",
            ActionFail { .. } => "action-fail",
        }
    }
}

/// Juju's hook tools, for one unit during one event.
pub trait HookTools {
    /// Answer one hook-tool request.
    fn call(&mut self, call: HookCall) -> ToolResult<HookReply>;
}

/// [`expect_variant!`](crate::expect_variant) for hook-tool replies, its
/// error a fatal [`ToolError`](crate::backend::ToolError) that traps the guest.
#[macro_export]
macro_rules! expect_reply {
    ($reply:expr, $variant:ident) => {{
        use $crate::backend::HookReply;
        $crate::expect_variant!($reply, HookReply::$variant)
            .map_err($crate::backend::ToolError::from)
    }};
    ($reply:expr) => {{
        use $crate::backend::HookReply;
        $crate::expect_variant!($reply, HookReply::Done).map_err($crate::backend::ToolError::from)
    }};
}
