//! Exec (`cmdstate`): commands run against handlers the State declares
//! (longest command prefix wins), on virtual time, with Pebble's checks of
//! the executable, user, service context and working directory, and an
//! `exec` change whose task records the exit code.

use std::collections::BTreeMap;

use crate::go::duration::Duration;
use crate::go::quote::quote;
use crate::pebble::accounts::Accounts;
use crate::pebble::changes::Work;
use crate::pebble::error::ApiError;
use crate::pebble::fs::{Fs, Kind};
use crate::pebble::layer::Layer;
use crate::pebble::overlord::{ChangeStatusHandler, Overlord};
pub use crate::state::container::{ExecHandler, ExecRecord};

/// The exec manager (`cmdstate`): the handlers commands run against and
/// the commands that ran.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecManager {
    pub handlers: Vec<ExecHandler>,
    pub history: Vec<ExecRecord>,
    /// The output of the latest commands started over HTTP, kept for their
    /// websockets (never part of the State).
    pub(crate) streams: ExecStreams,
}

/// What the websockets of recent HTTP execs send: each task's stdout and
/// stderr, the latest [`ExecStreams::KEPT`] tasks only (a client connects
/// right after its `POST /v1/exec`), so a hook that runs many commands
/// keeps no more than a few outputs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecStreams(std::collections::VecDeque<(String, Vec<u8>, Vec<u8>)>);

impl ExecStreams {
    /// How many tasks' outputs are kept.
    pub const KEPT: usize = 8;

    /// Keep `task`'s output, forgetting the oldest beyond [`Self::KEPT`].
    pub fn keep(&mut self, task: &str, stdout: Vec<u8>, stderr: Vec<u8>) {
        if self.0.len() == Self::KEPT {
            self.0.pop_front();
        }
        self.0.push_back((task.to_string(), stdout, stderr));
    }

    /// What websocket `name` of `task` sends: `stdio` its stdout, `stderr`
    /// its stderr, `control` nothing; `None` for another name, or a task
    /// whose output is not kept.
    pub fn stream(&self, task: &str, name: &str) -> Option<&[u8]> {
        let (_, out, err) = self.0.iter().find(|(t, _, _)| t == task)?;
        match name {
            "stdio" => Some(out),
            "stderr" => Some(err),
            "control" => Some(&[]),
            _ => None,
        }
    }
}

/// An exec request (`POST /v1/exec`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecRequest {
    pub command: Vec<String>,
    pub service_context: Option<String>,
    pub environment: Vec<(String, String)>,
    pub working_dir: Option<String>,
    pub timeout: Option<Duration>,
    pub user_id: Option<i64>,
    pub user: Option<String>,
    pub group_id: Option<i64>,
    pub group: Option<String>,
    pub stdin: Vec<u8>,
    pub split_stderr: bool,
}

/// What a finished command gave back.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecResult {
    pub change_id: String,
    pub task_id: String,
    pub environment: BTreeMap<String, String>,
    pub working_dir: String,
    pub exit_code: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// `timed out after ...` when the timeout killed it.
    pub timed_out: Option<String>,
}

/// A command started: what [`ExecManager::finish`] needs once virtual
/// time has moved on by `elapsed`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecStarted {
    pub change_id: String,
    pub task_id: String,
    pub environment: BTreeMap<String, String>,
    pub working_dir: String,
    /// The user and group ids it runs as.
    pub ids: Option<(i64, i64)>,
    pub handler: ExecHandler,
    /// How long it runs before it exits or the timeout kills it.
    pub elapsed: Duration,
    pub timed_out: Option<Duration>,
}

impl ExecManager {
    /// Check a command, find its handler and make its `exec` change with
    /// a running task.
    pub(crate) fn start(
        &self,
        req: &ExecRequest,
        plan: &Layer,
        accounts: &Accounts,
        fs: &Fs,
        ov: &mut Overlord,
        on_status: &mut dyn ChangeStatusHandler,
    ) -> Result<ExecStarted, ApiError> {
        let Some(program) = req.command.first() else {
            return Err(ApiError::bad_request("must specify command"));
        };
        let ExecContext {
            env,
            ids,
            working_dir,
        } = resolve_context(req, plan, accounts)?;
        let handler = self
            .handlers
            .iter()
            .filter(|h| req.command.starts_with(&h.command))
            .max_by_key(|h| h.command.len())
            .cloned();
        let Some(handler) = handler else {
            return Err(ApiError::bad_request(format!(
                "cannot find executable {}",
                quote(program)
            )));
        };
        if !matches!(fs.get(&working_dir).map(|e| &e.kind), Some(Kind::Dir)) {
            return Err(ApiError::server(format!(
                "cannot call exec: working directory {} does not exist",
                quote(&working_dir)
            )));
        }
        let summary = format!("Execute command {}", quote(program));
        let (change, task) = ov.new_running_change("exec", &summary, Work::Exec);
        ov.announce_changes(on_status);
        let runs_for = handler
            .duration
            .as_deref()
            .and_then(|d| Duration::parse(d).ok())
            .unwrap_or_default();
        let timed_out = req.timeout.filter(|t| *t < runs_for);
        let elapsed = timed_out.unwrap_or(runs_for);
        Ok(ExecStarted {
            change_id: change,
            task_id: task,
            environment: env,
            working_dir,
            ids,
            handler,
            elapsed,
            timed_out,
        })
    }

    /// The command ran for `started.elapsed`: record its exit code, finish
    /// its task, add it to the history and give back its output.
    pub(crate) fn finish(
        &mut self,
        req: &ExecRequest,
        started: ExecStarted,
        ov: &mut Overlord,
        on_status: &mut dyn ChangeStatusHandler,
    ) -> ExecResult {
        let exit_code = if started.timed_out.is_some() {
            -1
        } else {
            started.handler.exit_code
        };
        if let Some(t) = ov.changes.task_mut(&started.task_id) {
            t.data
                .insert("exit-code".into(), serde_json::Value::from(exit_code));
        }
        let timeout_msg = started
            .timed_out
            .map(|t| format!("timed out after {t}: context deadline exceeded"));
        ov.finish_task(&started.task_id, timeout_msg.clone(), on_status);
        self.history.push(ExecRecord {
            command: req.command.clone(),
            environment: req.environment.iter().cloned().collect(),
            working_dir: started.working_dir.clone(),
            user_id: started.ids.map(|i| i.0),
            group_id: started.ids.map(|i| i.1),
            stdin: String::from_utf8_lossy(&req.stdin).into_owned(),
            timeout: req.timeout.map(|t| t.to_string()),
            exit_code,
        });
        let (stdout, stderr) = if started.timed_out.is_some() {
            (Vec::new(), Vec::new())
        } else if req.split_stderr {
            (
                started.handler.stdout.into_bytes(),
                started.handler.stderr.into_bytes(),
            )
        } else {
            let mut out = started.handler.stdout.into_bytes();
            out.extend(started.handler.stderr.into_bytes());
            (out, Vec::new())
        };
        ExecResult {
            change_id: started.change_id,
            task_id: started.task_id,
            environment: started.environment,
            working_dir: started.working_dir,
            exit_code,
            stdout,
            stderr,
            timed_out: timeout_msg,
        }
    }
}

/// What a command runs with.
struct ExecContext {
    env: BTreeMap<String, String>,
    /// The user and group ids, when any were given or implied.
    ids: Option<(i64, i64)>,
    working_dir: String,
}

/// What a command runs with: the environment, the user and group ids and
/// the working directory, from its service context (if any), then the
/// request's own settings, then Pebble's defaults (`HOME`, `USER`, `LANG`,
/// `PATH`, the user's home).
fn resolve_context(
    req: &ExecRequest,
    plan: &Layer,
    accounts: &Accounts,
) -> Result<ExecContext, ApiError> {
    // Service context, then the request's own settings.
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    let (mut uid, mut gid) = (req.user_id, req.group_id);
    let (mut user, mut group) = (
        req.user.clone().unwrap_or_default(),
        req.group.clone().unwrap_or_default(),
    );
    let mut working_dir = req.working_dir.clone().unwrap_or_default();
    if let Some(ctx) = req.service_context.as_deref().filter(|c| !c.is_empty()) {
        let Some(s) = plan.services.get(ctx) else {
            return Err(ApiError::bad_request(format!(
                "context service {} not found",
                quote(ctx)
            )));
        };
        env.extend(s.environment.clone().unwrap_or_default());
        if uid.is_none() {
            uid = s.user_id;
        }
        if gid.is_none() {
            gid = s.group_id;
        }
        if user.is_empty() {
            user = s.user.clone();
        }
        if group.is_empty() {
            group = s.group.clone();
        }
        if working_dir.is_empty() {
            working_dir = s.working_dir.clone();
        }
    }
    env.extend(req.environment.iter().cloned());
    let ids = accounts
        .normalize(uid, gid, &user, &group)
        .map_err(ApiError::bad_request)?;
    let (home, username) = match ids {
        Some((u, _)) => match accounts.user_by_id(u as u32) {
            Some((name, acct)) => (
                acct.home.clone().unwrap_or_else(|| "/".into()),
                name.to_string(),
            ),
            None => ("/".to_string(), String::new()),
        },
        None => ("/root".to_string(), "root".to_string()),
    };
    env.entry("HOME".into()).or_insert_with(|| home.clone());
    if !username.is_empty() {
        env.entry("USER".into()).or_insert(username);
    }
    env.entry("LANG".into()).or_insert_with(|| "C.UTF-8".into());
    env.entry("PATH".into())
        .or_insert_with(|| "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into());
    if working_dir.is_empty() {
        working_dir = home;
    }
    Ok(ExecContext {
        env,
        ids,
        working_dir,
    })
}
