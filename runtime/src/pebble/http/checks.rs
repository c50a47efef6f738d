//! Check endpoints: list, start/stop, refresh.

use serde_json::{Value, json};

use super::{Request, Response, body_json, error, get, multi, string_list, sync};
use crate::go::quote::quote;
use crate::pebble::daemon::Pebble;
use crate::pebble::error::ApiError;
use crate::pebble::json;

/// `GET /v1/checks?level=&names=`.
pub(super) fn checks_get(p: &mut Pebble, req: &Request) -> Response {
    let q = &req.query;
    let level = get(q, "level").unwrap_or("");
    let list = p.check_infos(level, &multi(q, "names"));
    sync(list.iter().map(json::check).collect::<Vec<_>>().into())
}

/// `POST /v1/checks`: start or stop checks.
pub(super) fn checks_post(p: &mut Pebble, req: &Request) -> Response {
    let body = match body_json(req, "cannot decode data from request body") {
        Ok(b) => b,
        Err(r) => return r,
    };
    let action = body.get("action").and_then(Value::as_str).unwrap_or("");
    let names = string_list(&body, "checks");
    match p.checks_action(action, &names) {
        Ok(changed) => sync(json!({ "changed": changed })),
        Err(e) => error(&e),
    }
}

/// `POST /v1/checks/refresh`: a check's current info.
pub(super) fn checks_refresh(p: &mut Pebble, req: &Request) -> Response {
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
