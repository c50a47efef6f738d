//! Service endpoints: list, actions, signals.

use serde_json::Value;

use super::{Request, Response, async_, body_json, error, multi, string_list, sync};
use crate::pebble::daemon::Pebble;
use crate::pebble::json;

/// `GET /v1/services?names=`.
pub(super) fn services_get(p: &mut Pebble, req: &Request) -> Response {
    let q = &req.query;
    let list = p.service_infos(&multi(q, "names"));
    sync(list.iter().map(json::service).collect::<Vec<_>>().into())
}

/// `POST /v1/services`: start, stop, restart, replan, autostart.
pub(super) fn services_post(p: &mut Pebble, req: &Request) -> Response {
    let body = match body_json(req, "cannot decode data from request body") {
        Ok(b) => b,
        Err(r) => return r,
    };
    let action = body.get("action").and_then(Value::as_str).unwrap_or("");
    let names = string_list(&body, "services");
    match p.services_action(action, &names) {
        Ok(id) => async_(&id, Value::Null),
        Err(e) => error(&e),
    }
}

/// `POST /v1/signals`.
pub(super) fn signals_post(p: &mut Pebble, req: &Request) -> Response {
    let body = match body_json(req, "cannot decode request body") {
        Ok(b) => b,
        Err(r) => return r,
    };
    let signal = body.get("signal").and_then(Value::as_str).unwrap_or("");
    let names = string_list(&body, "services");
    match p.send_signal(signal, &names) {
        Ok(()) => sync(true.into()),
        Err(e) => error(&e),
    }
}
