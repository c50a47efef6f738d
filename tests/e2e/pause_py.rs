//! examples/pause-py, the how-to's pause charm in Python with ops (Layer,
//! add_layer(combine=True), get_plan, autostart, restart), run in the host
//! against the simulated Pebble: the same cases as the Rust pause charm
//! (tests/e2e/cases/pause.rs). ops' JSON calls go through the raw Pebble
//! request.

mod common;

#[path = "cases/pause.rs"]
mod cases;

use cases::{container, with_container};
use charmbox::engine::Outcome;
use common::*;
use serde_json::json;

const CHARM: &str = "examples/pause-py";

pause_tests!(CHARM);

#[test]
fn a_workload_that_dies_fails_the_hook_but_pebble_keeps_its_changes() {
    let message = cases::a_workload_that_dies(CHARM);
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
