//! examples/pause-js, the how-to's pause charm in JavaScript with charmbox's
//! library (Container: addLayer with combine, getServices, getPlanText,
//! autostart, restart), run in the host against the simulated Pebble: the
//! same cases as the Rust and Python pause charms (tests/e2e/cases/pause.rs),
//! and the same containers as the Rust charm.

mod common;

#[path = "cases/pause.rs"]
mod cases;

const CHARM: &str = "examples/pause-js";

pause_tests!(CHARM);

#[test]
fn a_workload_that_dies_fails_the_hook_but_pebble_keeps_its_changes() {
    let message = cases::a_workload_that_dies(CHARM);
    // Pebble's change error, as the library throws it.
    assert!(
        message.contains("Start service \"pause\" (service start attempt: exited quickly with code 2, will restart)"),
        "{message}"
    );
}

/// The JavaScript and the Rust charm leave the same containers behind.
#[test]
fn the_same_pebble_state_as_the_rust_charm() {
    cases::the_same_pebble_state_as(CHARM, "examples/pause");
}
