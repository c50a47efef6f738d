//! Pebble's HTTP API over the simulated daemon: what `ops.pebble.Client`
//! sends, answered as Pebble's server answers — the JSON envelope
//! (`sync`/`async`/`error`, status codes, change ids), multipart for file
//! reads and writes, `504` from a wait that timed out, `404 invalid API
//! endpoint requested` for unknown paths. Websockets (exec I/O) cannot be
//! answered as a single request/response and are refused.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::pebble::api::FileOptions;
use crate::pebble::daemon::Pebble;
use crate::pebble::duration::Duration;
use crate::pebble::error::{ApiError, WaitError};
use crate::pebble::exec::ExecRequest;
use crate::pebble::go::quote;
use crate::pebble::json;
use crate::pebble::notices::Filter;

/// A raw request.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A raw response.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The multipart boundary of file reads (Go picks a random one).
const BOUNDARY: &str = "charmbox0000000000000000000000000000000000000000000000000000";

fn status_text(code: u16) -> &'static str {
    match code {
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        504 => "Gateway Timeout",
        _ => "",
    }
}

fn envelope(kind: &str, code: u16, result: Value, change: Option<&str>) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), kind.into());
    m.insert("status-code".into(), code.into());
    m.insert("status".into(), status_text(code).into());
    m.insert("result".into(), result);
    if let Some(c) = change {
        m.insert("change".into(), c.into());
    }
    Value::Object(m)
}

fn json_response(code: u16, v: Value) -> Response {
    Response {
        status: code,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: serde_json::to_vec(&v).expect("JSON"),
    }
}

fn sync(result: Value) -> Response {
    json_response(200, envelope("sync", 200, result, None))
}

fn async_(change: &str, result: Value) -> Response {
    json_response(202, envelope("async", 202, result, Some(change)))
}

fn error(e: &ApiError) -> Response {
    let mut r = Map::new();
    r.insert("message".into(), e.message.clone().into());
    if let Some(k) = &e.kind {
        r.insert("kind".into(), k.clone().into());
    }
    json_response(
        e.status,
        envelope("error", e.status, Value::Object(r), None),
    )
}

fn bad(msg: impl Into<String>) -> Response {
    error(&ApiError::bad_request(msg))
}

/// Query values of `key`, repeated and comma-separated alike.
fn multi(query: &[(String, String)], key: &str) -> Vec<String> {
    query
        .iter()
        .filter(|(k, _)| k == key)
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

fn get<'a>(query: &'a [(String, String)], key: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn header<'a>(headers: &'a [(String, String)], key: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

fn body_json(req: &Request, prefix: &str) -> Result<Value, Response> {
    serde_json::from_slice(&req.body).map_err(|e| bad(format!("{prefix}: {e}")))
}

/// Answer one request.
pub fn handle(p: &mut Pebble, req: &Request) -> Response {
    let path = req.path.split('?').next().unwrap_or("");
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let m = req.method.to_ascii_uppercase();
    let allowed: &[&str] = match parts.as_slice() {
        ["v1", "system-info"] | ["v1", "health"] | ["v1", "plan"] | ["v1", "logs"] => &["GET"],
        ["v1", "changes"] => &["GET"],
        ["v1", "changes", _] => &["GET", "POST"],
        ["v1", "changes", _, "wait"] => &["GET"],
        ["v1", "services"] | ["v1", "services", _] => &["GET", "POST"],
        ["v1", "layers"] | ["v1", "exec"] | ["v1", "signals"] => &["POST"],
        ["v1", "files"] | ["v1", "checks"] | ["v1", "notices"] | ["v1", "identities"] => {
            &["GET", "POST"]
        }
        ["v1", "checks", "refresh"] => &["POST"],
        ["v1", "notices", _] => &["GET"],
        ["v1", "tasks", _, "websocket", _] => &["GET"],
        _ => return error(&ApiError::not_found("invalid API endpoint requested")),
    };
    if !allowed.contains(&m.as_str()) {
        return error(&ApiError {
            status: 405,
            kind: None,
            message: format!("method {} not allowed", quote(&m)),
        });
    }
    let q = &req.query;
    match (m.as_str(), parts.as_slice()) {
        ("GET", ["v1", "system-info"]) => sync(p.system_info()),
        ("GET", ["v1", "health"]) => {
            let level = get(q, "level").unwrap_or("");
            if !matches!(level, "" | "alive" | "ready") {
                return bad("level must be \"alive\" or \"ready\"");
            }
            let healthy = p.healthy(level, &multi(q, "names"));
            let code = if healthy { 200 } else { 502 };
            json_response(
                code,
                envelope("sync", code, json!({"healthy": healthy}), None),
            )
        }
        ("GET", ["v1", "plan"]) => match get(q, "format") {
            Some("yaml") => sync(p.plan_yaml().into()),
            f => bad(format!("invalid format {}", quote(f.unwrap_or("")))),
        },
        ("GET", ["v1", "logs"]) => Response {
            status: 200,
            headers: vec![("Content-Type".into(), "application/x-ndjson".into())],
            body: Vec::new(),
        },
        ("GET", ["v1", "changes"]) => {
            let select = get(q, "select").unwrap_or("in-progress");
            if !matches!(select, "in-progress" | "ready" | "all") {
                return bad("select should be one of: all,in-progress,ready");
            }
            let list = p.changes_list(select, get(q, "for"));
            sync(list.iter().map(json::change).collect::<Vec<_>>().into())
        }
        ("GET", ["v1", "changes", id]) => match p.change(id) {
            Ok(c) => sync(json::change(&c)),
            Err(e) => error(&e),
        },
        ("POST", ["v1", "changes", id]) => {
            let body = match body_json(req, "cannot decode data from request body") {
                Ok(b) => b,
                Err(r) => return r,
            };
            if body.get("action").and_then(Value::as_str) != Some("abort") {
                return bad(format!(
                    "change action {} is unsupported",
                    quote(body.get("action").and_then(Value::as_str).unwrap_or(""))
                ));
            }
            match p.abort_change(id) {
                Ok(c) => sync(json::change(&c)),
                Err(e) => error(&e),
            }
        }
        ("GET", ["v1", "changes", id, "wait"]) => {
            let timeout = match get(q, "timeout").filter(|t| !t.is_empty()) {
                None => None,
                Some(t) => match Duration::parse(t) {
                    Ok(d) => Some(d),
                    Err(_) => return bad(format!("invalid timeout: {}", quote(t))),
                },
            };
            match p.wait_change(id, timeout) {
                Ok(c) => sync(json::change(&c)),
                Err(WaitError::Api(e)) => error(&e),
                Err(WaitError::Timeout(m)) => error(&ApiError {
                    status: 504,
                    kind: None,
                    message: m,
                }),
            }
        }
        ("GET", ["v1", "services"]) => {
            let list = p.service_infos(&multi(q, "names"));
            sync(list.iter().map(json::service).collect::<Vec<_>>().into())
        }
        ("POST", ["v1", "services"]) => {
            let body = match body_json(req, "cannot decode data from request body") {
                Ok(b) => b,
                Err(r) => return r,
            };
            let action = body.get("action").and_then(Value::as_str).unwrap_or("");
            let names: Vec<String> = body
                .get("services")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            match p.services_action(action, &names) {
                Ok(id) => async_(&id, Value::Null),
                Err(e) => error(&e),
            }
        }
        (_, ["v1", "services", _]) => bad("not implemented"),
        ("POST", ["v1", "layers"]) => {
            let body = match body_json(req, "cannot decode request body") {
                Ok(b) => b,
                Err(r) => return r,
            };
            let s = |k: &str| {
                body.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            let b = |k: &str| body.get(k).and_then(Value::as_bool).unwrap_or(false);
            if s("action") != "add" {
                return bad(format!("invalid action {}", quote(&s("action"))));
            }
            if s("label").is_empty() {
                return bad("label must be set");
            }
            if s("format") != "yaml" {
                return bad(format!("invalid format {}", quote(&s("format"))));
            }
            match p.add_layer(&s("label"), &s("layer"), b("combine"), b("inner")) {
                Ok(()) => sync(true.into()),
                Err(e) => error(&e),
            }
        }
        ("GET", ["v1", "files"]) => files_get(p, req),
        ("POST", ["v1", "files"]) => files_post(p, req),
        ("POST", ["v1", "exec"]) => exec(p, req),
        ("GET", ["v1", "tasks", task, "websocket", _]) => {
            if p.overlord.changes.task(task).is_none() {
                return error(&ApiError::not_found(format!(
                    "cannot find task with id {}",
                    quote(task)
                )));
            }
            bad("charmbox cannot serve exec websockets over a single request; use the exec import")
        }
        ("POST", ["v1", "signals"]) => {
            let body = match body_json(req, "cannot decode request body") {
                Ok(b) => b,
                Err(r) => return r,
            };
            let signal = body.get("signal").and_then(Value::as_str).unwrap_or("");
            let names: Vec<String> = body
                .get("services")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            match p.send_signal(signal, &names) {
                Ok(()) => sync(true.into()),
                Err(e) => error(&e),
            }
        }
        ("GET", ["v1", "checks"]) => {
            let level = get(q, "level").unwrap_or("");
            let list = p.check_infos(level, &multi(q, "names"));
            sync(list.iter().map(json::check).collect::<Vec<_>>().into())
        }
        ("POST", ["v1", "checks"]) => {
            let body = match body_json(req, "cannot decode data from request body") {
                Ok(b) => b,
                Err(r) => return r,
            };
            let action = body.get("action").and_then(Value::as_str).unwrap_or("");
            let names: Vec<String> = body
                .get("checks")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            match p.checks_action(action, &names) {
                Ok(changed) => sync(json!({ "changed": changed })),
                Err(e) => error(&e),
            }
        }
        ("POST", ["v1", "checks", "refresh"]) => {
            let body = match body_json(req, "cannot decode request body") {
                Ok(b) => b,
                Err(r) => return r,
            };
            let name = body.get("name").and_then(Value::as_str).unwrap_or("");
            match p.check_infos("", &[name.to_string()]).pop() {
                Some(info) => sync(json!({ "info": json::check(&info) })),
                None => error(&ApiError::not_found(format!(
                    "cannot find check with name {}",
                    quote(name)
                ))),
            }
        }
        ("GET", ["v1", "notices"]) => {
            let after = match get(q, "after").filter(|a| !a.is_empty()) {
                None => None,
                Some(a) => match crate::pebble::clock::parse_rfc3339(a) {
                    Some(t) => Some(t),
                    None => return bad(format!("invalid after timestamp {}", quote(a))),
                },
            };
            let user = if get(q, "users") == Some("all") {
                Some(None)
            } else {
                get(q, "user-id").and_then(|u| u.parse().ok()).map(Some)
            };
            let filter = Filter {
                types: multi(q, "types"),
                keys: multi(q, "keys"),
                after,
                user,
            };
            let mut list = p.notices_list(&filter);
            if list.is_empty()
                && let Some(t) = get(q, "timeout").and_then(|t| Duration::parse(t).ok())
            {
                // Long-poll in virtual time.
                let deadline = p.now().saturating_add(t.0.max(0));
                while list.is_empty()
                    && p.now() < deadline
                    && !crate::limits::meter::host_step(crate::limits::PEBBLE_FIRING_FUEL)
                {
                    let next = p
                        .overlord
                        .clock
                        .next_due()
                        .unwrap_or(deadline)
                        .min(deadline);
                    p.advance_to(next.max(p.now()));
                    list = p.notices_list(&filter);
                    if p.overlord.clock.next_due().is_none() {
                        p.advance_to(deadline);
                        list = p.notices_list(&filter);
                        break;
                    }
                }
            }
            sync(list.iter().map(json::notice).collect::<Vec<_>>().into())
        }
        ("POST", ["v1", "notices"]) => {
            let body = match body_json(req, "cannot decode request body") {
                Ok(b) => b,
                Err(r) => return r,
            };
            if body.get("action").and_then(Value::as_str) != Some("add") {
                return bad("invalid action \"".to_string()
                    + body.get("action").and_then(Value::as_str).unwrap_or("")
                    + "\"");
            }
            let mut data = BTreeMap::new();
            if let Some(d) = body.get("data").and_then(Value::as_object) {
                for (k, v) in d {
                    match v.as_str() {
                        Some(s) => {
                            data.insert(k.clone(), s.to_string());
                        }
                        None => {
                            return bad(format!(
                                "cannot decode request body: data value for {} must be a string",
                                quote(k)
                            ));
                        }
                    }
                }
            }
            let s = |k: &str| {
                body.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            match p.notify(&s("type"), &s("key"), data, Some(&s("repeat-after"))) {
                Ok(id) => sync(json!({ "id": id })),
                Err(e) => error(&e),
            }
        }
        ("GET", ["v1", "notices", id]) => match p.notice(id) {
            Ok(n) => sync(json::notice(&n)),
            Err(e) => error(&e),
        },
        ("GET", ["v1", "identities"]) => sync(p.identities()),
        ("POST", ["v1", "identities"]) => {
            let body = match body_json(req, "cannot decode request body") {
                Ok(b) => b,
                Err(r) => return r,
            };
            let action = body.get("action").and_then(Value::as_str).unwrap_or("");
            let empty = Map::new();
            let idents = body
                .get("identities")
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            match p.change_identities(action, idents) {
                Ok(()) => sync(Value::Null),
                Err(e) => error(&e),
            }
        }
        _ => error(&ApiError::not_found("invalid API endpoint requested")),
    }
}

fn file_error_json(path: &str, e: Option<&crate::pebble::fs::PathError>) -> Value {
    match e {
        None => json!({ "path": path }),
        Some(e) => json!({
            "path": path,
            "error": { "message": e.message, "kind": e.kind },
        }),
    }
}

fn files_get(p: &mut Pebble, req: &Request) -> Response {
    let q = &req.query;
    match get(q, "action").unwrap_or("") {
        "read" => {
            let accept = header(&req.headers, "Accept").unwrap_or("");
            if accept != "multipart/form-data" {
                return bad("must accept multipart/form-data");
            }
            let paths: Vec<String> = q
                .iter()
                .filter(|(k, _)| k == "path")
                .map(|(_, v)| v.clone())
                .collect();
            let mut body = Vec::new();
            let mut results = Vec::new();
            for path in &paths {
                match p.pull(path) {
                    Ok(data) => {
                        body.extend(
                            format!(
                                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename={}\r\nContent-Type: application/octet-stream\r\n\r\n",
                                quote(path)
                            )
                            .into_bytes(),
                        );
                        body.extend(data);
                        body.extend(b"\r\n");
                        results.push(file_error_json(path, None));
                    }
                    Err(e) => results.push(file_error_json(path, Some(&e))),
                }
            }
            let env = envelope("sync", 200, Value::Array(results), None);
            body.extend(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"response\"\r\n\r\n{}\r\n--{BOUNDARY}--\r\n",
                    serde_json::to_string(&env).expect("JSON")
                )
                .into_bytes(),
            );
            Response {
                status: 200,
                headers: vec![(
                    "Content-Type".into(),
                    format!("multipart/form-data; boundary={BOUNDARY}"),
                )],
                body,
            }
        }
        "list" => {
            let path = get(q, "path").unwrap_or("");
            if !path.starts_with('/') {
                return bad(format!("paths must be absolute, got {}", quote(path)));
            }
            let itself = get(q, "itself") == Some("true");
            match p.list_files(path, get(q, "pattern").filter(|s| !s.is_empty()), itself) {
                Ok(list) => sync(list.iter().map(json::file).collect::<Vec<_>>().into()),
                Err(e) => error(&e),
            }
        }
        other => bad(format!("invalid action {}", quote(other))),
    }
}

fn options(v: &Value, dirs_key: &str) -> Result<FileOptions, Response> {
    let perms = match v.get("permissions").and_then(Value::as_str) {
        None | Some("") => None,
        Some(s) if s.len() == 3 && s.chars().all(|c| ('0'..='7').contains(&c)) => {
            Some(u32::from_str_radix(s, 8).expect("octal"))
        }
        Some(_) => return Err(bad("permissions must be a 3-digit octal string")),
    };
    Ok(FileOptions {
        make_dirs: v.get(dirs_key).and_then(Value::as_bool).unwrap_or(false),
        permissions: perms,
        user_id: v.get("user-id").and_then(Value::as_i64),
        user: v.get("user").and_then(Value::as_str).map(String::from),
        group_id: v.get("group-id").and_then(Value::as_i64),
        group: v.get("group").and_then(Value::as_str).map(String::from),
    })
}

fn files_post(p: &mut Pebble, req: &Request) -> Response {
    let ctype = header(&req.headers, "Content-Type").unwrap_or("");
    if ctype.starts_with("multipart/form-data") {
        let Some(boundary) = ctype
            .split(';')
            .map(str::trim)
            .find_map(|s| s.strip_prefix("boundary="))
            .map(|b| b.trim_matches('"').to_string())
        else {
            return bad("cannot read multipart request: no boundary");
        };
        let parts = match parse_multipart(&req.body, &boundary) {
            Ok(p) => p,
            Err(m) => return bad(format!("cannot read multipart request: {m}")),
        };
        let Some((_, _, first)) = parts.iter().find(|(name, _, _)| name == "request") else {
            return bad("must have a \"request\" field as the first part");
        };
        let meta: Value = match serde_json::from_slice(first) {
            Ok(v) => v,
            Err(e) => return bad(format!("cannot decode request body: {e}")),
        };
        if meta.get("action").and_then(Value::as_str) != Some("write") {
            return bad("multipart action must be \"write\"");
        }
        let mut results = Vec::new();
        for item in meta
            .get("files")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let path = item
                .get("path")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let opts = match options(item, "make-dirs") {
                Ok(o) => o,
                Err(r) => return r,
            };
            let data = parts
                .iter()
                .find(|(name, fname, _)| name == "files" && fname.as_deref() == Some(path.as_str()))
                .map(|(_, _, d)| d.clone());
            let result = match data {
                None => Err(crate::pebble::fs::PathError {
                    kind: "generic-file-error",
                    message: format!("no file content for path {}", quote(&path)),
                }),
                Some(d) => p.push(&path, d, &opts),
            };
            results.push(file_error_json(&path, result.as_ref().err()));
        }
        return sync(Value::Array(results));
    }
    let body = match body_json(req, "cannot decode request body") {
        Ok(b) => b,
        Err(r) => return r,
    };
    match body.get("action").and_then(Value::as_str).unwrap_or("") {
        "make-dirs" => {
            let mut results = Vec::new();
            for d in body
                .get("dirs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let path = d
                    .get("path")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let opts = match options(d, "make-parents") {
                    Ok(o) => o,
                    Err(r) => return r,
                };
                let r = p.make_dir(&path, &opts);
                results.push(file_error_json(&path, r.as_ref().err()));
            }
            sync(Value::Array(results))
        }
        "remove" => {
            let mut results = Vec::new();
            for d in body
                .get("paths")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let path = d
                    .get("path")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let recursive = d.get("recursive").and_then(Value::as_bool).unwrap_or(false);
                let r = p.remove_path(&path, recursive);
                results.push(file_error_json(&path, r.as_ref().err()));
            }
            sync(Value::Array(results))
        }
        other => bad(format!(
            "invalid action {}, must be \"make-dirs\" or \"remove\"",
            quote(other)
        )),
    }
}

/// `(name, filename, body)` of each part.
type Part = (String, Option<String>, Vec<u8>);

fn parse_multipart(body: &[u8], boundary: &str) -> Result<Vec<Part>, String> {
    let delim = format!("--{boundary}").into_bytes();
    let find = |hay: &[u8], needle: &[u8], from: usize| -> Option<usize> {
        if needle.is_empty() || hay.len() < needle.len() {
            return None;
        }
        (from..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
    };
    let mut parts = Vec::new();
    let Some(mut pos) = find(body, &delim, 0) else {
        return Err("no parts".into());
    };
    loop {
        pos += delim.len();
        if body[pos..].starts_with(b"--") {
            break;
        }
        if body[pos..].starts_with(b"\r\n") {
            pos += 2;
        }
        let Some(head_end) = find(body, b"\r\n\r\n", pos) else {
            return Err("malformed part header".into());
        };
        let head = String::from_utf8_lossy(&body[pos..head_end]).into_owned();
        let start = head_end + 4;
        let Some(next) = find(body, &delim, start) else {
            return Err("unterminated part".into());
        };
        let mut end = next;
        if end >= 2 && &body[end - 2..end] == b"\r\n" {
            end -= 2;
        }
        let disp = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .unwrap_or("");
        let field = |key: &str| -> Option<String> {
            let pat = format!("{key}=\"");
            let i = disp.find(&pat)? + pat.len();
            let rest = &disp[i..];
            let mut out = String::new();
            let mut chars = rest.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => out.push(chars.next()?),
                    '"' => return Some(out),
                    c => out.push(c),
                }
            }
            None
        };
        parts.push((
            field("name").unwrap_or_default(),
            field("filename"),
            body[start..end].to_vec(),
        ));
        pos = next;
    }
    Ok(parts)
}

fn exec(p: &mut Pebble, req: &Request) -> Response {
    let body = match body_json(req, "cannot decode request body") {
        Ok(b) => b,
        Err(r) => return r,
    };
    let s = |k: &str| body.get(k).and_then(Value::as_str).map(String::from);
    let command: Vec<String> = body
        .get("command")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    if body.get("interactive").and_then(Value::as_bool) == Some(true)
        && body.get("terminal").and_then(Value::as_bool) != Some(true)
    {
        return error(&ApiError::server(
            "cannot call exec: cannot use interactive mode without a terminal",
        ));
    }
    let timeout = match s("timeout").filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => match Duration::parse(&t) {
            Ok(d) => Some(d),
            Err(_) => return bad(format!("invalid timeout {}", quote(&t))),
        },
    };
    let environment: Vec<(String, String)> = body
        .get("environment")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default();
    let r = ExecRequest {
        command,
        service_context: s("service-context"),
        environment,
        working_dir: s("working-dir"),
        timeout,
        user_id: body.get("user-id").and_then(Value::as_i64),
        user: s("user"),
        group_id: body.get("group-id").and_then(Value::as_i64),
        group: s("group"),
        stdin: Vec::new(),
        split_stderr: body
            .get("split-stderr")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    };
    match p.exec(&r) {
        Ok(res) => async_(
            &res.change_id,
            json!({
                "task-id": res.task_id,
                "environment": res.environment,
                "working-dir": res.working_dir,
            }),
        ),
        Err(e) => error(&e),
    }
}
