//! The tests of the pause charm, for each charm that implements it
//! (examples/pause in Rust, pause-py in Python with ops, pause-js in
//! JavaScript): run in
//! the host against the simulated Pebble, pebble-ready adds the layer and
//! starts the service; config-changed merges TIMEOUT into its environment
//! and restarts it only when the plan changed. `pause_tests!(dir)` stamps
//! them as tests of the charm in `dir`.

use charmbox::engine::{Failure, Outcome};
use charmbox::state::State;
use serde_json::{Value, json};

use crate::common::*;

/// The shared cases as `#[test]`s of the charm in `$dir`.
#[macro_export]
macro_rules! pause_tests {
    ($dir:expr) => {
        $crate::case_tests!(
            $dir;
            pebble_ready_adds_the_layer_and_starts_pause,
            config_changed_restarts_only_when_the_plan_changed,
            config_changed_waits_for_pebble,
            pebble_events_need_the_container_in_the_state,
        );
    };
}

/// The tests of a pause charm in another language whose library fails the
/// hook with Pebble's own change error (C, JavaScript): that error, and the
/// same containers as the Rust charm.
#[macro_export]
macro_rules! pause_tests_beside_rust {
    ($dir:expr) => {
        #[test]
        fn a_workload_that_dies_fails_the_hook_but_pebble_keeps_its_changes() {
            cases::a_workload_that_dies_with_pebbles_change_error($dir);
        }

        #[test]
        fn the_same_pebble_state_as_the_rust_charm() {
            cases::the_same_pebble_state_as($dir, "examples/pause");
        }
    };
}

pub fn with_container(container: Value, config: Value) -> State {
    state(json!({"containers": [container], "config": config}))
}

pub fn container(s: &State) -> Value {
    serde_json::to_value(&s.containers[0]).unwrap()
}

pub fn pause_service(s: &State) -> Value {
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

pub fn pebble_ready_adds_the_layer_and_starts_pause(dir: &str) {
    let rt = runtime();
    let charm = charm(&rt, dir);
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

pub fn config_changed_restarts_only_when_the_plan_changed(dir: &str) {
    let rt = runtime();
    let charm = charm(&rt, dir);
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

pub fn config_changed_waits_for_pebble(dir: &str) {
    let rt = runtime();
    let charm = charm(&rt, dir);
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

/// A workload that exits within Pebble's okay delay fails pebble-ready;
/// returns the hook's error for the caller to check (each charm words it
/// its own way), after checking that Pebble kept its changes.
pub fn a_workload_that_dies(dir: &str) -> String {
    let rt = runtime();
    let charm = charm(&rt, dir);
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
    // The hook failed, but Pebble's changes are the workload's, not the
    // hook's: the layer stays and the service is backing off.
    let c = container(&out);
    assert_eq!(c["layers"][0]["label"], "pause");
    assert_eq!(pause_service(&out)["current"], "backoff");
    assert_eq!(out.unit_status.status, "unknown");
    message.clone()
}

/// [`a_workload_that_dies`] for a library that fails the hook with Pebble's
/// own change error (the C and JavaScript libraries).
#[allow(dead_code, reason = "for the C and JavaScript pause charms")]
pub fn a_workload_that_dies_with_pebbles_change_error(dir: &str) {
    let message = a_workload_that_dies(dir);
    assert!(
        message.contains(
            "Start service \"pause\" (service start attempt: exited quickly with code 2, will restart)"
        ),
        "{message}"
    );
}

pub fn pebble_events_need_the_container_in_the_state(dir: &str) {
    let rt = runtime();
    let charm = charm(&rt, dir);
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

/// The charm in `dir` and the one in `other` leave the same containers and
/// statuses behind, through pebble-ready and three config changes.
#[allow(
    dead_code,
    reason = "for the other languages' pause charms, not the Rust one"
)]
pub fn the_same_pebble_state_as(dir: &str, other: &str) {
    let rt = runtime();
    let one = charm(&rt, dir);
    let two = charm(&rt, other);
    let s = with_container(json!({"name": "pause", "can_connect": true}), json!({}));
    let (mut a, _) = run(&rt, &one, s.clone(), "pause-pebble-ready");
    let (mut b, _) = run(&rt, &two, s, "pause-pebble-ready");
    assert_eq!(container(&a), container(&b));
    for timeout in [30, 30, 45] {
        a.config.insert("timeout".into(), json!(timeout));
        b.config.insert("timeout".into(), json!(timeout));
        let (na, ra) = run(&rt, &one, a, "config-changed");
        let (nb, rb) = run(&rt, &two, b, "config-changed");
        assert_eq!((&ra.outcome, &rb.outcome), (&Outcome::Ok, &Outcome::Ok));
        assert_eq!(container(&na), container(&nb), "timeout {timeout}");
        assert_eq!(na.unit_status, nb.unit_status);
        (a, b) = (na, nb);
    }
}
