//! The conformance tests' harness: a State with containers, a transport
//! answering each HTTP request with charmbox's simulated Pebble HTTP API
//! (the `request` path of the State backend, as charmbox's socket server
//! answers a native charm), and [`Pair`]: the live calls against a second,
//! identical State backend answering the typed calls directly.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::{ExecIo, ExecStreams, HttpRequest, LivePebble, PebbleTransport, Response};
use crate::backend::Backend;
use crate::backend::pebble::{PebbleBackend, PebbleCall, PebbleReply};
use crate::backend::unit::UnitBackend;
use crate::bindings::pebble::{ExecRequest, FileOptions, PebbleError};
use crate::charm::CharmMeta;
use crate::event::EventSpec;
use crate::state::State;

pub(super) const META: &str = "name: demo\ncontainers:\n  web: {}\n  down: {}\n  ghost: {}\n";

const BASE: &str = "services:
  app:
    override: replace
    command: /bin/app
    startup: enabled
  worker:
    override: replace
    command: /bin/worker --flag
    environment: {MODE: test}
    working-dir: /srv
checks:
  up:
    override: replace
    level: alive
    period: 10s
    exec:
      command: /bin/check
";

pub(super) const STATE: &str = r#"{"containers": [
  {"name": "web", "can_connect": true,
   "layers": [{"label": "base", "yaml": "$BASE"}],
   "processes": {"worker": [{"exit_after": "3s", "exit_code": 1}, {}]},
   "check_outcomes": {"up": {"outcomes": ["ok"]}},
   "files": {"/etc/app.conf": {"content": "x=1\n", "permissions": "600"},
             "/srv/data/a.txt": {"content": "a"},
             "/srv/data/b.bin": {"content_base64": "AAEC"}},
   "exec": [{"command": ["echo"], "stdout": "hi\n", "stderr": "warn\n"},
            {"command": ["false"], "exit_code": 1},
            {"command": ["sleep"], "duration": "10s"}],
   "users": {"app": {"uid": 1000, "gid": 1000, "home": "/home/app"}},
   "groups": {"app": 1000},
   "notices": [{"key": "example.com/seed", "last_data": {"k": "v"}}]},
  {"name": "down", "can_connect": false}
]}"#;

/// A State backend for [`META`] and [`STATE`].
pub(super) fn backend() -> UnitBackend {
    let meta = Arc::new(CharmMeta::parse(META, "test").expect("charm"));
    let base = serde_json::to_string(BASE).expect("JSON");
    let text = STATE.replace("\"$BASE\"", &base);
    let state = State::from_json(&text, "test").expect("state");
    let resolved = EventSpec::named("start")
        .resolve(&meta, &state)
        .expect("event");
    UnitBackend::new(meta, state, &resolved).expect("backend")
}

/// `%XX` undone, as Pebble's Go server reads a request's path.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = (b[i] == b'%' && i + 3 <= b.len())
            .then(|| std::str::from_utf8(&b[i + 1..i + 3]).ok())
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(v) => {
                out.push(v);
                i += 3;
            }
            None => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Each HTTP request answered by the State backend's simulated Pebble.
pub(super) struct SimTransport {
    pub backend: UnitBackend,
}

impl SimTransport {
    fn raw(
        &mut self,
        container: &str,
        call: PebbleCall,
    ) -> Result<Option<crate::bindings::pebble::HttpResponse>, String> {
        match self.backend.pebble(container, call)? {
            Ok(PebbleReply::Http(h)) => Ok(Some(h)),
            Err(PebbleError::Connection(_)) => Ok(None),
            other => Err(format!("not an HTTP answer: {other:?}")),
        }
    }
}

impl PebbleTransport for SimTransport {
    fn request(&mut self, container: &str, req: &HttpRequest) -> Result<Option<Response>, String> {
        let r = &req.request;
        let call = PebbleCall::Request {
            method: r.method.clone(),
            path: percent_decode(&r.path),
            query: r.query.clone(),
            headers: r.headers.clone(),
            body: r.body.clone(),
        };
        Ok(self.raw(container, call)?.map(|h| Response {
            status: h.status,
            headers: h.headers,
            body: h.body,
        }))
    }

    /// As charmbox's socket server serves exec's websockets: the simulated
    /// Pebble answers each upgrade `101` with what that websocket sends.
    fn exec_io(&mut self, container: &str, io: &ExecIo) -> Result<Option<ExecStreams>, String> {
        let mut streams = ExecStreams::default();
        let names: &[&str] = if io.split_stderr {
            &["control", "stdio", "stderr"]
        } else {
            &["control", "stdio"]
        };
        for name in names {
            let call = PebbleCall::Request {
                method: "GET".into(),
                path: format!("/v1/tasks/{}/websocket/{name}", io.task_id),
                query: Vec::new(),
                headers: vec![("Upgrade".into(), "websocket".into())],
                body: Vec::new(),
            };
            let Some(h) = self.raw(container, call)? else {
                return Ok(None);
            };
            if h.status != 101 {
                return Err(format!("websocket {name}: {}", h.status));
            }
            match *name {
                "stdio" => streams.stdout = h.body,
                "stderr" => streams.stderr = h.body,
                _ => {}
            }
        }
        Ok(Some(streams))
    }
}

/// Every variant's name; [`variant`] is exhaustive, so a new variant
/// must be named (and then called) here.
pub(super) const ALL: [&str; 34] = [
    "open",
    "can-connect",
    "system-info",
    "add-layer",
    "get-plan",
    "get-services",
    "start",
    "stop",
    "restart",
    "replan",
    "autostart",
    "send-signal",
    "get-changes",
    "get-change",
    "wait-change",
    "abort-change",
    "get-checks",
    "start-checks",
    "stop-checks",
    "pull",
    "push",
    "list-files",
    "make-dir",
    "remove-path",
    "exec",
    "notify",
    "get-notice",
    "get-notices",
    "get-identities",
    "replace-identities",
    "request",
    "exec-timeout",
    "wait-timeout",
    "unreachable",
];

fn variant(c: &PebbleCall) -> &'static str {
    use PebbleCall as C;
    match c {
        C::Open => "open",
        C::CanConnect => "can-connect",
        C::SystemInfo => "system-info",
        C::AddLayer { .. } => "add-layer",
        C::GetPlan => "get-plan",
        C::GetServices { .. } => "get-services",
        C::Start { .. } => "start",
        C::Stop { .. } => "stop",
        C::Restart { .. } => "restart",
        C::Replan => "replan",
        C::Autostart => "autostart",
        C::SendSignal { .. } => "send-signal",
        C::GetChanges { .. } => "get-changes",
        C::GetChange { .. } => "get-change",
        C::WaitChange { .. } => "wait-change",
        C::AbortChange { .. } => "abort-change",
        C::GetChecks { .. } => "get-checks",
        C::StartChecks { .. } => "start-checks",
        C::StopChecks { .. } => "stop-checks",
        C::Pull { .. } => "pull",
        C::Push { .. } => "push",
        C::ListFiles { .. } => "list-files",
        C::MakeDir { .. } => "make-dir",
        C::RemovePath { .. } => "remove-path",
        C::Exec { .. } => "exec",
        C::Notify { .. } => "notify",
        C::GetNotice { .. } => "get-notice",
        C::GetNotices { .. } => "get-notices",
        C::GetIdentities => "get-identities",
        C::ReplaceIdentities { .. } => "replace-identities",
        C::Request { .. } => "request",
    }
}

/// The typed backend and the live calls over the simulated HTTP API.
pub(super) struct Pair<T: PebbleTransport> {
    pub typed: UnitBackend,
    pub live: LivePebble<T>,
    covered: BTreeSet<&'static str>,
}

impl<T: PebbleTransport> Pair<T> {
    pub fn new(live: T) -> Self {
        Pair {
            typed: backend(),
            live: LivePebble::new(live),
            covered: BTreeSet::new(),
        }
    }

    /// `call` on both; their replies, which must be equal.
    pub fn both(&mut self, container: &str, call: PebbleCall) -> Result<PebbleReply, PebbleError> {
        let typed = self.typed.pebble(container, call.clone()).expect("typed");
        let live = self.live.call(container, call.clone()).expect("live");
        assert_eq!(typed, live, "{container}: {call:?}");
        self.covered.insert(variant(&call));
        match &typed {
            Err(PebbleError::Timeout(_)) if matches!(call, PebbleCall::Exec { .. }) => {
                self.covered.insert("exec-timeout");
            }
            Err(PebbleError::Timeout(_)) => {
                self.covered.insert("wait-timeout");
            }
            Err(PebbleError::Connection(m)) if m.contains("socket not found") => {
                self.covered.insert("unreachable");
            }
            _ => {}
        }
        typed
    }

    /// Both must succeed; the reply.
    pub fn ok(&mut self, container: &str, call: PebbleCall) -> PebbleReply {
        let shown = format!("{call:?}");
        self.both(container, call)
            .unwrap_or_else(|e| panic!("{shown}: {e:?}"))
    }

    /// Both must fail; the error.
    pub fn err(&mut self, container: &str, call: PebbleCall) -> PebbleError {
        let shown = format!("{call:?}");
        match self.both(container, call) {
            Err(e) => e,
            Ok(r) => panic!("{shown} succeeded: {r:?}"),
        }
    }

    pub fn covered(&self) -> &BTreeSet<&'static str> {
        &self.covered
    }

    /// End both hooks; the typed backend's output State.
    pub fn finish_typed(&mut self) -> State {
        self.typed.finish(true).expect("finish");
        self.typed.state().clone()
    }
}

pub(super) fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

pub(super) fn opts() -> FileOptions {
    FileOptions {
        make_dirs: false,
        permissions: None,
        user_id: None,
        user: None,
        group_id: None,
        group: None,
    }
}

pub(super) fn exec(cmd: &[&str]) -> PebbleCall {
    exec_with(cmd, |_| {})
}

pub(super) fn exec_with(cmd: &[&str], f: impl FnOnce(&mut ExecRequest)) -> PebbleCall {
    let mut request = ExecRequest {
        command: names(cmd),
        service_context: None,
        environment: Vec::new(),
        working_dir: None,
        timeout_ms: None,
        user_id: None,
        user: None,
        group_id: None,
        group: None,
        stdin: Vec::new(),
        split_stderr: true,
    };
    f(&mut request);
    PebbleCall::Exec { request }
}

pub(super) fn text(r: PebbleReply) -> String {
    match r {
        PebbleReply::Text(t) => t,
        other => panic!("not text: {other:?}"),
    }
}

pub(super) fn api_status(e: &PebbleError) -> u16 {
    match e {
        PebbleError::Api(a) => a.status_code,
        other => panic!("not an API error: {other:?}"),
    }
}
