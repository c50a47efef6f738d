//! Exec endpoints: run a command to completion; its websockets send its
//! output to a client that upgrades (a native charm's ops client on the
//! container's socket, `crate::native::serve`).

use serde_json::{Value, json};

use super::{Request, Response, async_, bad, body_json, error};
use crate::go::duration::Duration;
use crate::go::quote::quote;
use crate::pebble::daemon::Pebble;
use crate::pebble::error::ApiError;
use crate::pebble::exec::ExecRequest;

/// `POST /v1/exec`: run the command to completion.
pub(super) fn exec(p: &mut Pebble, req: &Request) -> Response {
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
        Ok(res) => {
            p.exec.streams.keep(&res.task_id, res.stdout, res.stderr);
            async_(
                &res.change_id,
                json!({
                    "task-id": res.task_id,
                    "environment": res.environment,
                    "working-dir": res.working_dir,
                }),
            )
        }
        Err(e) => error(&e),
    }
}

/// `GET /v1/tasks/{id}/websocket/{name}`. A request that asks to upgrade
/// (`Upgrade: websocket`) gets `101` with what the websocket sends as its
/// body — the command already ran to completion, so its output is whole —
/// which the socket server sends as one binary message and the `end`
/// command. Without the upgrade, or over a component's raw `request`,
/// a single response cannot carry a websocket: 400.
pub(super) fn task_websocket(p: &mut Pebble, req: &Request, task: &str, name: &str) -> Response {
    let Some(t) = p.overlord.changes.task(task) else {
        return error(&ApiError::not_found(format!(
            "cannot find task with id {}",
            quote(task)
        )));
    };
    if t.kind != "exec" {
        return bad(format!("task {} is not an exec task", quote(task)));
    }
    let upgrade =
        super::header(&req.headers, "Upgrade").is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !upgrade {
        return bad(
            "charmbox cannot serve exec websockets over a single request; use the exec import",
        );
    }
    match p.exec.streams.stream(task, name) {
        Some(bytes) => Response {
            status: 101,
            headers: vec![("Upgrade".into(), "websocket".into())],
            body: bytes.to_vec(),
        },
        None => error(&ApiError::not_found(format!(
            "websocket for task {} with id {} not found",
            quote(task),
            quote(name)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Request, handle};
    use crate::pebble::daemon::Pebble;
    use crate::pebble::exec::{ExecHandler, ExecStreams};

    fn pebble() -> Pebble {
        let mut p = Pebble::new(0);
        p.exec.handlers.push(ExecHandler {
            command: vec!["greet".into()],
            stdout: "hi\n".into(),
            stderr: "warn\n".into(),
            ..Default::default()
        });
        p
    }

    /// `POST /v1/exec` of `greet`: the task id.
    fn exec(p: &mut Pebble) -> String {
        let r = handle(
            p,
            &Request {
                method: "POST".into(),
                path: "/v1/exec".into(),
                body: br#"{"command": ["greet"], "split-stderr": true}"#.to_vec(),
                ..Default::default()
            },
        );
        assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        v["result"]["task-id"].as_str().unwrap().to_string()
    }

    fn websocket(p: &mut Pebble, task: &str, name: &str, upgrade: bool) -> (u16, Vec<u8>) {
        let headers = if upgrade {
            vec![("Upgrade".into(), "websocket".into())]
        } else {
            Vec::new()
        };
        let r = handle(
            p,
            &Request {
                method: "GET".into(),
                path: format!("/v1/tasks/{task}/websocket/{name}"),
                headers,
                ..Default::default()
            },
        );
        (r.status, r.body)
    }

    #[test]
    fn an_exec_websocket_upgrade_gets_what_it_sends() {
        let mut p = pebble();
        let task = exec(&mut p);
        assert_eq!(
            websocket(&mut p, &task, "stdio", true),
            (101, b"hi\n".to_vec())
        );
        assert_eq!(
            websocket(&mut p, &task, "stderr", true),
            (101, b"warn\n".to_vec())
        );
        assert_eq!(websocket(&mut p, &task, "control", true), (101, Vec::new()));
        // Without the upgrade (a component's raw request): refused.
        assert_eq!(websocket(&mut p, &task, "stdio", false).0, 400);
        // An unknown websocket or task.
        assert_eq!(websocket(&mut p, &task, "bogus", true).0, 404);
        assert_eq!(websocket(&mut p, "999", "stdio", true).0, 404);
    }

    #[test]
    fn only_the_latest_execs_keep_their_output() {
        let mut p = pebble();
        let first = exec(&mut p);
        let mut last = first.clone();
        for _ in 0..ExecStreams::KEPT {
            last = exec(&mut p);
        }
        assert_eq!(websocket(&mut p, &first, "stdio", true).0, 404);
        assert_eq!(websocket(&mut p, &last, "stdio", true).0, 101);
    }
}
