//! examples/peer-counter-py, the tutorial charm in Python with ops, built
//! with componentize-py and run in the host: the same tests as the Rust
//! peer-counter (tests/e2e/peer_counter.rs), and the same databags.

mod common;

use charmbox::engine::{Failure, Outcome};
use common::*;
use serde_json::json;

const CHARM: &str = "examples/peer-counter-py";
const RUST_CHARM: &str = "examples/peer-counter";

fn peer_state(leader: bool, app_data: serde_json::Value) -> charmbox::state::State {
    state(json!({
        "leader": leader,
        "relations": [{"id": 3, "endpoint": "fastapi-peer", "local_app_data": app_data}]
    }))
}

fn counter(s: &charmbox::state::State) -> serde_json::Value {
    let raw = &s.relation(3).unwrap().local_app_data["unit_stats"];
    serde_json::from_str(raw).unwrap()
}

#[test]
fn first_start_counts_one_and_feeding_back_counts_two() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let (out, report) = run(&rt, &charm, peer_state(true, json!({})), "start");
    assert_eq!(report.outcome, Outcome::Ok, "{:?}", report.logs);
    assert_eq!(counter(&out), json!({"started_counter": 1}));
    assert_eq!(
        out.relation(3).unwrap().local_app_data["unit_stats"],
        r#"{"started_counter": 1}"#
    );
    assert_eq!(out.unit_status.status, "active");

    // The output State, serialised and read back, is the next input.
    let again = charmbox::state::State::from_json(&out.to_json(), "out.json").unwrap();
    let (out2, report) = run(&rt, &charm, again, "start");
    assert_eq!(report.outcome, Outcome::Ok);
    assert_eq!(counter(&out2), json!({"started_counter": 2}));
}

#[test]
fn tutorial_string_counter_is_read_too() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let s = peer_state(true, json!({"unit_stats": r#"{"started_counter": "41"}"#}));
    let (out, _) = run(&rt, &charm, s, "start");
    assert_eq!(counter(&out), json!({"started_counter": 42}));
}

#[test]
fn non_leader_leaves_the_count_to_the_leader() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let s = peer_state(false, json!({"unit_stats": r#"{"started_counter": 5}"#}));
    let (out, report) = run(&rt, &charm, s, "start");
    assert_eq!(report.outcome, Outcome::Ok);
    assert_eq!(counter(&out), json!({"started_counter": 5}));
    assert!(
        report
            .logs
            .iter()
            .any(|l| l.message.contains("not the leader")),
        "{:?}",
        report.logs
    );
}

#[test]
fn other_events_change_nothing() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let s = peer_state(true, json!({}));
    let (out, report) = run(&rt, &charm, s.clone(), "config-changed");
    assert_eq!(report.outcome, Outcome::Ok);
    assert_eq!(out, s);
}

#[test]
fn a_failed_start_is_not_counted() {
    // A malformed counter makes the charm raise: the hook's error is the
    // traceback, and nothing buffered is committed.
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let s = peer_state(
        true,
        json!({"unit_stats": r#"{"started_counter": "many"}"#}),
    );
    let (out, report) = run(&rt, &charm, s.clone(), "start");
    match report.outcome {
        Outcome::Failed {
            failure: Failure::CharmError(m),
        } => {
            assert!(m.starts_with("Traceback (most recent call last):\n"), "{m}");
            assert!(
                m.contains(
                    "File \"/var/lib/juju/agents/unit-peer-counter-py-0/charm/src/charm.py\""
                ),
                "{m}"
            );
            assert!(m.contains(", in _count\n"), "{m}");
            assert!(
                m.ends_with("ValueError: invalid literal for int() with base 10: 'many'"),
                "{m}"
            );
        }
        other => panic!("expected a charm error, got {other:?}"),
    }
    assert_eq!(out.relations, s.relations);
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
