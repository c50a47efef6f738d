//! Change endpoints: list, get, abort, wait.

use serde_json::Value;

use super::{Request, Response, bad, body_json, error, get, sync};
use crate::go::duration::Duration;
use crate::go::quote::quote;
use crate::pebble::daemon::Pebble;
use crate::pebble::error::ApiError;
use crate::pebble::error::WaitError;
use crate::pebble::json;

/// `GET /v1/changes?select=&for=`.
pub(super) fn changes_get(p: &mut Pebble, req: &Request) -> Response {
    let q = &req.query;
    let select = get(q, "select").unwrap_or("in-progress");
    if !matches!(select, "in-progress" | "ready" | "all") {
        return bad("select should be one of: all,in-progress,ready");
    }
    let list = p.changes_list(select, get(q, "for"));
    sync(list.iter().map(json::change).collect::<Vec<_>>().into())
}

/// `GET /v1/changes/{id}`.
pub(super) fn change_get(p: &mut Pebble, id: &str) -> Response {
    match p.change(id) {
        Ok(c) => sync(json::change(&c)),
        Err(e) => error(&e),
    }
}

/// `POST /v1/changes/{id}`: abort.
pub(super) fn change_post(p: &mut Pebble, req: &Request, id: &str) -> Response {
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

/// `GET /v1/changes/{id}/wait?timeout=`: 504 when the timeout passes.
pub(super) fn change_wait(p: &mut Pebble, req: &Request, id: &str) -> Response {
    let q = &req.query;
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
