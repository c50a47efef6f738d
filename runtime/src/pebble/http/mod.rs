//! Pebble's HTTP API over the simulated daemon: what `ops.pebble.Client`
//! sends, answered as Pebble's server answers — the JSON envelope
//! (`sync`/`async`/`error`, status codes, change ids), multipart for file
//! reads and writes, `504` from a wait that timed out, `404 invalid API
//! endpoint requested` for unknown paths. Exec's websockets are answered
//! `101` with what they send, for a socket server that upgrades
//! (`crate::native::serve`); a plain request for one is refused.

mod changes;
mod checks;
mod exec;
mod files;
mod notices;
mod services;
mod system;

use serde_json::{Map, Value};

use crate::go::quote::quote;
use crate::pebble::daemon::Pebble;
use crate::pebble::error::ApiError;

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

/// The strings of the JSON array `body[key]` (others skipped).
fn string_list(body: &Value, key: &str) -> Vec<String> {
    body.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Answer one request: check the route and its methods, then hand it to
/// the handler of its endpoint group.
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
    match (m.as_str(), parts.as_slice()) {
        ("GET", ["v1", "system-info"]) => sync(p.system_info()),
        ("GET", ["v1", "health"]) => system::health(p, req),
        ("GET", ["v1", "plan"]) => system::plan(p, req),
        ("GET", ["v1", "logs"]) => system::logs(),
        ("GET", ["v1", "changes"]) => changes::changes_get(p, req),
        ("GET", ["v1", "changes", id]) => changes::change_get(p, id),
        ("POST", ["v1", "changes", id]) => changes::change_post(p, req, id),
        ("GET", ["v1", "changes", id, "wait"]) => changes::change_wait(p, req, id),
        ("GET", ["v1", "services"]) => services::services_get(p, req),
        ("POST", ["v1", "services"]) => services::services_post(p, req),
        (_, ["v1", "services", _]) => bad("not implemented"),
        ("POST", ["v1", "layers"]) => system::layers_post(p, req),
        ("GET", ["v1", "files"]) => files::files_get(p, req),
        ("POST", ["v1", "files"]) => files::files_post(p, req),
        ("POST", ["v1", "exec"]) => exec::exec(p, req),
        ("GET", ["v1", "tasks", task, "websocket", name]) => {
            exec::task_websocket(p, req, task, name)
        }
        ("POST", ["v1", "signals"]) => services::signals_post(p, req),
        ("GET", ["v1", "checks"]) => checks::checks_get(p, req),
        ("POST", ["v1", "checks"]) => checks::checks_post(p, req),
        ("POST", ["v1", "checks", "refresh"]) => checks::checks_refresh(p, req),
        ("GET", ["v1", "notices"]) => notices::notices_get(p, req),
        ("POST", ["v1", "notices"]) => notices::notices_post(p, req),
        ("GET", ["v1", "notices", id]) => notices::notice_get(p, id),
        ("GET", ["v1", "identities"]) => sync(p.identities()),
        ("POST", ["v1", "identities"]) => system::identities_post(p, req),
        _ => error(&ApiError::not_found("invalid API endpoint requested")),
    }
}
