//! Hook tools under a real Juju unit agent: each typed call becomes the
//! argv the Python `ops` library sends for it (`ops/hookcmds`, which
//! `ops.model._ModelBackend` calls), the real tool runs from the hook's
//! PATH, and its output is read back into the [`HookReply`] the State
//! backend would give. A failure (`ERROR <message>` on stderr, exit 1, or
//! exit 2 for a usage error) comes back as the [`HookError`] of the kind
//! charmbox's own rules give that message, with the message as printed.
//!
//! The argv per call (`tools_argv.rs`), in short:
//!
//! * reads print JSON: `config-get --format=json [--all] [KEY]`,
//!   `relation-get --format=json [-r ID] [--app] [- TARGET]`,
//!   `status-get --include-data --format=json --application=false|true`,
//!   `secret-get --format=json [--label L] [--peek|--refresh] [ID]`, ...;
//! * maps go on stdin: `relation-set [-r ID] [--app] --file -` and
//!   `state-set --file -` with a JSON object (ops' `json.dumps`), its
//!   strings escaped so that Juju's YAML reader reads them back exactly;
//! * messages follow `--`: `juju-log --log-level DEBUG -- MSG`,
//!   `status-set --application=True maintenance -- MSG`,
//!   `action-log -- MSG`, `application-version-set -- V`;
//! * secret content is staged as ops stages it, one private file per key
//!   (`key#file=PATH`, removed after the call), so no value shows in the
//!   process list or hits the kernel's 128 KiB argument limit
//!   ([`LiveTools::with_secret_files`]; [`argv_for`] gives the
//!   self-contained `key#base64=...` form instead).
//!
//! Two calls are no tool: `HookRelation` is answered from the hook's
//! `JUJU_RELATION_ID`, and `RelationEndpoint` from `relation-ids` of each of
//! the charm's endpoints ([`LiveTools::with_charm`]), remembered for the hook.
//!
//! Checked against charmbox's own tools in `tools_conformance.rs`. What
//! does not round-trip (kept honest by `what_does_not_round_trip_still_does_not`):
//!
//! * inputs the CLI cannot carry: leader-set values with surrounding white
//!   space (Juju trims `key=value`), an empty secret label or description
//!   (dropped), secret expiry times not in canonical UTC RFC 3339 (Juju
//!   reformats them), a storage-add count of 0 or a repeated store, an
//!   icmp range with ports, an empty open-port endpoint, an empty
//!   network-get binding, an empty state-delete key, secret-set with empty
//!   content;
//! * answers the CLI prints more lossily: config values when the charm's
//!   types are not given ([`LiveTools::with_charm`]), goal-state `since`
//!   (whole seconds, UTC), opened-ports endpoints (sorted), an empty secret
//!   label (none), secret-info-get's not-found message (the bare id);
//! * a call wrong two ways: the tool reports its argument error first
//!   (Juju's `Init`), where the backend may report the other one;
//! * secret-revoke by application alone, or by nothing, in a relation
//!   hook: `-r` defaults to the hook's relation there.

#[path = "tools_argv.rs"]
mod argv;
#[path = "tools_json.rs"]
mod json;
#[path = "tools_parse.rs"]
mod parse;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

pub use crate::bindings::jujuc::ToolOutput;

use crate::backend::{HookCall, HookReply, HookTools, ToolError, ToolResult};
use crate::bindings::types::{HookError, RelationId};
use crate::charm::CharmMeta;

/// Most bytes read from a tool's stdout, and from its stderr.
pub const MAX_TOOL_OUTPUT: u64 = 64 << 20;

/// Every hook tool Juju 3.6's unit agent serves: the names [`LiveTools::raw`]
/// lets a charm run (any other is refused as Juju refuses it).
pub const HOOK_TOOLS: &[&str] = &[
    "action-fail",
    "action-get",
    "action-log",
    "action-set",
    "add-metric",
    "application-version-set",
    "close-port",
    "config-get",
    "credential-get",
    "goal-state",
    "is-leader",
    "juju-log",
    "juju-reboot",
    "k8s-raw-get",
    "k8s-raw-set",
    "k8s-spec-get",
    "k8s-spec-set",
    "leader-get",
    "leader-set",
    "network-get",
    "open-port",
    "opened-ports",
    "payload-register",
    "payload-status-set",
    "payload-unregister",
    "pod-spec-get",
    "pod-spec-set",
    "relation-get",
    "relation-ids",
    "relation-list",
    "relation-model-get",
    "relation-set",
    "resource-get",
    "secret-add",
    "secret-get",
    "secret-grant",
    "secret-ids",
    "secret-info-get",
    "secret-remove",
    "secret-revoke",
    "secret-set",
    "state-delete",
    "state-get",
    "state-set",
    "status-get",
    "status-set",
    "storage-add",
    "storage-get",
    "storage-list",
    "unit-get",
];

/// Runs one hook tool. Err is a fatal host problem (the tool could not be
/// run at all, or its output was out of bounds).
pub trait ToolRunner: Send {
    /// Run `argv` (`argv[0]` the tool's name) with `stdin`; its exit code,
    /// stdout and stderr.
    fn run(&mut self, argv: &[String], stdin: &[u8]) -> Result<ToolOutput, String>;
}

impl<T: ToolRunner + ?Sized> ToolRunner for Box<T> {
    fn run(&mut self, argv: &[String], stdin: &[u8]) -> Result<ToolOutput, String> {
        (**self).run(argv, stdin)
    }
}

/// As Juju's client, only the basename of `argv[0]` names the tool.
fn basename(arg0: &str) -> &str {
    arg0.rsplit('/').next().unwrap_or(arg0)
}

/// Runs tools as processes found on a PATH: no shell, in the given working
/// directory, stdin piped, stdout and stderr read fully up to
/// [`MAX_TOOL_OUTPUT`] each.
#[derive(Debug, Clone)]
pub struct PathTools {
    path: OsString,
    cwd: PathBuf,
    max_output: u64,
}

impl PathTools {
    /// Tools from the directories of `path` (a `PATH` value), run in `cwd`.
    pub fn new(path: OsString, cwd: PathBuf) -> Self {
        PathTools {
            path,
            cwd,
            max_output: MAX_TOOL_OUTPUT,
        }
    }

    /// The executable called `name` in the first PATH directory holding one.
    fn find(&self, name: &str) -> Option<PathBuf> {
        if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) {
            return None;
        }
        std::env::split_paths(&self.path)
            // An empty entry would mean the working directory: never.
            .filter(|dir| !dir.as_os_str().is_empty())
            .map(|dir| self.cwd.join(dir).join(name))
            .find(|p| {
                std::fs::metadata(p)
                    .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            })
    }
}

/// Up to `limit + 1` bytes of a pipe (more than `limit`: over).
fn read_bounded(pipe: Option<impl Read>, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    if let Some(p) = pipe {
        p.take(limit.saturating_add(1)).read_to_end(&mut buf)?;
    }
    Ok(buf)
}

impl ToolRunner for PathTools {
    fn run(&mut self, argv: &[String], stdin: &[u8]) -> Result<ToolOutput, String> {
        let Some(first) = argv.first() else {
            return Err("no hook tool named (empty argv)".into());
        };
        let name = basename(first);
        let exe = self
            .find(name)
            .ok_or_else(|| format!("hook tool `{name}` is not on PATH"))?;
        let mut child = Command::new(&exe)
            .args(&argv[1..])
            .current_dir(&self.cwd)
            .env("PATH", &self.path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("hook tool `{name}` could not be started: {e}"))?;
        let limit = self.max_output;
        let input = child.stdin.take();
        let (out_pipe, err_pipe) = (child.stdout.take(), child.stderr.take());
        let (stdout, stderr) = std::thread::scope(|s| {
            s.spawn(move || {
                // A tool that does not read its stdin closes the pipe: fine.
                if let Some(mut i) = input {
                    let _ = i.write_all(stdin);
                }
            });
            let pid = child.id() as libc::pid_t;
            let err = s.spawn(move || {
                let err = read_bounded(err_pipe, limit);
                if err.as_ref().is_ok_and(|e| e.len() as u64 > limit) {
                    // SAFETY: a plain syscall; the child is reaped only after
                    // this scope, so `pid` is still this child's.
                    unsafe {
                        libc::kill(pid, libc::SIGKILL);
                    }
                }
                err
            });
            let out = read_bounded(out_pipe, limit);
            if out.as_ref().map_or(true, |o| o.len() as u64 > limit) {
                let _ = child.kill();
            }
            let err = err
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the stderr reader panicked")));
            (out, err)
        });
        let over = |b: &std::io::Result<Vec<u8>>| b.as_ref().is_ok_and(|b| b.len() as u64 > limit);
        if over(&stdout) || over(&stderr) {
            let _ = child.kill();
        }
        let status = child.wait();
        let too_much = |stream: &str| {
            format!(
                "hook tool `{name}` wrote more than {} to {stream}",
                crate::limits::mib(limit)
            )
        };
        let read = |b: std::io::Result<Vec<u8>>, stream: &str| match b {
            Ok(b) if b.len() as u64 > limit => Err(too_much(stream)),
            Ok(b) => Ok(b),
            Err(e) => Err(format!("hook tool `{name}`: reading its {stream}: {e}")),
        };
        let stdout = read(stdout, "stdout")?;
        let stderr = read(stderr, "stderr")?;
        let status = status.map_err(|e| format!("hook tool `{name}`: waiting for it: {e}"))?;
        let code = status
            .code()
            .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
        Ok(ToolOutput {
            code,
            stdout,
            stderr,
        })
    }
}

/// Where secret content goes for one call: private files (`key#file=`),
/// or `key#base64=` arguments without a directory.
struct SecretFiles<'a> {
    base: Option<&'a Path>,
    dir: Option<PathBuf>,
}

static STAGED: AtomicU64 = AtomicU64::new(0);

impl SecretFiles<'_> {
    /// A new directory under `base` that only this user can enter.
    fn private_dir(base: &Path) -> Result<PathBuf, String> {
        let mut last = None;
        for _ in 0..16 {
            let n = STAGED.fetch_add(1, Ordering::Relaxed);
            let dir = base.join(format!("charmbox-secret-{}-{n}", std::process::id()));
            match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => return Ok(dir),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(format!("staging secret content in {}: {e}", base.display())),
            }
        }
        Err(format!(
            "staging secret content in {}: {}",
            base.display(),
            last.map_or_else(String::new, |e| e.to_string())
        ))
    }

    fn arg(&mut self, index: usize, key: &str, value: &str) -> Result<String, String> {
        let Some(base) = self.base else {
            return Ok(argv::base64_arg(key, value));
        };
        let dir = match &self.dir {
            Some(d) => d.clone(),
            None => {
                let d = Self::private_dir(base)?;
                self.dir = Some(d.clone());
                d
            }
        };
        // Files are numbered, not named by key: a key is no path.
        let path = dir.join(index.to_string());
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| format!("staging secret content in {}: {e}", path.display()))?;
        f.write_all(value.as_bytes())
            .map_err(|e| format!("staging secret content in {}: {e}", path.display()))?;
        let text = path
            .to_str()
            .ok_or_else(|| format!("secret staging path {} is not UTF-8", path.display()))?;
        Ok(format!("{key}#file={text}"))
    }
}

impl Drop for SecretFiles<'_> {
    fn drop(&mut self) {
        if let Some(d) = self.dir.take() {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// The argv (`argv[0]` the tool name) and stdin for one typed call, as ops
/// would send it; secret content as `key#base64=` arguments. For
/// `HookRelation`, which no tool answers, an empty argv; for
/// `RelationEndpoint`, the `relation-list -r ID` that checks the relation
/// exists (the endpoint itself comes from `relation-ids`, see
/// [`LiveTools::call`]).
pub fn argv_for(call: &HookCall) -> (Vec<String>, Vec<u8>) {
    argv::build(call, &mut |_, k, v| Ok(argv::base64_arg(k, v))).unwrap_or_default()
}

/// At most this much of a tool's stderr goes into a fatal error's text.
const EXCERPT: usize = 2000;

/// A failed tool as the backend's error: Juju's `ERROR <message>` with
/// exit 1 (a Run error) or 2 (a usage error); anything else is fatal.
fn failure(tool: &str, out: &ToolOutput) -> ToolError {
    let stderr = String::from_utf8_lossy(&out.stderr);
    match (out.code, parse::error_message(&stderr)) {
        (1, Some(m)) => ToolError::Hook(parse::run_error(m)),
        (2, Some(m)) => ToolError::Hook(parse::usage_error(m)),
        (code, _) => {
            let mut text = stderr.trim_end().to_string();
            if text.len() > EXCERPT {
                let mut cut = EXCERPT;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
                text.push('…');
            }
            ToolError::Fatal(format!(
                "hook tool `{tool}` failed with exit code {code}: {text:?}"
            ))
        }
    }
}

/// Typed calls answered by real tools.
pub struct LiveTools<R: ToolRunner> {
    /// What runs the tools.
    pub runner: R,
    hook_relation: Option<RelationId>,
    hook_endpoint: Option<String>,
    endpoints: Vec<String>,
    config: parse::ConfigKinds,
    /// Relation id → endpoint, as `relation-ids` listed them this hook.
    known: BTreeMap<RelationId, String>,
    /// Every endpoint's relations were listed: `known` is all there is.
    scanned: bool,
    secret_dir: Option<PathBuf>,
}

impl<R: ToolRunner> LiveTools<R> {
    /// Tools run by `runner` for a hook whose relation (`JUJU_RELATION_ID`,
    /// parsed by the caller) is `hook_relation`. Secret content is staged
    /// in the system's temporary directory.
    pub fn new(runner: R, hook_relation: Option<RelationId>) -> Self {
        LiveTools {
            runner,
            hook_relation,
            hook_endpoint: None,
            endpoints: Vec::new(),
            config: BTreeMap::new(),
            known: BTreeMap::new(),
            scanned: false,
            secret_dir: Some(std::env::temp_dir()),
        }
    }

    /// What only the charm's metadata tells: its endpoints (to find a
    /// relation's endpoint) and its config options' types (JSON cannot
    /// tell a float `2` from an int, nor a `secret` option from a string).
    pub fn with_charm(mut self, meta: &CharmMeta) -> Self {
        self.endpoints = meta.endpoints.keys().cloned().collect();
        self.config = meta
            .config
            .iter()
            .map(|(k, o)| (k.clone(), o.kind))
            .collect();
        self
    }

    /// The hook relation's endpoint (`JUJU_RELATION`): in `relation-broken`
    /// `relation-ids` no longer lists that relation.
    pub fn with_hook_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.hook_endpoint = Some(endpoint.into());
        self
    }

    /// Where secret content is staged as private files for the agent to
    /// read (`key#file=PATH`, as ops does); `None` passes it in argv as
    /// `key#base64=...`.
    pub fn with_secret_files(mut self, dir: Option<PathBuf>) -> Self {
        self.secret_dir = dir;
        self
    }

    /// One typed call: argv as ops sends it, the reply parsed back.
    pub fn call(&mut self, call: HookCall) -> ToolResult<HookReply> {
        match call {
            HookCall::HookRelation => Ok(HookReply::RelationId(self.hook_relation)),
            HookCall::RelationEndpoint { relation } => self.relation_endpoint(relation),
            other => self.run_call(&other),
        }
    }

    /// The raw `jujuc` import: argv and stdin passed through untouched,
    /// output returned untouched. Only hook tools run ([`HOOK_TOOLS`]);
    /// another name gets Juju's own refusal, as from its agent.
    pub fn raw(&mut self, argv: &[String], stdin: &[u8]) -> Result<ToolOutput, String> {
        let name = argv.first().map_or("", |a| basename(a));
        let refused = |m: String| ToolOutput {
            code: 1,
            stdout: Vec::new(),
            stderr: format!("ERROR {m}\n").into_bytes(),
        };
        if name.is_empty() {
            return Ok(refused("bad request: command not specified".into()));
        }
        if !HOOK_TOOLS.contains(&name) {
            return Ok(refused(format!("bad request: unknown command: {name}")));
        }
        self.runner.run(argv, stdin)
    }

    fn run_call(&mut self, call: &HookCall) -> ToolResult<HookReply> {
        let tool = call.tool_name();
        let out = {
            let mut files = SecretFiles {
                base: self.secret_dir.as_deref(),
                dir: None,
            };
            let (argv, stdin) =
                argv::build(call, &mut |i, k, v| files.arg(i, k, v)).map_err(ToolError::Fatal)?;
            self.runner.run(&argv, &stdin).map_err(ToolError::Fatal)?
            // The staged files go here, once the tool has read them.
        };
        if out.code != 0 {
            return Err(failure(tool, &out));
        }
        if matches!(call, HookCall::RelationIds { .. }) {
            self.remember(&out.stdout);
        }
        parse::reply(call, &out.stdout, &self.config)
            .map_err(|e| ToolError::Fatal(format!("hook tool `{tool}` answered unexpectedly: {e}")))
    }

    /// Keep the `endpoint:id` pairs relation-ids printed.
    fn remember(&mut self, stdout: &[u8]) {
        if let Ok(parse::J::Arr(items)) = parse::parse_json(stdout) {
            for item in items {
                if let parse::J::Str(s) = item
                    && let Ok((ep, id)) = parse::relation_key(&s)
                {
                    self.known.insert(id, ep);
                }
            }
        }
    }

    /// `RelationEndpoint`: the hook's relation from `JUJU_RELATION`, else
    /// the endpoint whose `relation-ids` lists the id; an id none lists is
    /// checked with `relation-list -r ID`, whose error is the answer.
    fn relation_endpoint(&mut self, id: RelationId) -> ToolResult<HookReply> {
        if self.hook_relation == Some(id)
            && let Some(ep) = &self.hook_endpoint
        {
            return Ok(HookReply::Text(ep.clone()));
        }
        if !self.scanned && !self.known.contains_key(&id) {
            for ep in self.endpoints.clone() {
                let (argv, _) = argv_for(&HookCall::RelationIds { endpoint: ep });
                let out = self.runner.run(&argv, &[]).map_err(ToolError::Fatal)?;
                if out.code != 0 {
                    return Err(failure("relation-ids", &out));
                }
                self.remember(&out.stdout);
                if self.known.contains_key(&id) {
                    break;
                }
            }
            // Not found: every endpoint was listed, and the hook's relations
            // do not change while it runs.
            self.scanned = !self.known.contains_key(&id);
        }
        if let Some(ep) = self.known.get(&id) {
            return Ok(HookReply::Text(ep.clone()));
        }
        let (argv, _) = argv_for(&HookCall::RelationEndpoint { relation: id });
        let out = self.runner.run(&argv, &[]).map_err(ToolError::Fatal)?;
        if out.code != 0 {
            return Err(failure("relation-list", &out));
        }
        Err(ToolError::Fatal(format!(
            "relation {id} exists but relation-ids lists it on none of the charm's \
             endpoints {:?} (LiveTools needs them: with_charm, and the hook's: \
             with_hook_endpoint)",
            self.endpoints
        )))
    }
}

impl<R: ToolRunner> HookTools for LiveTools<R> {
    fn call(&mut self, call: HookCall) -> ToolResult<HookReply> {
        LiveTools::call(self, call)
    }
}

/// The backend's error for a tool's `ERROR` text: exit 1 (`usage` false)
/// or 2 (`usage` true). See [`failure`].
pub fn hook_error(message: &str, usage: bool) -> HookError {
    if usage {
        parse::usage_error(message)
    } else {
        parse::run_error(message)
    }
}

#[cfg(test)]
#[path = "tools_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "tools_conformance.rs"]
mod conformance;

#[cfg(test)]
#[path = "tools_calls.rs"]
mod calls;
