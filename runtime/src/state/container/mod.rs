//! A workload container in the State: whether its Pebble answers, and the
//! Pebble's state in and out — layers, services, scripted processes, checks
//! and their scripted outcomes, files, exec handlers and history, notices,
//! changes, identities, users and groups. Every Pebble field is optional,
//! so `{"name": "web", "can_connect": true}` is a complete container.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod scripts;

pub use scripts::{CheckScript, ExecHandler, ExecRecord, ProcessRun, ProcessScript, Timer, User};

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}

fn is_zero_u64(n: &u64) -> bool {
    *n == 0
}

/// A workload container and its Pebble.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerState {
    pub name: String,
    /// Whether the container's Pebble is up (`can_connect()`).
    #[serde(default)]
    pub can_connect: bool,
    /// The Pebble's virtual clock, RFC 3339 (default: the State's `now`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<String>,
    /// Layers in order: `{"label", "layer": {...}}` or `{"label", "yaml": "..."}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<LayerState>,
    /// The combined plan as Pebble's `GET /v1/plan` returns it, written in
    /// output States (when there are layers) for assertions. Derived from
    /// the layers: ignored when read, so an output State is a valid input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<serde_json::Value>,
    /// Services Pebble has started, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, ServiceState>,
    /// How each service's process behaves when started.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub processes: BTreeMap<String, ProcessScript>,
    /// Check runtime state, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub checks: BTreeMap<String, CheckState>,
    /// Scripted outcomes of check runs, by check name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub check_outcomes: BTreeMap<String, CheckScript>,
    /// Files and directories, by absolute path (parents are implied).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, FileState>,
    /// Exec handlers: the longest matching command prefix answers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exec: Vec<ExecHandler>,
    /// Commands run so far.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exec_history: Vec<ExecRecord>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<NoticeState>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<ChangeState>,
    /// Identities (`/v1/identities`), name → identity JSON.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub identities: serde_json::Map<String, serde_json::Value>,
    /// Users of the container beyond `root`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub users: BTreeMap<String, User>,
    /// Groups of the container beyond `root`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub groups: BTreeMap<String, u32>,
    /// Exit code when a shutdown action stopped this Pebble.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exited: Option<i32>,
    /// Bookkeeping that lets a later event continue exactly (pending
    /// timers, id counters); absent in hand-written States.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<RuntimeState>,
}

/// One layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerState {
    pub label: String,
    /// Default: the next multiple of 1000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<i64>,
    /// The layer as a JSON object (what the output State holds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<serde_json::Value>,
    /// The layer as YAML text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yaml: Option<String>,
}

/// A service's runtime record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceState {
    /// `active`, `inactive`, `backoff` or `error`.
    #[serde(default)]
    pub current: String,
    /// The internal state (`running`, `backoff`, ...); default from `current`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// When `current` last changed, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// The definition it was started with, when it differs from the plan's
    /// (replan restarts it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<serde_json::Value>,
    /// How many times its process was started.
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub starts: u32,
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub backoff_num: u32,
    /// The current backoff delay (Go duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_time: Option<String>,
    /// Signals delivered to its process.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub restarting: bool,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub epoch: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_task: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_task: Option<String>,
    /// The scripted run of the current process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<ProcessRun>,
}

/// A check's runtime record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckState {
    /// `up`, `down` or `inactive`.
    #[serde(default)]
    pub status: String,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub successes: u64,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub failures: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_change_id: Option<String>,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub epoch: u64,
}

/// A file, directory or symlink.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileState {
    /// `file` (default), `directory` or `symlink`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Text content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Binary content, base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_base64: Option<String>,
    /// A symlink's target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Octal mode, e.g. `"644"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
}

/// A notice (`/v1/notices`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeState {
    #[serde(default)]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<u32>,
    /// Default `custom`.
    #[serde(default, rename = "type")]
    pub kind: String,
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_occurred: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_occurred: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_repeated: Option<String>,
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub occurrences: u32,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub last_data: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_after: Option<String>,
}

/// A change and its tasks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeState {
    pub id: String,
    pub kind: String,
    pub summary: String,
    /// The derived status (informational), or an explicit one.
    pub status: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub explicit: bool,
    pub spawn_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_time: Option<String>,
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub data: serde_json::Map<String, serde_json::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<TaskState>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskState {
    pub id: String,
    pub kind: String,
    pub summary: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<String>,
    pub spawn_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_time: Option<String>,
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub data: serde_json::Map<String, serde_json::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wait_for: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lanes: Vec<u64>,
    /// The service or check the task acts on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// Pending timers and id counters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeState {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timers: Vec<TimerState>,
    #[serde(default)]
    pub last_change: u64,
    #[serde(default)]
    pub last_task: u64,
    #[serde(default)]
    pub last_lane: u64,
    #[serde(default)]
    pub last_epoch: u64,
    #[serde(default)]
    pub last_notice: u64,
}

/// A pending timer and when it fires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimerState {
    pub at: String,
    #[serde(flatten)]
    pub timer: Timer,
}
