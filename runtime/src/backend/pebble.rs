//! The `pebble` interface as a backend trait: one request per container call.

use serde::{Deserialize, Serialize};

use crate::bindings::pebble::{
    ChangeInfo, ChangeSelect, CheckInfo, CheckLevel, ExecOutput, ExecRequest, FileInfo,
    FileOptions, HttpResponse, Notice, NoticesFilter, PebbleError, ServiceInfo,
};

/// One call on a container's Pebble.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum PebbleCall {
    Open,
    CanConnect,
    SystemInfo,
    AddLayer {
        label: String,
        layer_yaml: String,
        combine: bool,
    },
    GetPlan,
    GetServices {
        names: Vec<String>,
    },
    Start {
        services: Vec<String>,
    },
    Stop {
        services: Vec<String>,
    },
    Restart {
        services: Vec<String>,
    },
    Replan,
    Autostart,
    SendSignal {
        signal: String,
        services: Vec<String>,
    },
    GetChanges {
        select: ChangeSelect,
        service: Option<String>,
    },
    GetChange {
        id: String,
    },
    WaitChange {
        id: String,
        timeout_ms: Option<u64>,
    },
    AbortChange {
        id: String,
    },
    GetChecks {
        level: CheckLevel,
        names: Vec<String>,
    },
    StartChecks {
        names: Vec<String>,
    },
    StopChecks {
        names: Vec<String>,
    },
    Pull {
        path: String,
    },
    Push {
        path: String,
        data: Vec<u8>,
        options: FileOptions,
    },
    ListFiles {
        path: String,
        pattern: Option<String>,
        itself: bool,
    },
    MakeDir {
        path: String,
        options: FileOptions,
    },
    RemovePath {
        path: String,
        recursive: bool,
    },
    Exec {
        request: ExecRequest,
    },
    Notify {
        key: String,
        data: Vec<(String, String)>,
        repeat_after: Option<String>,
    },
    GetNotice {
        id: String,
    },
    GetNotices {
        filter: NoticesFilter,
    },
    GetIdentities,
    ReplaceIdentities {
        identities_json: String,
    },
    Request {
        method: String,
        path: String,
        query: Vec<(String, String)>,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
}

/// The successful answer to a [`PebbleCall`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PebbleReply {
    Done,
    Bool(bool),
    Text(String),
    Texts(Vec<String>),
    Bytes(Vec<u8>),
    Services(Vec<ServiceInfo>),
    Changes(Vec<ChangeInfo>),
    Change(ChangeInfo),
    Checks(Vec<CheckInfo>),
    Files(Vec<FileInfo>),
    Exec(ExecOutput),
    Notice(Notice),
    Notices(Vec<Notice>),
    Http(HttpResponse),
}

/// Answer of a Pebble call: Pebble's error, or a fatal host problem.
pub type PebbleResult = Result<Result<PebbleReply, PebbleError>, String>;

/// The workload containers' Pebbles, for one unit during one event.
pub trait PebbleBackend {
    /// Answer one call on container `container`.
    fn pebble(&mut self, container: &str, call: PebbleCall) -> PebbleResult;
}
