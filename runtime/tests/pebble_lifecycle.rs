//! The simulated Pebble's service lifecycle on virtual time, driven
//! directly (no wasm): okay delay, backoff, requires, replan, stop with
//! kill-delay, checks with scripted outcomes, exec, files and notices.

use charmbox::go::duration::{Duration, SECOND};
use charmbox::pebble::exec::ExecRequest;
use charmbox::pebble::snapshot;
use charmbox::pebble::{Pebble, WaitError};
use charmbox::state::ContainerState;
use serde_json::json;

const T0: i64 = 1_767_225_600_000_000_000; // 2026-01-01T00:00:00Z

fn pebble(container: serde_json::Value) -> Pebble {
    let mut c = json!({"name": "workload", "can_connect": true});
    for (k, v) in container.as_object().unwrap() {
        c[k] = v.clone();
    }
    let c: ContainerState = serde_json::from_value(c).expect("container JSON");
    snapshot::load(&c, T0).expect("loads")
}

fn layer(yaml: &str) -> serde_json::Value {
    json!([{"label": "base", "yaml": yaml}])
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn current(p: &mut Pebble, svc: &str) -> String {
    p.service_infos(&names(&[svc]))
        .pop()
        .map(|s| s.current)
        .unwrap_or_default()
}

const ONE: &str = "services:\n  svc: {override: replace, command: /bin/svc}\n";

#[test]
fn a_start_waits_for_the_okay_delay() {
    let mut p = pebble(json!({"layers": layer(ONE)}));
    let id = p.services_action("start", &names(&["svc"])).unwrap();
    let c = p.change(&id).unwrap();
    assert_eq!((c.status.as_str(), c.ready), ("Doing", false));
    assert_eq!(c.summary, "Start service \"svc\"");
    assert_eq!(current(&mut p, "svc"), "active");
    let done = p.wait_change(&id, None).unwrap();
    assert_eq!(done.status, "Done");
    assert_eq!(p.now(), T0 + SECOND);
    assert_eq!(done.ready_time, Some(T0 + SECOND));
    // Starting it again is a no-op task.
    let again = p.services_action("start", &names(&["svc"])).unwrap();
    let c = p.wait_change(&again, None).unwrap();
    assert_eq!(c.status, "Done");
    assert!(c.tasks[0].log[0].ends_with("INFO Service \"svc\" already started."));
}

#[test]
fn a_service_exiting_within_a_second_fails_the_start_change() {
    let mut p = pebble(json!({
        "layers": layer(ONE),
        "processes": {"svc": {"exit_after": "500ms", "exit_code": 3, "output": ["boom"]}}
    }));
    let id = p.services_action("start", &names(&["svc"])).unwrap();
    let c = p.wait_change(&id, None).unwrap();
    assert_eq!(c.status, "Error");
    assert_eq!(
        c.err.as_deref(),
        Some(
            "cannot perform the following tasks:\n- Start service \"svc\" (service start attempt: exited quickly with code 3, will restart)"
        )
    );
    assert!(
        c.tasks[0]
            .log
            .iter()
            .any(|l| l.contains("Most recent service output:\n    boom"))
    );
    assert_eq!(p.now(), T0 + 500 * 1_000_000);
    // "start failed" is not "inactive": the default on-failure restarts it.
    assert_eq!(current(&mut p, "svc"), "backoff");
}

#[test]
fn ignore_on_failure_leaves_an_error_status() {
    let mut p = pebble(json!({
        "layers": layer("services:\n  svc: {override: replace, command: x, on-failure: ignore}\n"),
        "processes": {"svc": {"exit_after": "5s", "exit_code": 1}}
    }));
    let id = p.services_action("start", &names(&["svc"])).unwrap();
    assert_eq!(p.wait_change(&id, None).unwrap().status, "Done");
    p.advance(Duration(10 * SECOND));
    assert_eq!(current(&mut p, "svc"), "error");
}

#[test]
fn backoff_delays_double_up_to_the_limit() {
    let mut p = pebble(json!({
        "layers": layer("services:\n  svc: {override: replace, command: x, backoff-delay: 1s, backoff-limit: 8s}\n"),
        "processes": {"svc": {"exit_after": "100ms", "exit_code": 1}}
    }));
    let id = p.services_action("start", &names(&["svc"])).unwrap();
    assert_eq!(p.wait_change(&id, None).unwrap().status, "Error");
    let mut delays = Vec::new();
    let mut restarts = Vec::new();
    let mut last_starts = 1;
    // Sample every 50ms for a minute of virtual time.
    for _ in 0..1200 {
        p.advance(Duration(50 * 1_000_000));
        let r = &p.service_records()["svc"];
        if r.starts != last_starts {
            last_starts = r.starts;
            restarts.push((p.now() - T0) / 1_000_000);
        }
        if delays.last() != Some(&r.backoff_time) && r.backoff_time.0 != 0 {
            delays.push(r.backoff_time);
        }
    }
    let secs: Vec<String> = delays.iter().map(|d| d.to_string()).collect();
    assert_eq!(secs, ["1s", "2s", "4s", "8s"]);
    // Restarts at 0.1+1, then +0.1+2, +0.1+4, +0.1+8, +0.1+8 ... (ms, sampled).
    assert_eq!(&restarts[..5], &[1100, 3200, 7300, 15400, 23500]);
}

#[test]
fn requires_pulls_dependencies_in() {
    let mut p = pebble(json!({"layers": layer(
        "services:\n  web: {override: replace, command: web, requires: [db], after: [db]}\n  db: {override: replace, command: db}\n  other: {override: replace, command: o}\n"
    )}));
    let id = p.services_action("start", &names(&["web"])).unwrap();
    let c = p.wait_change(&id, None).unwrap();
    let tasks: Vec<&str> = c.tasks.iter().map(|t| t.summary.as_str()).collect();
    assert_eq!(tasks, ["Start service \"db\"", "Start service \"web\""]);
    assert_eq!(c.summary, "Start service \"web\" and 1 more");
    // db then web, one lane: two okay delays.
    assert_eq!(p.now(), T0 + 2 * SECOND);
    assert_eq!(current(&mut p, "db"), "active");
    assert_eq!(current(&mut p, "other"), "inactive");
    // Stopping db stops web (which requires it) first.
    let stop = p.services_action("stop", &names(&["db"])).unwrap();
    let c = p.wait_change(&stop, None).unwrap();
    let tasks: Vec<&str> = c.tasks.iter().map(|t| t.summary.as_str()).collect();
    assert_eq!(tasks, ["Stop service \"web\"", "Stop service \"db\""]);
    assert_eq!(current(&mut p, "web"), "inactive");
}

#[test]
fn replan_restarts_only_changed_services() {
    let mut p = pebble(json!({"layers": layer(
        "services:\n  a: {override: replace, command: a, startup: enabled}\n  b: {override: replace, command: b, startup: enabled}\n"
    )}));
    let id = p.services_action("replan", &[]).unwrap();
    assert_eq!(
        p.wait_change(&id, None).unwrap().summary,
        "Replan service \"a\" and 1 more"
    );
    let b_since = p.service_infos(&names(&["b"]))[0].current_since;
    p.advance(Duration(10 * SECOND));
    p.add_layer(
        "env",
        "services:\n  a: {override: merge, environment: {K: v}}\n",
        false,
        false,
    )
    .unwrap();
    let id = p.services_action("replan", &[]).unwrap();
    let c = p.wait_change(&id, None).unwrap();
    assert_eq!(c.status, "Done");
    let tasks: Vec<&str> = c.tasks.iter().map(|t| t.summary.as_str()).collect();
    assert_eq!(
        tasks,
        [
            "Stop service \"a\"",
            "Start service \"a\"",
            "Start service \"b\""
        ]
    );
    assert!(c.tasks[2].log[0].contains("Service \"b\" already started."));
    assert_eq!(p.service_records()["a"].starts, 2);
    assert_eq!(p.service_records()["b"].starts, 1);
    assert_eq!(p.service_infos(&names(&["b"]))[0].current_since, b_since);
    // Nothing changed: nothing restarts.
    let id = p.services_action("replan", &[]).unwrap();
    let c = p.wait_change(&id, None).unwrap();
    assert!(c.tasks.iter().all(|t| t.kind == "start"));
    assert_eq!(p.service_records()["a"].starts, 2);
}

#[test]
fn autostart_without_enabled_services() {
    let mut p = pebble(json!({"layers": layer(ONE)}));
    let e = p.services_action("autostart", &[]).unwrap_err();
    assert_eq!(
        (e.status, e.kind.as_deref()),
        (400, Some("no-default-services"))
    );
    assert_eq!(e.message, "no default services");
    let e = p.services_action("start", &[]).unwrap_err();
    assert_eq!(e.message, "must specify services for start action");
    let e = p.services_action("start", &names(&["ghost"])).unwrap_err();
    assert_eq!(
        e.message,
        "cannot start services: service \"ghost\" does not exist"
    );
    let e = p.services_action("replan", &names(&["svc"])).unwrap_err();
    assert_eq!(e.message, "replan accepts no service names");
    let id = p.services_action("replan", &[]).unwrap();
    let c = p.change(&id).unwrap();
    assert_eq!(
        (c.summary.as_str(), c.status.as_str()),
        ("Replan - no services", "Done")
    );
}

#[test]
fn stop_escalates_to_sigkill_after_kill_delay() {
    let mut p = pebble(json!({
        "layers": layer("services:\n  svc: {override: replace, command: x, kill-delay: 3s}\n"),
        "processes": {"svc": {"ignore_sigterm": true}}
    }));
    let id = p.services_action("start", &names(&["svc"])).unwrap();
    p.wait_change(&id, None).unwrap();
    let t = p.now();
    let id = p.services_action("stop", &names(&["svc"])).unwrap();
    assert_eq!(current(&mut p, "svc"), "inactive");
    let c = p.wait_change(&id, None).unwrap();
    assert_eq!(c.status, "Done");
    assert_eq!(p.now(), t + 3 * SECOND);
}

#[test]
fn an_unkillable_process_fails_the_stop() {
    let mut p = pebble(json!({
        "layers": layer(ONE),
        "processes": {"svc": {"ignore_sigterm": true, "ignore_sigkill": true}}
    }));
    let id = p.services_action("start", &names(&["svc"])).unwrap();
    p.wait_change(&id, None).unwrap();
    let t = p.now();
    let id = p.services_action("stop", &names(&["svc"])).unwrap();
    let c = p.wait_change(&id, None).unwrap();
    assert_eq!(c.status, "Error");
    assert!(
        c.err
            .unwrap()
            .ends_with("(cannot stop service: process still running after SIGTERM and SIGKILL)")
    );
    assert_eq!(p.now(), t + 10 * SECOND);
}

#[test]
fn restart_stops_then_starts() {
    let mut p = pebble(json!({"layers": layer(ONE)}));
    let id = p.services_action("start", &names(&["svc"])).unwrap();
    p.wait_change(&id, None).unwrap();
    let id = p.services_action("restart", &names(&["svc"])).unwrap();
    let c = p.wait_change(&id, None).unwrap();
    let tasks: Vec<(&str, &str)> = c
        .tasks
        .iter()
        .map(|t| (t.kind.as_str(), t.status.as_str()))
        .collect();
    assert_eq!(tasks, [("stop", "Done"), ("start", "Done")]);
    assert_eq!(p.service_records()["svc"].starts, 2);
}

#[test]
fn wait_times_out_on_virtual_time() {
    let mut p = pebble(json!({"layers": layer(ONE)}));
    let id = p.services_action("start", &names(&["svc"])).unwrap();
    let e = p
        .wait_change(&id, Some(Duration(200 * 1_000_000)))
        .unwrap_err();
    assert_eq!(
        e,
        WaitError::Timeout("timed out waiting for change after 200ms".into())
    );
    assert_eq!(p.now(), T0 + 200 * 1_000_000);
    assert_eq!(p.wait_change(&id, None).unwrap().status, "Done");
}

#[test]
fn on_success_shutdown_stops_the_daemon() {
    let mut p = pebble(json!({
        "layers": layer("services:\n  job: {override: replace, command: x, on-success: shutdown}\n"),
        "processes": {"job": {"exit_after": "2s"}}
    }));
    let id = p.services_action("start", &names(&["job"])).unwrap();
    p.wait_change(&id, None).unwrap();
    p.advance(Duration(5 * SECOND));
    assert_eq!(p.exited(), Some(0));
}

#[test]
fn a_failing_check_goes_down_recovers_and_restarts_its_service() {
    let mut p = pebble(json!({
        "layers": layer(
            "services:\n  svc: {override: replace, command: x, on-check-failure: {up: restart}}\nchecks:\n  up: {override: replace, level: alive, period: 10s, threshold: 2, http: {url: 'http://localhost/'}}\n"
        ),
        "check_outcomes": {"up": {"outcomes": ["ok", "fail", "fail", "fail", "ok"]}}
    }));
    let id = p.services_action("start", &names(&["svc"])).unwrap();
    p.wait_change(&id, None).unwrap();
    let info = |p: &mut Pebble| p.check_infos("", &[]).pop().unwrap();
    let first = info(&mut p).change_id.unwrap();
    p.advance_to(T0 + 25 * SECOND); // runs at 10s (ok), 20s (fail)
    let i = info(&mut p);
    assert_eq!((i.status.as_str(), i.failures, i.successes), ("up", 1, 1));
    p.advance_to(T0 + 30 * SECOND); // 30s: fail -> threshold
    let i = info(&mut p);
    assert_eq!(i.status, "down");
    assert_eq!(i.prev_change_id.as_deref(), Some(first.as_str()));
    let failed = p.change(&first).unwrap();
    assert_eq!(failed.status, "Error");
    assert_eq!(failed.kind, "perform-check");
    assert!(!p.healthy("alive", &[]));
    // The service was sent SIGTERM and is restarting through backoff.
    assert_eq!(current(&mut p, "svc"), "backoff");
    p.advance_to(T0 + 50 * SECOND); // 40s: fail (recovering), 50s: ok
    let i = info(&mut p);
    assert_eq!((i.status.as_str(), i.failures), ("up", 0));
    let recover = p.change(i.prev_change_id.as_deref().unwrap()).unwrap();
    assert_eq!(
        (recover.kind.as_str(), recover.status.as_str()),
        ("recover-check", "Done")
    );
    assert!(p.healthy("ready", &[]));
    assert_eq!(current(&mut p, "svc"), "active");
    // Each status change left a change-update notice.
    let notices = p.notices_list(&charmbox::pebble::notices::Filter {
        types: names(&["change-update"]),
        ..Default::default()
    });
    assert!(
        notices
            .iter()
            .any(|n| n.key == first
                && n.last_data.get("check-name").map(String::as_str) == Some("up"))
    );
}

#[test]
fn exec_uses_handlers_and_virtual_time() {
    let mut p = pebble(json!({
        "exec": [
            {"command": ["ls"], "stdout": "a\nb\n"},
            {"command": ["ls", "/nope"], "exit_code": 2, "stderr": "no such file\n"},
            {"command": ["sleep"], "duration": "10s"}
        ]
    }));
    let mut req = ExecRequest {
        command: names(&["ls", "-l"]),
        ..Default::default()
    };
    let r = p.exec(&req).unwrap();
    assert_eq!((r.exit_code, r.stdout.as_slice()), (0, &b"a\nb\n"[..]));
    req.command = names(&["ls", "/nope"]);
    req.split_stderr = true;
    let r = p.exec(&req).unwrap();
    assert_eq!(
        (r.exit_code, r.stderr.as_slice()),
        (2, &b"no such file\n"[..])
    );
    let c = p.change(&r.change_id).unwrap();
    assert_eq!(c.status, "Done");
    assert_eq!(c.tasks[0].data["exit-code"], 2);
    req.command = names(&["sleep", "10"]);
    req.timeout = Some(Duration(SECOND));
    let r = p.exec(&req).unwrap();
    assert_eq!(
        r.timed_out.as_deref(),
        Some("timed out after 1s: context deadline exceeded")
    );
    assert_eq!(p.now(), T0 + SECOND);
    req.command = names(&["rm"]);
    let e = p.exec(&req).unwrap_err();
    assert_eq!(
        (e.status, e.message.as_str()),
        (400, "cannot find executable \"rm\"")
    );
    req.command = names(&["ls"]);
    req.working_dir = Some("/srv".into());
    let e = p.exec(&req).unwrap_err();
    assert_eq!(e.status, 500);
}

#[test]
fn the_state_round_trips() {
    let mut p = pebble(json!({
        "layers": layer(
            "services:\n  svc: {override: replace, command: x, startup: enabled}\nchecks:\n  up: {override: replace, tcp: {port: 80}}\n"
        ),
        "processes": {"svc": [{"exit_after": "300ms", "exit_code": 1}, {}]},
        "files": {"/etc/app/conf": {"content": "k=v\n"}}
    }));
    let id = p.services_action("autostart", &[]).unwrap();
    assert_eq!(p.wait_change(&id, None).unwrap().status, "Error");
    p.advance(Duration(200 * 1_000_000));
    p.notify("custom", "example.com/ping", Default::default(), None)
        .unwrap();
    let mut c = ContainerState {
        name: "workload".into(),
        can_connect: true,
        ..Default::default()
    };
    snapshot::save(&p, &mut c);
    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(json["services"]["svc"]["current"], "backoff");
    assert_eq!(json["files"]["/etc/app/conf"]["content"], "k=v\n");
    assert_eq!(
        json["layers"][0]["layer"]["services"]["svc"]["command"],
        "x"
    );
    // Reload and carry on: the pending backoff restart still happens.
    let back: ContainerState = serde_json::from_value(json.clone()).unwrap();
    let mut q = snapshot::load(&back, p.now()).unwrap();
    q.advance(Duration(SECOND));
    assert_eq!(current(&mut q, "svc"), "active");
    assert_eq!(q.pull("/etc/app/conf").unwrap(), b"k=v\n");
    let notices = q.notices_list(&charmbox::pebble::notices::Filter {
        types: names(&["custom"]),
        ..Default::default()
    });
    assert_eq!(notices.len(), 1);
    // Saving again gives the same State when nothing happens.
    let mut c2 = back.clone();
    let r = snapshot::load(&back, p.now()).unwrap();
    snapshot::save(&r, &mut c2);
    assert_eq!(serde_json::to_value(&c2).unwrap(), json);
}

#[test]
fn steady_checks_fast_forward_to_the_same_counts() {
    let container = json!({
        "layers": layer(
            "checks:\n  fast: {override: replace, period: 1ms, threshold: 2, tcp: {port: 1}}\n  slow: {override: replace, period: 7s, threshold: 1, exec: {command: probe}}\n"
        ),
        "check_outcomes": {"fast": {"outcomes": ["ok", "fail"], "then": "fail: refused"}}
    });
    let mut big = pebble(container.clone());
    let mut small = pebble(container);
    big.advance(Duration(3_600 * SECOND));
    for _ in 0..3_600 {
        small.advance(Duration(SECOND));
    }
    assert_eq!(big.now(), small.now());
    let (b, s) = (big.check_infos("", &[]), small.check_infos("", &[]));
    assert_eq!(b, s);
    let fast = &b[0];
    assert_eq!((fast.name.as_str(), fast.status.as_str()), ("fast", "down"));
    assert_eq!(fast.successes, 1);
    assert_eq!(fast.failures, 3_599_999);
    assert_eq!(b[1].successes, 3_600 / 7);
    let log = |p: &mut Pebble| {
        let id = p.check_infos("", &names(&["fast"]))[0]
            .change_id
            .clone()
            .unwrap();
        p.change(&id).unwrap().tasks[0].log.clone()
    };
    assert_eq!(log(&mut big), log(&mut small));
    assert_eq!(log(&mut big).len(), 10);
    // A wait without a timeout on a change that never finishes gives up
    // after 24 h of virtual time, quickly.
    let id = big.check_infos("", &names(&["slow"]))[0]
        .change_id
        .clone()
        .unwrap();
    let t = big.now();
    assert!(matches!(
        big.wait_change(&id, None),
        Err(WaitError::Timeout(_))
    ));
    assert_eq!(big.now(), t + 24 * 3_600 * SECOND);
}
