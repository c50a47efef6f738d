//! examples/peer-counter, built into a component and run in the host: the
//! tutorial's cases (tests/e2e/cases/peer_counter.rs), and the Rust
//! charm's own error for a malformed counter.

use crate::peer_counter_cases as cases;

const CHARM: &str = "examples/peer-counter";

peer_counter_tests!(CHARM);

#[test]
fn a_failed_start_is_not_counted() {
    let m = cases::a_failed_start(CHARM);
    assert!(m.contains("started_counter is not a count"), "{m}");
}
