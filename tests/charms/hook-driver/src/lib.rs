//! hook-driver: a test-only charm for the typed `hook-tools` imports.
//!
//! On every event it reads a script from the dispatch environment
//! (`CHARMBOX_HOOK_DRIVER_SCRIPT`): a JSON object `{"calls": [...], "fail":
//! bool}` whose calls have the host's `HookCall` JSON shape
//! (`{"tool": "relation-get", "relation": 3, "target": null, "app": false}`).
//! It performs each call through the typed import of that name and reports
//! the outcome as one `juju-log` line, [`REPORT`] followed by the JSON of
//! `Result<HookReply, HookError>` in the host's shape (`{"Ok": {"text":
//! "..."}}`, `{"Err": {"NotFound": "relation not found"}}`). A call no typed
//! import makes (`hook-relation`, the raw tools' `-r` default) is reported as
//! `null`. With `"fail": true` the handler fails afterwards, so the hook's
//! buffered effects roll back.
//!
//! The bindings are generated here rather than taken from charmbox-sdk so
//! that every WIT type derives serde: the calls and the results cross the
//! boundary as the host's own JSON, with no hand-written conversion.

use serde::{Deserialize, Serialize};

wit_bindgen::generate!({
    world: "charm",
    path: "../../../wit",
    additional_derives: [serde::Serialize, serde::Deserialize],
});

use exports::juju::charm::handler::Guest;
use juju::charm::event::Event;
use juju::charm::hook_tools as t;
use juju::charm::types::{
    ApplicationStatus, CloudSpec, ConfigValue, GoalStateInfo, HookError, LogLevel, NetworkInfo,
    OpenedPort, PortRange, RelationId, SecretInfo, SecretOptions, SecretReadMode,
    SecretRevokeTarget, StatusInfo, StatusKind, StorageInfo, StringMap,
};

/// The environment variable holding the script.
const SCRIPT_VAR: &str = "CHARMBOX_HOOK_DRIVER_SCRIPT";
/// What starts a report line.
const REPORT: &str = "\u{1}hook-driver\u{1}";

#[derive(Deserialize)]
struct Script {
    calls: Vec<Call>,
    #[serde(default)]
    fail: bool,
}

/// The host's `HookCall`, field for field.
#[derive(Deserialize)]
#[serde(tag = "tool", rename_all = "kebab-case")]
enum Call {
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

/// The host's `HookReply`, variant for variant.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
enum Reply {
    Done,
    Bool(bool),
    Text(String),
    Texts(Vec<String>),
    Map(StringMap),
    RelationIds(Vec<RelationId>),
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

fn done(r: Result<(), HookError>) -> Result<Reply, HookError> {
    r.map(|()| Reply::Done)
}

/// Perform one call through its typed import; `None` when there is none.
fn perform(call: Call) -> Option<Result<Reply, HookError>> {
    use Reply as R;
    Some(match call {
        Call::ConfigGet { key } => t::config_get(&key).map(R::ConfigValue),
        Call::ConfigGetAll { all } => t::config_get_all(all).map(R::Config),
        Call::UnitGet { setting } => t::unit_get(&setting).map(R::Text),
        Call::NetworkGet { binding, relation } => {
            t::network_get(&binding, relation).map(R::Network)
        }
        Call::GoalState => t::goal_state().map(R::GoalState),
        Call::CredentialGet => t::credential_get().map(R::CloudSpec),
        Call::ApplicationVersionSet { version } => done(t::application_version_set(&version)),
        Call::ResourceGet { name } => t::resource_get(&name).map(R::Text),
        Call::JujuReboot { now } => done(t::juju_reboot(now)),
        Call::JujuLog { level, message } => done(t::juju_log(level, &message)),
        Call::StatusGet => t::status_get().map(R::Status),
        Call::ApplicationStatusGet => t::application_status_get().map(R::ApplicationStatus),
        Call::StatusSet {
            application,
            status,
            message,
        } => done(t::status_set(application, status, &message)),
        Call::IsLeader => t::is_leader().map(R::Bool),
        Call::LeaderGet => t::leader_get().map(R::Map),
        Call::LeaderSet { settings } => done(t::leader_set(&settings)),
        Call::RelationIds { endpoint } => t::relation_ids(&endpoint).map(R::RelationIds),
        Call::RelationEndpoint { relation } => t::relation_endpoint(relation).map(R::Text),
        Call::HookRelation => return None,
        Call::RelationList { relation } => t::relation_list(relation).map(R::Texts),
        Call::RelationRemoteApp { relation } => t::relation_remote_app(relation).map(R::Text),
        Call::RelationGet {
            relation,
            target,
            app,
        } => t::relation_get(relation, target.as_deref(), app).map(R::Map),
        Call::RelationSet {
            relation,
            app,
            settings,
        } => done(t::relation_set(relation, app, &settings)),
        Call::RelationModelGet { relation } => t::relation_model_get(relation).map(R::Text),
        Call::StateGet => t::state_get().map(R::Map),
        Call::StateSet { settings } => done(t::state_set(&settings)),
        Call::StateDelete { key } => done(t::state_delete(&key)),
        Call::OpenPort { range, endpoints } => done(t::open_port(range, &endpoints)),
        Call::ClosePort { range, endpoints } => done(t::close_port(range, &endpoints)),
        Call::OpenedPorts => t::opened_ports().map(R::OpenedPorts),
        Call::StorageGet { storage_id } => t::storage_get(storage_id.as_deref()).map(R::Storage),
        Call::StorageList { name } => t::storage_list(name.as_deref()).map(R::Texts),
        Call::StorageAdd { directives } => done(t::storage_add(&directives)),
        Call::SecretAdd { content, options } => t::secret_add(&content, &options).map(R::Text),
        Call::SecretSet {
            id,
            content,
            options,
        } => done(t::secret_set(&id, content.as_deref(), &options)),
        Call::SecretGet { id, label, mode } => {
            t::secret_get(id.as_deref(), label.as_deref(), mode).map(R::Map)
        }
        Call::SecretInfoGet { id, label } => {
            t::secret_info_get(id.as_deref(), label.as_deref()).map(R::SecretInfo)
        }
        Call::SecretIds => t::secret_ids().map(R::Texts),
        Call::SecretGrant { id, relation, unit } => {
            done(t::secret_grant(&id, relation, unit.as_deref()))
        }
        Call::SecretRevoke { id, target } => done(t::secret_revoke(&id, &target)),
        Call::SecretRemove { id, revision } => done(t::secret_remove(&id, revision)),
        Call::ActionGet => t::action_get().map(R::Text),
        Call::ActionSet { results } => done(t::action_set(&results)),
        Call::ActionLog { message } => done(t::action_log(&message)),
        Call::ActionFail { message } => done(t::action_fail(message.as_deref())),
    })
}

struct HookDriver;

impl Guest for HookDriver {
    fn dispatch(_event: Event) -> Result<(), String> {
        let env = juju::charm::event::environment();
        let Some((_, text)) = env.iter().find(|(k, _)| k == SCRIPT_VAR) else {
            return Ok(());
        };
        let script: Script =
            serde_json::from_str(text).map_err(|e| format!("hook-driver: bad script: {e}"))?;
        for call in script.calls {
            let result = perform(call);
            let line = serde_json::to_string(&result)
                .map_err(|e| format!("hook-driver: cannot encode a result: {e}"))?;
            t::juju_log(LogLevel::Debug, &format!("{REPORT}{line}"))
                .map_err(|e| format!("hook-driver: cannot report: {e:?}"))?;
        }
        if script.fail {
            return Err("hook-driver: failing as the script asks".into());
        }
        Ok(())
    }
}

export!(HookDriver);
