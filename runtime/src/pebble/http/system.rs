//! System endpoints: system info, health, the plan and layers, logs,
//! identities.

use serde_json::{Map, Value, json};

use super::{Request, Response, bad, body_json, envelope, error, get, json_response, multi, sync};
use crate::go::quote::quote;
use crate::pebble::daemon::Pebble;

/// `GET /v1/health`: 200, or 502 when a matching check is down.
pub(super) fn health(p: &mut Pebble, req: &Request) -> Response {
    let q = &req.query;
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

/// `GET /v1/plan?format=yaml`.
pub(super) fn plan(p: &mut Pebble, req: &Request) -> Response {
    let q = &req.query;
    match get(q, "format") {
        Some("yaml") => sync(p.plan_yaml().into()),
        f => bad(format!("invalid format {}", quote(f.unwrap_or("")))),
    }
}

/// `POST /v1/layers`: add (or combine) a layer.
pub(super) fn layers_post(p: &mut Pebble, req: &Request) -> Response {
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

/// `POST /v1/identities`: add, update, replace or remove identities.
pub(super) fn identities_post(p: &mut Pebble, req: &Request) -> Response {
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

/// `GET /v1/logs`: no output (the services' processes are scripted).
pub(super) fn logs() -> Response {
    Response {
        status: 200,
        headers: vec![("Content-Type".into(), "application/x-ndjson".into())],
        body: Vec::new(),
    }
}
