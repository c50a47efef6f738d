//! examples/pause-js, the how-to's pause charm in JavaScript with charmbox's
//! library (Container: addLayer with combine, getServices, getPlanText,
//! autostart, restart), run in the host against the simulated Pebble: the
//! same cases as the Rust and Python pause charms (tests/e2e/cases/pause.rs),
//! and the same containers as the Rust charm.

use crate::pause_cases as cases;

const CHARM: &str = "examples/pause-js";

pause_tests!(CHARM);

pause_tests_beside_rust!(CHARM);
