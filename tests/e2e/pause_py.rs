//! examples/pause-py, the how-to's pause charm in Python with ops (Layer,
//! add_layer(combine=True), get_plan, autostart, restart), run in the host
//! against the simulated Pebble: the same cases as the Rust pause charm
//! (tests/e2e/cases/pause.rs). ops' JSON calls go through the raw Pebble
//! request.

use crate::pause_cases as cases;

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
    cases::the_same_pebble_state_as(CHARM, "examples/pause");
}
