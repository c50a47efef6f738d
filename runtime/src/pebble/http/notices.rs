//! Notice endpoints: list (long-polling in virtual time), add, get.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Request, Response, bad, body_json, error, get, multi, sync};
use crate::go::duration::Duration;
use crate::go::quote::quote;
use crate::pebble::daemon::Pebble;
use crate::pebble::json;
use crate::pebble::notices::Filter;

/// `GET /v1/notices`, long-polling in virtual time when `timeout` is given.
pub(super) fn notices_get(p: &mut Pebble, req: &Request) -> Response {
    let q = &req.query;
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

/// `POST /v1/notices`: add a custom notice.
pub(super) fn notices_post(p: &mut Pebble, req: &Request) -> Response {
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

/// `GET /v1/notices/{id}`.
pub(super) fn notice_get(p: &mut Pebble, id: &str) -> Response {
    match p.notice(id) {
        Ok(n) => sync(json::notice(&n)),
        Err(e) => error(&e),
    }
}
