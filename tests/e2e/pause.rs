//! examples/pause, built into a component and run in the host against the
//! simulated Pebble: the pause charm's cases (tests/e2e/cases/pause.rs),
//! and the Rust charm's own error text when the workload dies.

use crate::pause_cases as cases;

const CHARM: &str = "examples/pause";

pause_tests!(CHARM);

#[test]
fn a_workload_that_dies_fails_the_hook_but_pebble_keeps_its_changes() {
    let message = cases::a_workload_that_dies(CHARM);
    assert_eq!(
        message,
        "cannot perform the following tasks:\n- Start service \"pause\" (service start attempt: exited quickly with code 2, will restart)"
    );
}
