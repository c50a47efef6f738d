//! examples/peer-counter-js, the tutorial charm in JavaScript with charmbox's
//! library (guest-sdk/js), made a component by componentize-js: the same
//! cases as the Rust and Python peer-counters (tests/e2e/cases), and the
//! same databags as the Rust charm.

use crate::common;

use crate::peer_counter_cases as cases;

use common::*;

const CHARM: &str = "examples/peer-counter-js";

peer_counter_tests!(CHARM);

#[test]
fn a_failed_start_is_not_counted() {
    // The charm throws: the hook fails with the error and its stack.
    let m = cases::a_failed_start(CHARM);
    assert!(
        m.starts_with("Error: started_counter is not a count"),
        "{m}"
    );
    assert!(m.contains("charm.js"), "{m}");
}

/// The same databags as the Rust charm, byte for byte.
#[test]
fn the_same_databags_as_the_rust_charm() {
    cases::the_same_databags_as_the_rust_charm(CHARM);
}

/// A charm that does not parse fails the build with node's syntax error,
/// naming the file and the line.
#[test]
fn a_syntax_error_is_the_build_error() {
    let err = build_error(
        "js-broken",
        &[("src/charm.js", "export const handler = {{{;\n")],
    );
    assert!(
        err.starts_with("src/charm.js is not valid JavaScript"),
        "{err}"
    );
    assert!(
        err.contains("src/charm.js:1") && err.contains("SyntaxError"),
        "{err}"
    );
}

/// The library's name is the build's: a charm's own src/charmbox.js is refused.
#[test]
fn a_charm_cannot_shadow_the_library() {
    let err = build_error(
        "js-shadow",
        &[
            ("src/charm.js", "export const handler = {};\n"),
            ("src/charmbox.js", "// mine\n"),
        ],
    );
    assert!(
        err.contains("src/charmbox.js is the name of charmbox's library"),
        "{err}"
    );
}
