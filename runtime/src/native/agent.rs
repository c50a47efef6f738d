//! The unit agent's side of a native hook: the thread that owns the unit's
//! backend answers the hook's tool calls and Pebble requests one at a time,
//! in the order they arrive (served on that same thread by
//! [`super::serve`]), until the hook's process ends or its deadline
//! passes. The same `jujuc` rules and the same backend calls as a
//! component's imports, so a native run and a component run of the same
//! charm record the same calls.

use std::collections::VecDeque;
use std::path::Path;
use std::process::ExitStatus;

use super::wire::{ToolRequest, ToolResponse};
use crate::backend::pebble::{PebbleCall, PebbleReply};
use crate::backend::{Backend, HookCall, HookReply, HookTools, ToolResult};
use crate::bindings::pebble::HttpResponse;
use crate::jujuc::{FileError, FsHost, NoHost, ToolHost};
use crate::limits::weigh;
use crate::sandbox::GuestFs;

/// How the hook ended, seen from the agent.
#[derive(Debug)]
pub enum End {
    Exited(ExitStatus),
    /// The deadline passed first.
    Deadline,
    /// A host problem (a replay diverged, a broken reply): the hook is
    /// stopped, as a component traps.
    Fatal(String),
}

/// What the agent knows of the hook it serves.
pub struct Session<'a> {
    /// The hook's `JUJU_CONTEXT_ID`.
    pub context_id: &'a str,
    /// The virtual time tools see (`secret-add --expire 1h`).
    pub now_ns: u64,
    /// Bytes through tool calls the hook may move (requests and replies).
    pub io_bytes: u64,
}

/// A hook tool run without stdin that asked for it: its calls, answered
/// again to the second try without asking the backend twice.
struct Pending {
    argv: Vec<String>,
    dir: String,
    calls: Vec<(HookCall, ToolResult<HookReply>)>,
}

/// The backend seen through the answers of a first try: calls that repeat
/// the first try's, in order, are answered from it.
struct Memo<'a> {
    inner: &'a mut dyn HookTools,
    again: VecDeque<(HookCall, ToolResult<HookReply>)>,
    log: Vec<(HookCall, ToolResult<HookReply>)>,
}

impl HookTools for Memo<'_> {
    fn call(&mut self, call: HookCall) -> ToolResult<HookReply> {
        if self.again.front().is_some_and(|(c, _)| *c == call) {
            let (c, r) = self.again.pop_front().expect("checked");
            self.log.push((c, r.clone()));
            return r;
        }
        self.again.clear();
        let r = self.inner.call(call.clone());
        self.log.push((call, r.clone()));
        r
    }
}

/// The agent of one hook: the unit's backend and what the hook's requests
/// have done so far. The socket server ([`super::serve`]) hands it each
/// request on the thread that owns the backend.
pub struct Agent<'a, B> {
    backend: &'a mut B,
    session: Session<'a>,
    /// A tool that asked for stdin, waiting for its second try.
    pending: Option<Pending>,
    io_used: u64,
    /// Containers whose Pebble the hook has reached, as a component's
    /// client opens each container once (the first connection is its
    /// `open`).
    opened: Vec<String>,
    /// A host problem that ends the hook.
    pub(super) fatal: Option<String>,
}

impl<'a, B: Backend> Agent<'a, B> {
    pub fn new(backend: &'a mut B, session: Session<'a>) -> Self {
        Agent {
            backend,
            session,
            pending: None,
            io_used: 0,
            opened: Vec::new(),
            fatal: None,
        }
    }

    /// Answer a hook tool's request from the process `pid`.
    pub fn tool(&mut self, request: ToolRequest, pid: Option<i32>) -> ToolResponse {
        let answer = answer_tool(
            self.backend,
            &self.session,
            &mut self.pending,
            &mut self.io_used,
            request,
            pid,
        );
        answer.unwrap_or_else(|m| {
            self.fatal = Some(m.clone());
            ToolResponse::Refused(m)
        })
    }

    /// Answer a Pebble request on `container`'s socket; `None` closes the
    /// connection unanswered (Pebble is not reachable).
    pub fn pebble(
        &mut self,
        container: &str,
        request: crate::pebble::http::Request,
    ) -> Option<HttpResponse> {
        answer_pebble(self.backend, &mut self.opened, container, request).unwrap_or_else(|m| {
            self.fatal = Some(m);
            None
        })
    }

    /// The host problem that ends the hook, once.
    pub fn take_fatal(&mut self) -> Option<String> {
        self.fatal.take()
    }
}

/// The files a tool names, read and written as the calling process sees
/// them (through `/proc/<pid>/root`, so inside the hook's mount namespace),
/// relative to its working directory. The caller's root is opened only
/// when a tool names a file: most calls name none.
struct CallerFiles<'a> {
    dir: &'a str,
    pid: Option<i32>,
    now_ns: u64,
    fs: Option<GuestFs>,
}

impl CallerFiles<'_> {
    /// The caller's view, opened on first use; `None` without a pid or
    /// when its root cannot be opened (the tool then cannot reach files).
    fn host(&mut self) -> Option<FsHost<'_>> {
        if self.fs.is_none() {
            let pid = self.pid?;
            let mut fs = GuestFs::new(self.dir);
            fs.mount_path("/", Path::new(&format!("/proc/{pid}/root")), true)
                .ok()?;
            self.fs = Some(fs);
        }
        Some(FsHost {
            fs: self.fs.as_ref()?,
            now_ns: self.now_ns,
            disk: None,
        })
    }
}

impl ToolHost for CallerFiles<'_> {
    fn now_ns(&mut self) -> u64 {
        self.now_ns
    }

    fn read_file(&mut self, path: &str, limit: u64) -> Result<Vec<u8>, FileError> {
        match self.host() {
            Some(mut h) => h.read_file(path, limit),
            None => NoHost.read_file(path, limit),
        }
    }

    fn write_file(&mut self, path: &str, data: &[u8]) -> Result<(), FileError> {
        match self.host() {
            Some(mut h) => h.write_file(path, data),
            None => NoHost.write_file(path, data),
        }
    }
}

fn answer_tool<B: Backend>(
    backend: &mut B,
    session: &Session<'_>,
    pending: &mut Option<Pending>,
    io_used: &mut u64,
    request: ToolRequest,
    pid: Option<i32>,
) -> Result<ToolResponse, String> {
    // Juju's server checks, in its order (reference §1.1).
    if !request.dir.starts_with('/') {
        return Ok(ToolResponse::Refused(
            "bad request: Dir is not absolute".into(),
        ));
    }
    if request.context_id != session.context_id {
        return Ok(ToolResponse::Refused(format!(
            "bad request: wrong context ID; got {}",
            crate::go::quote::quote(&request.context_id)
        )));
    }
    let asked = weigh(&request.argv) + request.stdin.as_ref().map_or(0, |s| s.len() as u64);
    *io_used = io_used.saturating_add(asked);
    if *io_used > session.io_bytes {
        let m = format!(
            "the hook's tool calls moved more than {} bytes, the limit of one dispatch",
            session.io_bytes
        );
        return Ok(done(crate::jujuc::error_output(&m)));
    }
    let again = match pending.take() {
        Some(p) if p.argv == request.argv && p.dir == request.dir => p.calls.into(),
        _ => VecDeque::new(),
    };
    let mut memo = Memo {
        inner: backend,
        again,
        log: Vec::new(),
    };
    let mut host = CallerFiles {
        dir: &request.dir,
        pid,
        now_ns: session.now_ns,
        fs: None,
    };
    let out = crate::jujuc::run_stdin_on_demand(
        &mut memo,
        &mut host,
        &request.argv,
        request.stdin.as_deref(),
    )?;
    let Some(out) = out else {
        *pending = Some(Pending {
            argv: request.argv,
            dir: request.dir,
            calls: memo.log,
        });
        return Ok(ToolResponse::NeedStdin);
    };
    *io_used = io_used.saturating_add((out.stdout.len() + out.stderr.len()) as u64);
    Ok(done(out))
}

fn done(out: crate::bindings::jujuc::ToolOutput) -> ToolResponse {
    ToolResponse::Done {
        code: out.code,
        stdout: out.stdout,
        stderr: out.stderr,
    }
}

fn answer_pebble<B: Backend>(
    backend: &mut B,
    opened: &mut Vec<String>,
    container: &str,
    r: crate::pebble::http::Request,
) -> Result<Option<HttpResponse>, String> {
    if !opened.iter().any(|c| c == container) {
        if backend.pebble(container, PebbleCall::Open)?.is_err() {
            return Ok(None);
        }
        opened.push(container.to_string());
    }
    let call = PebbleCall::Request {
        method: r.method,
        path: r.path,
        query: r.query,
        headers: r.headers,
        body: r.body,
    };
    match backend.pebble(container, call)? {
        Ok(PebbleReply::Http(resp)) => Ok(Some(resp)),
        // Pebble cannot be reached (PebbleError::Connection, or any answer
        // that is not HTTP): the client sees its connection close, as ops
        // does when the socket is dead.
        _ => Ok(None),
    }
}
