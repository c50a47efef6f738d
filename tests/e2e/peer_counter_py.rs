//! examples/peer-counter-py, the tutorial charm in Python with ops, built
//! with componentize-py and run in the host: the same cases as the Rust
//! peer-counter (tests/e2e/cases/peer_counter.rs), and the same databags.

mod common;

#[path = "cases/peer_counter.rs"]
mod cases;

use cases::peer_state;
use charmbox::engine::Outcome;
use common::*;
use serde_json::json;

const CHARM: &str = "examples/peer-counter-py";
const RUST_CHARM: &str = "examples/peer-counter";

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

/// The Python and the Rust charm leave the same databags, byte for byte.
#[test]
fn the_same_databags_as_the_rust_charm() {
    let rt = runtime();
    let py = charm(&rt, CHARM);
    let rs = charm(&rt, RUST_CHARM);
    for (leader, bag) in [
        (true, json!({})),
        (true, json!({"unit_stats": r#"{"started_counter": "41"}"#})),
        (true, json!({"unit_stats": r#"{"started_counter": 7}"#})),
        (false, json!({"unit_stats": r#"{"started_counter": 5}"#})),
    ] {
        let (mut a, mut b) = (peer_state(leader, bag.clone()), peer_state(leader, bag));
        for _ in 0..3 {
            let (out_py, r1) = run(&rt, &py, a, "start");
            let (out_rs, r2) = run(&rt, &rs, b, "start");
            assert_eq!((&r1.outcome, &r2.outcome), (&Outcome::Ok, &Outcome::Ok));
            assert_eq!(out_py.relations, out_rs.relations);
            assert_eq!(out_py.unit_status, out_rs.unit_status);
            (a, b) = (out_py, out_rs);
        }
    }
}
