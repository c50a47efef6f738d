//! Each [`PebbleCall`] as the request(s) `ops.pebble.Client` sends:
//!
//! | call | request |
//! |---|---|
//! | `system-info` | `GET /v1/system-info` |
//! | `add-layer` | `POST /v1/layers` `{action: add, combine, label, format: yaml, layer}` |
//! | `get-plan` | `GET /v1/plan?format=yaml` |
//! | `get-services` | `GET /v1/services?names=a,b` |
//! | `start`, `stop`, `restart`, `replan`, `autostart` | `POST /v1/services` `{action, services}`: the change id, not waited for (ops with `timeout=0`; the simulated backend does not wait either) |
//! | `send-signal` | `POST /v1/signals` `{signal, services}` |
//! | `get-changes` | `GET /v1/changes?select=&for=` |
//! | `get-change` | `GET /v1/changes/<id>` |
//! | `wait-change` | `GET /v1/changes/<id>/wait?timeout=`, in slices (a zero timeout: `GET /v1/changes/<id>`) |
//! | `abort-change` | `POST /v1/changes/<id>` `{action: abort}` |
//! | `get-checks` | `GET /v1/checks?level=&names=a&names=b` |
//! | `start-checks`, `stop-checks` | `POST /v1/checks` `{action, checks}` |
//! | `pull` | `GET /v1/files?action=read&path=` (multipart answer) |
//! | `push` | `POST /v1/files`, multipart: `request` `{action: write, files: [...]}` and `files` |
//! | `list-files` | `GET /v1/files?action=list&path=&pattern=&itself=true` |
//! | `make-dir` | `POST /v1/files` `{action: make-dirs, dirs: [...]}` |
//! | `remove-path` | `POST /v1/files` `{action: remove, paths: [...]}` |
//! | `exec` | `POST /v1/exec`; websockets `control`, `stdio`, `stderr` at `/v1/tasks/<task>/websocket/<id>`; then the change waited for (its timeout + 1 s, as ops) |
//! | `notify` | `POST /v1/notices` `{action: add, type: custom, key, data, repeat-after}` |
//! | `get-notice` | `GET /v1/notices/<id>` |
//! | `get-notices` | `GET /v1/notices?types=&keys=&after=` |
//! | `get-identities` | `GET /v1/identities` |
//! | `replace-identities` | `POST /v1/identities` `{action: replace, identities}` |
//! | `request` | as given; the answer as it came |

use serde_json::{Map, Value, json};
use sha2::Digest;

use super::parse::{self, Parsed};
use super::{
    Envelope, ExecIo, MAX_WAIT_MS, PebbleTransport, REQUEST_TIMEOUT, Request, Session, api_error,
    format_timeout_ms, header, protocol, segment,
};
use crate::backend::pebble::{PebbleCall, PebbleReply};
use crate::bindings::pebble::{self as wit, ApiError, PebbleError};

/// `r`, or a protocol error naming `what`.
fn read<X>(what: &str, r: Parsed<X>) -> Result<X, PebbleError> {
    r.map_err(|m| protocol(what, m))
}

fn q(k: &str, v: impl Into<String>) -> (String, String) {
    (k.to_string(), v.into())
}

/// Answer one call (`open` and `can-connect` are [`super::LivePebble`]'s).
pub(super) fn answer<T: PebbleTransport>(
    s: &mut Session<'_, T>,
    call: PebbleCall,
) -> Result<PebbleReply, PebbleError> {
    use PebbleCall as C;
    use PebbleReply as R;
    Ok(match call {
        C::Open => R::Done,
        C::CanConnect => R::Bool(s.can_connect()),
        C::SystemInfo => R::Text(
            s.call("GET", "/v1/system-info", Vec::new(), None)?
                .result
                .to_string(),
        ),
        C::AddLayer {
            label,
            layer_yaml,
            combine,
        } => {
            let body = json!({
                "action": "add",
                "combine": combine,
                "label": label,
                "format": "yaml",
                "layer": layer_yaml,
            });
            s.call("POST", "/v1/layers", Vec::new(), Some(body))?;
            R::Done
        }
        C::GetPlan => {
            let env = s.call("GET", "/v1/plan", vec![q("format", "yaml")], None)?;
            R::Text(read("GET /v1/plan", parse::text(&env.result, "the plan"))?)
        }
        C::GetServices { names } => {
            let query = if names.is_empty() {
                Vec::new()
            } else {
                vec![q("names", names.join(","))]
            };
            let env = s.call("GET", "/v1/services", query, None)?;
            R::Services(read("GET /v1/services", parse::services(&env.result))?)
        }
        C::Start { services } => R::Text(services_action(s, "start", services)?),
        C::Stop { services } => R::Text(services_action(s, "stop", services)?),
        C::Restart { services } => R::Text(services_action(s, "restart", services)?),
        C::Replan => R::Text(services_action(s, "replan", Vec::new())?),
        C::Autostart => R::Text(services_action(s, "autostart", Vec::new())?),
        C::SendSignal { signal, services } => {
            let body = json!({ "signal": signal, "services": services });
            s.call("POST", "/v1/signals", Vec::new(), Some(body))?;
            R::Done
        }
        C::GetChanges { select, service } => {
            let select = match select {
                wit::ChangeSelect::InProgress => "in-progress",
                wit::ChangeSelect::Ready => "ready",
                wit::ChangeSelect::All => "all",
            };
            let mut query = vec![q("select", select)];
            if let Some(service) = service {
                query.push(q("for", service));
            }
            let env = s.call("GET", "/v1/changes", query, None)?;
            R::Changes(read("GET /v1/changes", parse::changes(&env.result))?)
        }
        C::GetChange { id } => {
            let path = format!("/v1/changes/{}", segment(&id));
            let env = s.call("GET", path.clone(), Vec::new(), None)?;
            R::Change(read(&format!("GET {path}"), parse::change(&env.result))?)
        }
        C::WaitChange { id, timeout_ms } => {
            let result = s.wait_change(&id, timeout_ms)?;
            R::Change(read("a change wait", parse::change(&result))?)
        }
        C::AbortChange { id } => {
            let path = format!("/v1/changes/{}", segment(&id));
            let body = json!({ "action": "abort" });
            let env = s.call("POST", path.clone(), Vec::new(), Some(body))?;
            R::Change(read(&format!("POST {path}"), parse::change(&env.result))?)
        }
        C::GetChecks { level, names } => {
            let mut query = Vec::new();
            match level {
                wit::CheckLevel::Unset => {}
                wit::CheckLevel::Alive => query.push(q("level", "alive")),
                wit::CheckLevel::Ready => query.push(q("level", "ready")),
            }
            query.extend(names.into_iter().map(|n| q("names", n)));
            let env = s.call("GET", "/v1/checks", query, None)?;
            R::Checks(read("GET /v1/checks", parse::checks(&env.result))?)
        }
        C::StartChecks { names } => R::Texts(checks_action(s, "start", names)?),
        C::StopChecks { names } => R::Texts(checks_action(s, "stop", names)?),
        C::Pull { path } => R::Bytes(pull(s, &path)?),
        C::Push {
            path,
            data,
            options,
        } => {
            push(s, &path, data, &options)?;
            R::Done
        }
        C::ListFiles {
            path,
            pattern,
            itself,
        } => {
            let mut query = vec![q("path", path)];
            if let Some(p) = pattern.filter(|p| !p.is_empty()) {
                query.push(q("pattern", p));
            }
            if itself {
                query.push(q("itself", "true"));
            }
            query.push(q("action", "list"));
            let env = s.call("GET", "/v1/files", query, None)?;
            R::Files(read("GET /v1/files", parse::files(&env.result))?)
        }
        C::MakeDir { path, options } => {
            let mut info = auth(&options);
            info.insert("path".into(), path.clone().into());
            if options.make_dirs {
                info.insert("make-parents".into(), true.into());
            }
            let body = json!({ "action": "make-dirs", "dirs": [info] });
            files_post(s, &path, body)?;
            R::Done
        }
        C::RemovePath { path, recursive } => {
            let mut info = Map::new();
            info.insert("path".into(), path.clone().into());
            if recursive {
                info.insert("recursive".into(), true.into());
            }
            let body = json!({ "action": "remove", "paths": [info] });
            files_post(s, &path, body)?;
            R::Done
        }
        C::Exec { request } => R::Exec(exec(s, request)?),
        C::Notify {
            key,
            data,
            repeat_after,
        } => {
            let mut body = Map::new();
            body.insert("action".into(), "add".into());
            body.insert("type".into(), "custom".into());
            body.insert("key".into(), key.into());
            if !data.is_empty() {
                let data: Map<String, Value> =
                    data.into_iter().map(|(k, v)| (k, Value::from(v))).collect();
                body.insert("data".into(), Value::Object(data));
            }
            if let Some(r) = repeat_after {
                body.insert("repeat-after".into(), r.into());
            }
            let env = s.call("POST", "/v1/notices", Vec::new(), Some(Value::Object(body)))?;
            let id = env.result.get("id").cloned().unwrap_or(Value::Null);
            R::Text(read("POST /v1/notices", parse::text(&id, "the notice id"))?)
        }
        C::GetNotice { id } => {
            let path = format!("/v1/notices/{}", segment(&id));
            let env = s.call("GET", path.clone(), Vec::new(), None)?;
            R::Notice(read(&format!("GET {path}"), parse::notice(&env.result))?)
        }
        C::GetNotices { filter } => {
            let mut query: Vec<_> = filter.types.into_iter().map(|t| q("types", t)).collect();
            query.extend(filter.keys.into_iter().map(|k| q("keys", k)));
            if let Some(after) = filter.after.filter(|a| !a.is_empty()) {
                query.push(q("after", after));
            }
            let env = s.call("GET", "/v1/notices", query, None)?;
            R::Notices(read("GET /v1/notices", parse::notices(&env.result))?)
        }
        C::GetIdentities => R::Text(
            s.call("GET", "/v1/identities", Vec::new(), None)?
                .result
                .to_string(),
        ),
        C::ReplaceIdentities { identities_json } => {
            // Decoded here, as the simulated backend decodes it.
            let identities: Map<String, Value> =
                serde_json::from_str(&identities_json).map_err(|e| {
                    PebbleError::Api(ApiError {
                        status_code: 400,
                        kind: None,
                        message: format!("cannot decode request body: {e}"),
                    })
                })?;
            let body = json!({ "action": "replace", "identities": identities });
            s.call("POST", "/v1/identities", Vec::new(), Some(body))?;
            R::Done
        }
        C::Request {
            method,
            path,
            query,
            headers,
            body,
        } => {
            let resp = s.send(
                Request {
                    method,
                    path,
                    query,
                    headers,
                    body,
                },
                REQUEST_TIMEOUT,
            )?;
            R::Http(wit::HttpResponse {
                status: resp.status,
                headers: resp.headers,
                body: resp.body,
            })
        }
    })
}

/// `POST /v1/services`: the change id, not waited for.
fn services_action<T: PebbleTransport>(
    s: &mut Session<'_, T>,
    action: &str,
    services: Vec<String>,
) -> Result<String, PebbleError> {
    let body = json!({ "action": action, "services": services });
    let env = s.call("POST", "/v1/services", Vec::new(), Some(body))?;
    env.change
        .ok_or_else(|| protocol("POST /v1/services", "the answer has no change id"))
}

/// `POST /v1/checks`: the names whose state changed (`null`: none).
fn checks_action<T: PebbleTransport>(
    s: &mut Session<'_, T>,
    action: &str,
    names: Vec<String>,
) -> Result<Vec<String>, PebbleError> {
    let body = json!({ "action": action, "checks": names });
    let env = s.call("POST", "/v1/checks", Vec::new(), Some(body))?;
    let changed = env.result.get("changed").cloned().unwrap_or(Value::Null);
    read("POST /v1/checks", parse::strings(&changed, "\"changed\""))
}

/// ops' `_make_auth_dict`: permissions (3 octal digits) and owner.
fn auth(o: &wit::FileOptions) -> Map<String, Value> {
    let mut m = Map::new();
    if let Some(p) = o.permissions {
        m.insert("permissions".into(), format!("{p:03o}").into());
    }
    if let Some(u) = o.user_id {
        m.insert("user-id".into(), u.into());
    }
    if let Some(u) = &o.user {
        m.insert("user".into(), u.clone().into());
    }
    if let Some(g) = o.group_id {
        m.insert("group-id".into(), g.into());
    }
    if let Some(g) = &o.group {
        m.insert("group".into(), g.clone().into());
    }
    m
}

/// The per-path result of a file call: its error as [`PebbleError::Path`].
fn path_result(what: &str, env: &Envelope, path: &str) -> Result<(), PebbleError> {
    match read(what, parse::path_result(&env.result, path))? {
        None => Ok(()),
        Some(e) => Err(PebbleError::Path(e)),
    }
}

/// `POST /v1/files` with a JSON body (make-dirs, remove).
fn files_post<T: PebbleTransport>(
    s: &mut Session<'_, T>,
    path: &str,
    body: Value,
) -> Result<(), PebbleError> {
    let env = s.call("POST", "/v1/files", Vec::new(), Some(body))?;
    path_result("POST /v1/files", &env, path)
}

/// `GET /v1/files?action=read`: the file's part of the multipart answer,
/// after its `response` part said the path had no error.
fn pull<T: PebbleTransport>(s: &mut Session<'_, T>, path: &str) -> Result<Vec<u8>, PebbleError> {
    let what = "GET /v1/files?action=read";
    let resp = s.send(
        Request {
            method: "GET".into(),
            path: "/v1/files".into(),
            query: vec![q("action", "read"), q("path", path)],
            headers: vec![("Accept".into(), "multipart/form-data".into())],
            body: Vec::new(),
        },
        REQUEST_TIMEOUT,
    )?;
    if resp.status >= 400 {
        return Err(api_error(&resp, serde_json::from_slice(&resp.body).ok()));
    }
    let ctype = header(&resp.headers, "content-type").unwrap_or("");
    let boundary = read(what, parse::boundary(ctype))?;
    let parts = read(what, parse::multipart(&resp.body, &boundary))?;
    let Some(response) = parts.iter().find(|p| p.name == "response") else {
        return Err(protocol(what, "no \"response\" field in multipart body"));
    };
    let env: Value = serde_json::from_slice(&response.body)
        .map_err(|e| protocol(what, format!("invalid JSON response part: {e}")))?;
    if env.get("type").and_then(Value::as_str) == Some("error") {
        return Err(api_error(&resp, Some(env)));
    }
    let result = env.get("result").cloned().unwrap_or(Value::Null);
    if let Some(e) = read(what, parse::path_result(&result, path))? {
        return Err(PebbleError::Path(e));
    }
    let mut files = parts.into_iter().filter(|p| p.name == "files");
    let first = files.next();
    if files.next().is_some() {
        return Err(protocol(
            what,
            "single file request resulted in a multi-file response",
        ));
    }
    match first {
        Some(f) if f.filename.as_deref() == Some(path) => Ok(f.body),
        Some(f) => Err(protocol(
            what,
            format!("path not expected: {:?}", f.filename.unwrap_or_default()),
        )),
        None => Err(protocol(what, "no file content in multipart response")),
    }
}

/// A multipart boundary that does not occur in `data`: made from its
/// hash, so the same push sends the same bytes.
fn push_boundary(data: &[u8]) -> String {
    let mut salt = 0u32;
    loop {
        let mut h = sha2::Sha256::new();
        h.update(salt.to_le_bytes());
        h.update(data);
        let b: String = h.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let delim = format!("--{b}");
        if !data.windows(delim.len()).any(|w| w == delim.as_bytes()) {
            return b;
        }
        salt += 1;
    }
}

/// `POST /v1/files` as ops' `push` encodes it: the `request` part (JSON
/// metadata), then the `files` part named by the path.
fn push<T: PebbleTransport>(
    s: &mut Session<'_, T>,
    path: &str,
    data: Vec<u8>,
    options: &wit::FileOptions,
) -> Result<(), PebbleError> {
    let mut info = auth(options);
    info.insert("path".into(), path.into());
    if options.make_dirs {
        info.insert("make-dirs".into(), true.into());
    }
    let metadata = json!({ "action": "write", "files": [info] });
    let boundary = push_boundary(&data);
    let escaped = path.replace('\\', "\\\\").replace('"', "\\\"");
    let mut body = format!(
        "--{boundary}\r\nContent-Type: application/json\r\nContent-Disposition: form-data; name=\"request\"\r\n\r\n{metadata}\r\n--{boundary}\r\nContent-Type: application/octet-stream\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{escaped}\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let resp = s.send(
        Request {
            method: "POST".into(),
            path: "/v1/files".into(),
            query: Vec::new(),
            headers: vec![
                ("Accept".into(), "application/json".into()),
                (
                    "Content-Type".into(),
                    format!("multipart/form-data; boundary=\"{boundary}\""),
                ),
            ],
            body,
        },
        REQUEST_TIMEOUT,
    )?;
    let env = super::envelope("POST /v1/files", &resp)?;
    path_result("POST /v1/files", &env, path)
}

/// `POST /v1/exec` as ops' `Client.exec`, its websockets, then the change
/// waited for (the command's timeout + 1 s, as `ExecProcess.wait`): the
/// exit code of its task. A change that failed is
/// [`PebbleError::Timeout`] when the command's timeout killed it (as the
/// simulated backend says), [`PebbleError::Change`] otherwise.
fn exec<T: PebbleTransport>(
    s: &mut Session<'_, T>,
    r: wit::ExecRequest,
) -> Result<wit::ExecOutput, PebbleError> {
    let what = "POST /v1/exec";
    let environment: Map<String, Value> = r
        .environment
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.clone())))
        .collect();
    let body = json!({
        "command": r.command,
        "service-context": r.service_context,
        "environment": environment,
        "working-dir": r.working_dir,
        "timeout": r.timeout_ms.map(format_timeout_ms),
        "user-id": r.user_id,
        "user": r.user,
        "group-id": r.group_id,
        "group": r.group,
        "split-stderr": r.split_stderr,
    });
    let env = s.call("POST", "/v1/exec", Vec::new(), Some(body))?;
    let change_id = env
        .change
        .ok_or_else(|| protocol(what, "the answer has no change id"))?;
    let task_id = env.result.get("task-id").cloned().unwrap_or(Value::Null);
    let task_id = read(what, parse::text(&task_id, "\"task-id\""))?;
    let wait_ms = r.timeout_ms.map(|t| t.saturating_add(1000));
    let io = ExecIo {
        task_id,
        stdin: r.stdin,
        split_stderr: r.split_stderr,
        timeout: std::time::Duration::from_millis(wait_ms.unwrap_or(MAX_WAIT_MS)) + REQUEST_TIMEOUT,
    };
    let streams = match s.transport.exec_io(s.container, &io) {
        Ok(Some(streams)) => Ok(streams),
        Ok(None) => return Err(s.unreachable()),
        Err(m) => Err(m),
    };
    // After a websocket failure ops waits with its default 30 s, for the
    // change's error.
    let wait_ms = if streams.is_ok() {
        wait_ms
    } else {
        Some(30_000)
    };
    let result = s.wait_change(&change_id, wait_ms)?;
    let change = read(what, parse::change(&result))?;
    if let Some(err) = &change.err {
        return Err(exec_failure(&change, err));
    }
    let streams = streams.map_err(|m| {
        PebbleError::Connection(format!("unexpected error connecting to websockets: {m}"))
    })?;
    let exit_code = change
        .tasks
        .first()
        .and_then(|t| t.data_json.as_deref())
        .and_then(|d| serde_json::from_str::<Value>(d).ok())
        .and_then(|d| d.get("exit-code").and_then(Value::as_i64))
        .and_then(|c| i32::try_from(c).ok())
        .unwrap_or(-1);
    Ok(wit::ExecOutput {
        exit_code,
        stdout: streams.stdout,
        stderr: streams.stderr,
    })
}

/// Why an exec change failed: its task's last error, a timeout when the
/// command's timeout killed it (`timed out after 1s: ...`).
fn exec_failure(change: &wit::ChangeInfo, err: &str) -> PebbleError {
    let last_error = change
        .tasks
        .iter()
        .filter(|t| t.status == "Error")
        .flat_map(|t| t.log.iter().rev())
        .find_map(|l| l.split_once(" ERROR ").map(|(_, m)| m.to_string()));
    match last_error {
        Some(m) if m.starts_with("timed out after ") => PebbleError::Timeout(m),
        _ => PebbleError::Change(err.to_string()),
    }
}
