//! examples/peer-counter-py, the tutorial charm in Python with ops, built
//! with componentize-py and run in the host: the same cases as the Rust
//! peer-counter (tests/e2e/cases/peer_counter.rs), and the same databags.

use crate::peer_counter_cases as cases;

const CHARM: &str = "examples/peer-counter-py";

peer_counter_tests!(CHARM);

#[test]
fn a_failed_start_is_not_counted() {
    // The charm raises: the hook's error is the traceback.
    let m = cases::a_failed_start(CHARM);
    assert!(m.starts_with("Traceback (most recent call last):\n"), "{m}");
    assert!(
        m.contains("File \"/var/lib/juju/agents/unit-peer-counter-py-0/charm/src/charm.py\""),
        "{m}"
    );
    assert!(m.contains(", in _count\n"), "{m}");
    assert!(
        m.ends_with("ValueError: invalid literal for int() with base 10: 'many'"),
        "{m}"
    );
}

/// The same databags as the Rust charm, byte for byte.
#[test]
fn the_same_databags_as_the_rust_charm() {
    cases::the_same_databags_as_the_rust_charm(CHARM);
}
