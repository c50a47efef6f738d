//! examples/pause-py, the how-to's pause charm in Python with ops (Layer,
//! add_layer(combine=True), get_plan, autostart, restart), run in the host
//! against the simulated Pebble: the same tests as the Rust pause charm
//! (tests/e2e/pause.rs). ops' JSON calls go through the raw Pebble request.

mod common;

use charmbox::engine::{Failure, Outcome};
use charmbox::state::State;
use common::*;
use serde_json::{Value, json};

const CHARM: &str = "examples/pause-py";

fn with_container(container: Value, config: Value) -> State {
    state(json!({"containers": [container], "config": config}))
}

fn container(s: &State) -> Value {
    serde_json::to_value(&s.containers[0]).unwrap()
}

fn pause_service(s: &State) -> Value {
    container(s)["services"]["pause"].clone()
}

fn logged(report: &charmbox::run::RunReport, text: &str) -> bool {
    report.logs.iter().any(|l| l.message.contains(text))
}

fn ready(rt: &charmbox::engine::Runtime, charm: &charmbox::run::Charm) -> State {
    let s = with_container(json!({"name": "pause", "can_connect": true}), json!({}));
    let (out, report) = run(rt, charm, s, "pause-pebble-ready");
    assert_eq!(report.outcome, Outcome::Ok, "{:?}", report.logs);
    out
}

#[test]
fn pebble_ready_adds_the_layer_and_starts_pause() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let out = ready(&rt, &charm);
    assert_eq!(out.unit_status.status, "active");
    let c = container(&out);
    assert_eq!(c["layers"][0]["label"], "pause");
    assert_eq!(c["layers"][0]["order"], 1000);
    assert_eq!(
        c["layers"][0]["layer"],
        json!({
            "summary": "pause layer",
            "description": "pebble config layer for google/pause",
            "services": {"pause": {
                "summary": "pause service",
                "startup": "enabled",
                "override": "replace",
                "command": "/pause"
            }}
        })
    );
    assert_eq!(pause_service(&out)["current"], "active");
    assert_eq!(pause_service(&out)["starts"], 1);
    // autostart waited for Pebble's 1 s okay delay, in virtual time.
    assert_eq!(c["now"], "2026-01-01T00:00:01Z");
    let change = &c["changes"][0];
    assert_eq!(
        (&change["kind"], &change["summary"], &change["status"]),
        (
            &json!("autostart"),
            &json!("Autostart service \"pause\""),
            &json!("Done")
        )
    );
}

#[test]
fn config_changed_restarts_only_when_the_plan_changed() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let mut s = ready(&rt, &charm);

    // The first config-changed adds TIMEOUT=30: the plan changed, restart.
    s.config.insert("timeout".into(), json!(30));
    let (out, report) = run(&rt, &charm, s, "config-changed");
    assert_eq!(report.outcome, Outcome::Ok, "{:?}", report.logs);
    assert!(
        logged(&report, "restarted pause service"),
        "{:?}",
        report.logs
    );
    assert_eq!(pause_service(&out)["starts"], 2);
    assert_eq!(pause_service(&out)["current"], "active");
    let layer = &container(&out)["layers"][0]["layer"]["services"]["pause"];
    assert_eq!(layer["environment"], json!({"TIMEOUT": "30"}));
    assert_eq!(layer["command"], "/pause");

    // The same value again: the plan is unchanged and pause keeps running.
    let again = State::from_json(&out.to_json(), "out.json").unwrap();
    let (out2, report) = run(&rt, &charm, again, "config-changed");
    assert_eq!(report.outcome, Outcome::Ok, "{:?}", report.logs);
    assert!(
        logged(&report, "the plan did not change"),
        "{:?}",
        report.logs
    );
    assert_eq!(pause_service(&out2)["starts"], 2);
    assert_eq!(pause_service(&out2)["since"], pause_service(&out)["since"]);

    // A new value: restart again, with the new environment.
    let mut changed = out2.clone();
    changed.config.insert("timeout".into(), json!(60));
    let (out3, report) = run(&rt, &charm, changed, "config-changed");
    assert_eq!(report.outcome, Outcome::Ok, "{:?}", report.logs);
    assert!(logged(&report, "restarted pause service"));
    assert_eq!(pause_service(&out3)["starts"], 3);
    assert_eq!(
        container(&out3)["layers"][0]["layer"]["services"]["pause"]["environment"],
        json!({"TIMEOUT": "60"})
    );
    let restart = container(&out3)["changes"]
        .as_array()
        .unwrap()
        .iter()
        .rfind(|c| c["kind"] == "restart")
        .cloned()
        .unwrap();
    let tasks: Vec<&Value> = restart["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["kind"])
        .collect();
    assert_eq!(tasks, [&json!("stop"), &json!("start")]);
}

#[test]
fn config_changed_waits_for_pebble() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let s = with_container(json!({"name": "pause", "can_connect": false}), json!({}));
    let (out, report) = run(&rt, &charm, s, "config-changed");
    assert_eq!(report.outcome, Outcome::Ok, "{:?}", report.logs);
    assert_eq!(out.unit_status.status, "waiting");
    assert_eq!(
        out.unit_status.message,
        "waiting for Pebble in the workload container"
    );
    // Pebble is up but has no layer yet (pebble-ready has not run).
    let s = with_container(json!({"name": "pause", "can_connect": true}), json!({}));
    let (out, _) = run(&rt, &charm, s, "config-changed");
    assert_eq!(out.unit_status.message, "waiting for the pause service");
}

#[test]
fn a_workload_that_dies_fails_the_hook_but_pebble_keeps_its_changes() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let s = with_container(
        json!({
            "name": "pause",
            "can_connect": true,
            "processes": {"pause": {"exit_after": "200ms", "exit_code": 2}}
        }),
        json!({}),
    );
    let (out, report) = run(&rt, &charm, s, "pause-pebble-ready");
    let Outcome::Failed {
        failure: Failure::CharmError(message),
    } = &report.outcome
    else {
        panic!("expected a failed hook, got {:?}", report.outcome);
    };
    // ops raises ChangeError with Pebble's text (and the task's log after it).
    assert!(
        message.starts_with("Traceback (most recent call last):\n"),
        "{message}"
    );
    assert!(
        message.contains(", in _on_pause_pebble_ready\n"),
        "{message}"
    );
    assert!(
        message.contains(
            "ops.pebble.ChangeError: cannot perform the following tasks:\n- Start service \"pause\" (service start attempt: exited quickly with code 2, will restart)"
        ),
        "{message}"
    );
    // The hook failed, but Pebble's changes are the workload's, not the
    // hook's: the layer stays and the service is backing off.
    let c = container(&out);
    assert_eq!(c["layers"][0]["label"], "pause");
    assert_eq!(pause_service(&out)["current"], "backoff");
    assert_eq!(out.unit_status.status, "unknown");
}

#[test]
fn pebble_events_need_the_container_in_the_state() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let err = charmbox::run::run_event(
        &rt,
        &charm,
        state(json!({})),
        &charmbox::event::EventSpec::named("pause-pebble-ready"),
        None,
    )
    .expect_err("refused");
    assert_eq!(err.to_string(), "the state has no container \"pause\"");
}

/// The Python and the Rust charm leave the same containers behind.
#[test]
fn the_same_pebble_state_as_the_rust_charm() {
    let rt = runtime();
    let py = charm(&rt, CHARM);
    let rs = charm(&rt, "examples/pause");
    let s = with_container(json!({"name": "pause", "can_connect": true}), json!({}));
    let (mut a, _) = run(&rt, &py, s.clone(), "pause-pebble-ready");
    let (mut b, _) = run(&rt, &rs, s, "pause-pebble-ready");
    assert_eq!(container(&a), container(&b));
    for timeout in [30, 30, 45] {
        a.config.insert("timeout".into(), json!(timeout));
        b.config.insert("timeout".into(), json!(timeout));
        let (na, ra) = run(&rt, &py, a, "config-changed");
        let (nb, rb) = run(&rt, &rs, b, "config-changed");
        assert_eq!((&ra.outcome, &rb.outcome), (&Outcome::Ok, &Outcome::Ok));
        assert_eq!(container(&na), container(&nb), "timeout {timeout}");
        assert_eq!(na.unit_status, nb.unit_status);
        (a, b) = (na, nb);
    }
}
