//! The simulated Pebble's raw HTTP API, as `ops.pebble.Client` uses it:
//! envelopes, status codes, change ids, waits, multipart files, errors.

use charmbox::pebble::Pebble;
use charmbox::pebble::http::{Request, Response, handle};
use serde_json::{Value, json};

const T0: i64 = 1_767_225_600_000_000_000;

fn call(
    p: &mut Pebble,
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    body: Value,
) -> (u16, Value) {
    let r = raw(
        p,
        method,
        path,
        query,
        &[],
        if body.is_null() {
            vec![]
        } else {
            body.to_string().into_bytes()
        },
    );
    (
        r.status,
        serde_json::from_slice(&r.body).unwrap_or(Value::Null),
    )
}

fn raw(
    p: &mut Pebble,
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Response {
    handle(
        p,
        &Request {
            method: method.into(),
            path: path.into(),
            query: query
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body,
        },
    )
}

fn with_layer(yaml: &str) -> Pebble {
    let mut p = Pebble::new(T0);
    let (code, v) = call(
        &mut p,
        "POST",
        "/v1/layers",
        &[],
        json!({"action": "add", "label": "base", "format": "yaml", "layer": yaml, "combine": false}),
    );
    assert_eq!((code, &v["result"]), (200, &json!(true)), "{v}");
    p
}

#[test]
fn system_info_and_unknown_endpoints() {
    let mut p = Pebble::new(T0);
    let (code, v) = call(&mut p, "GET", "/v1/system-info", &[], Value::Null);
    assert_eq!(code, 200);
    assert_eq!(v["type"], "sync");
    assert_eq!(v["status"], "OK");
    assert_eq!(v["result"]["version"], "1.32.1");
    let (code, v) = call(&mut p, "GET", "/v1/nope", &[], Value::Null);
    assert_eq!(code, 404);
    assert_eq!(
        v,
        json!({"type": "error", "status-code": 404, "status": "Not Found",
               "result": {"message": "invalid API endpoint requested", "kind": "not-found"}})
    );
    let (code, _) = call(&mut p, "DELETE", "/v1/services", &[], Value::Null);
    assert_eq!(code, 405);
    let (code, _) = call(&mut p, "GET", "/v1/warnings", &[], Value::Null);
    assert_eq!(code, 404);
}

#[test]
fn layers_and_plan() {
    let mut p = with_layer("services:\n  svc: {override: replace, command: x, kill-delay: 90s}\n");
    let (code, v) = call(
        &mut p,
        "GET",
        "/v1/plan",
        &[("format", "yaml")],
        Value::Null,
    );
    assert_eq!(code, 200);
    assert_eq!(
        v["result"],
        "services:\n    svc:\n        override: replace\n        command: x\n        kill-delay: 1m30s\n"
    );
    let (code, v) = call(
        &mut p,
        "GET",
        "/v1/plan",
        &[("format", "json")],
        Value::Null,
    );
    assert_eq!(
        (code, v["result"]["message"].as_str()),
        (400, Some("invalid format \"json\""))
    );
    let (code, v) = call(
        &mut p,
        "POST",
        "/v1/layers",
        &[],
        json!({"action": "add", "label": "base", "format": "yaml", "layer": "{}"}),
    );
    assert_eq!(
        (code, v["result"]["message"].as_str()),
        (400, Some("layer \"base\" already exists"))
    );
    let (code, v) = call(
        &mut p,
        "POST",
        "/v1/layers",
        &[],
        json!({"action": "add", "label": "bad", "format": "yaml", "layer": "services: [x]"}),
    );
    assert_eq!(code, 400);
    assert!(
        v["result"]["message"].as_str().unwrap().starts_with(
            "cannot parse layer YAML: cannot parse layer \"bad\" section \"services\""
        )
    );
}

#[test]
fn services_changes_and_waits() {
    let mut p = with_layer("services:\n  svc: {override: replace, command: x}\n");
    let (code, v) = call(
        &mut p,
        "POST",
        "/v1/services",
        &[],
        json!({"action": "start", "services": ["svc"]}),
    );
    assert_eq!(code, 202);
    assert_eq!(v["type"], "async");
    assert_eq!(v["result"], Value::Null);
    let id = v["change"].as_str().unwrap().to_string();
    // ops waits with "%.3fs" timeouts.
    let (code, v) = call(
        &mut p,
        "GET",
        &format!("/v1/changes/{id}/wait"),
        &[("timeout", "0.500s")],
        Value::Null,
    );
    assert_eq!(code, 504);
    assert_eq!(
        v["result"]["message"],
        "timed out waiting for change after 500ms"
    );
    let (code, v) = call(
        &mut p,
        "GET",
        &format!("/v1/changes/{id}/wait"),
        &[("timeout", "4.000s")],
        Value::Null,
    );
    assert_eq!(code, 200);
    let c = &v["result"];
    assert_eq!(
        (c["status"].as_str(), c["ready"].as_bool()),
        (Some("Done"), Some(true))
    );
    assert_eq!(c["kind"], "start");
    assert_eq!(c["spawn-time"], "2026-01-01T00:00:00Z");
    assert_eq!(c["ready-time"], "2026-01-01T00:00:01Z");
    assert_eq!(c["data"]["service-names"], json!(["svc"]));
    assert_eq!(
        c["tasks"][0]["progress"],
        json!({"label": "", "done": 1, "total": 1})
    );
    let (_, v) = call(
        &mut p,
        "GET",
        "/v1/services",
        &[("names", "svc,ghost")],
        Value::Null,
    );
    assert_eq!(
        v["result"],
        json!([{"name": "svc", "startup": "disabled", "current": "active", "current-since": "2026-01-01T00:00:00Z"}])
    );
    let (_, v) = call(
        &mut p,
        "GET",
        "/v1/changes",
        &[("select", "all"), ("for", "svc")],
        Value::Null,
    );
    assert_eq!(v["result"].as_array().unwrap().len(), 1);
    let (code, v) = call(&mut p, "GET", "/v1/changes/99", &[], Value::Null);
    assert_eq!(
        (code, v["result"]["message"].as_str()),
        (404, Some("cannot find change with id \"99\""))
    );
    let (code, v) = call(
        &mut p,
        "POST",
        "/v1/services",
        &[],
        json!({"action": "autostart", "services": []}),
    );
    assert_eq!(code, 400);
    assert_eq!(
        v["result"],
        json!({"message": "no default services", "kind": "no-default-services"})
    );
    let (code, v) = call(
        &mut p,
        "POST",
        "/v1/signals",
        &[],
        json!({"signal": "SIGHUP", "services": ["ghost"]}),
    );
    assert_eq!(code, 500);
    assert_eq!(
        v["result"]["message"],
        "cannot send signal to \"ghost\": service is not running"
    );
    let (code, _) = call(
        &mut p,
        "POST",
        "/v1/signals",
        &[],
        json!({"signal": "SIGHUP", "services": ["svc"]}),
    );
    assert_eq!(code, 200);
}

#[test]
fn files_over_multipart_and_json() {
    let mut p = Pebble::new(T0);
    let boundary = "0123456789abcdef0123456789abcdef";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"request\"\r\n\r\n{}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"/etc/app/conf\"\r\n\r\nk=v\n\r\n--{boundary}--\r\n",
        json!({"action": "write", "files": [{"path": "/etc/app/conf", "make-dirs": true, "permissions": "600"},
                                             {"path": "/etc/other"}]})
    );
    let ct = format!("multipart/form-data; boundary=\"{boundary}\"");
    let r = raw(
        &mut p,
        "POST",
        "/v1/files",
        &[],
        &[("Content-Type", &ct)],
        body.into_bytes(),
    );
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(v["result"][0], json!({"path": "/etc/app/conf"}));
    assert_eq!(
        v["result"][1]["error"],
        json!({"message": "no file content for path \"/etc/other\"", "kind": "generic-file-error"})
    );
    let r = raw(
        &mut p,
        "GET",
        "/v1/files",
        &[
            ("action", "read"),
            ("path", "/etc/app/conf"),
            ("path", "/etc/missing"),
        ],
        &[("Accept", "multipart/form-data")],
        vec![],
    );
    let text = String::from_utf8(r.body).unwrap();
    assert!(text.contains("name=\"files\"; filename=\"/etc/app/conf\""));
    assert!(text.contains("\r\n\r\nk=v\n\r\n"));
    assert!(text.contains(
        "\"message\":\"open /etc/missing: no such file or directory\",\"kind\":\"not-found\""
    ));
    let (code, v) = call(
        &mut p,
        "GET",
        "/v1/files",
        &[("action", "list"), ("path", "/etc/app")],
        Value::Null,
    );
    assert_eq!(code, 200);
    let f = &v["result"][0];
    assert_eq!(
        (
            f["name"].as_str(),
            f["type"].as_str(),
            f["permissions"].as_str(),
            f["size"].as_u64()
        ),
        (Some("conf"), Some("file"), Some("600"), Some(4))
    );
    assert_eq!(f["user"], "root");
    let (code, v) = call(
        &mut p,
        "GET",
        "/v1/files",
        &[("action", "list"), ("path", "/nope")],
        Value::Null,
    );
    assert_eq!(
        (code, v["result"]["kind"].as_str()),
        (404, Some("not-found"))
    );
    let (_, v) = call(
        &mut p,
        "POST",
        "/v1/files",
        &[],
        json!({"action": "make-dirs", "dirs": [{"path": "/etc"}]}),
    );
    assert_eq!(
        v["result"][0]["error"]["message"],
        "mkdir /etc: file exists"
    );
    let (_, v) = call(
        &mut p,
        "POST",
        "/v1/files",
        &[],
        json!({"action": "remove", "paths": [{"path": "/etc/app"}]}),
    );
    assert_eq!(
        v["result"][0]["error"]["message"],
        "remove /etc/app: directory not empty"
    );
    let (_, v) = call(
        &mut p,
        "POST",
        "/v1/files",
        &[],
        json!({"action": "remove", "paths": [{"path": "/etc/app", "recursive": true}]}),
    );
    assert_eq!(v["result"][0], json!({"path": "/etc/app"}));
}

#[test]
fn exec_notices_checks_and_health() {
    let mut p = with_layer(
        "checks:\n  up: {override: replace, level: ready, period: 1s, threshold: 1, tcp: {port: 80}}\n",
    );
    let (code, v) = call(
        &mut p,
        "POST",
        "/v1/exec",
        &[],
        json!({"command": ["ls"], "environment": null, "working-dir": null}),
    );
    assert_eq!(
        (code, v["result"]["message"].as_str()),
        (400, Some("cannot find executable \"ls\""))
    );
    let (code, v) = call(
        &mut p,
        "POST",
        "/v1/exec",
        &[],
        json!({"command": ["ls"], "interactive": true}),
    );
    assert_eq!(code, 500, "{v}");
    let (code, v) = call(
        &mut p,
        "POST",
        "/v1/notices",
        &[],
        json!({"action": "add", "type": "custom", "key": "example.com/x", "data": {"a": "b"}}),
    );
    assert_eq!(code, 200);
    let id = v["result"]["id"].as_str().unwrap().to_string();
    let (_, v) = call(
        &mut p,
        "GET",
        &format!("/v1/notices/{id}"),
        &[],
        Value::Null,
    );
    assert_eq!(v["result"]["key"], "example.com/x");
    assert_eq!(v["result"]["user-id"], 0);
    assert_eq!(v["result"]["last-data"], json!({"a": "b"}));
    assert_eq!(v["result"]["expire-after"], "168h0m0s");
    let (code, v) = call(
        &mut p,
        "POST",
        "/v1/notices",
        &[],
        json!({"action": "add", "type": "custom", "key": "bad"}),
    );
    assert_eq!(code, 400, "{v}");
    let (_, v) = call(
        &mut p,
        "GET",
        "/v1/notices",
        &[("types", "custom")],
        Value::Null,
    );
    assert_eq!(v["result"].as_array().unwrap().len(), 1);
    let (code, _) = call(&mut p, "GET", "/v1/notices/999", &[], Value::Null);
    assert_eq!(code, 404);
    let (code, v) = call(
        &mut p,
        "GET",
        "/v1/health",
        &[("level", "ready")],
        Value::Null,
    );
    assert_eq!((code, &v["result"]), (200, &json!({"healthy": true})));
    p.advance(charmbox::go::duration::Duration(2_000_000_000));
    let (_, v) = call(&mut p, "GET", "/v1/checks", &[], Value::Null);
    assert_eq!(v["result"][0]["status"], "up");
    assert_eq!(v["result"][0]["successes"], 2);
    let (_, v) = call(
        &mut p,
        "POST",
        "/v1/checks",
        &[],
        json!({"action": "stop", "checks": ["up"]}),
    );
    assert_eq!(v["result"], json!({"changed": ["up"]}));
    let (code, v) = call(
        &mut p,
        "POST",
        "/v1/checks",
        &[],
        json!({"action": "start", "checks": ["ghost"]}),
    );
    assert_eq!(code, 400);
    assert_eq!(
        v["result"]["message"],
        "cannot start checks: cannot find checks in plan: ghost"
    );
}

#[test]
fn an_unhealthy_check_answers_502() {
    let mut p = Pebble::new(T0);
    let c: charmbox::state::ContainerState = serde_json::from_value(json!({
        "name": "w", "can_connect": true,
        "layers": [{"label": "base", "yaml": "checks:\n  up: {override: replace, level: alive, period: 1s, threshold: 1, tcp: {port: 80}}\n"}],
        "check_outcomes": {"up": {"then": "fail"}}
    }))
    .unwrap();
    p = charmbox::pebble::snapshot::load(&c, T0).unwrap_or(p);
    p.advance(charmbox::go::duration::Duration(1_000_000_000));
    let (code, v) = call(
        &mut p,
        "GET",
        "/v1/health",
        &[("level", "alive")],
        Value::Null,
    );
    assert_eq!(
        (code, v["type"].as_str(), &v["result"]),
        (502, Some("sync"), &json!({"healthy": false}))
    );
}
