//! The tests of the tutorial's peer-counter charm, for each charm that
//! implements it (examples/peer-counter in Rust, peer-counter-py in Python
//! with ops, peer-counter-c in C, peer-counter-js in JavaScript): the start
//! counter, kept in the peer relation's application databag.
//! `peer_counter_tests!(dir)` stamps them as tests of the charm in `dir`.

use charmbox::engine::{Failure, Outcome};
use serde_json::json;

use crate::common::*;

/// The shared cases as `#[test]`s of the charm in `$dir`.
#[macro_export]
macro_rules! peer_counter_tests {
    ($dir:expr) => {
        $crate::case_tests!(
            $dir;
            first_start_counts_one_and_feeding_back_counts_two,
            tutorial_string_counter_is_read_too,
            non_leader_leaves_the_count_to_the_leader,
            other_events_change_nothing,
        );
    };
}

pub fn peer_state(leader: bool, app_data: serde_json::Value) -> charmbox::state::State {
    state(json!({
        "leader": leader,
        "relations": [{"id": 3, "endpoint": "fastapi-peer", "local_app_data": app_data}]
    }))
}

fn counter(s: &charmbox::state::State) -> serde_json::Value {
    let raw = &s.relation(3).unwrap().local_app_data["unit_stats"];
    serde_json::from_str(raw).unwrap()
}

pub fn first_start_counts_one_and_feeding_back_counts_two(dir: &str) {
    let rt = runtime();
    let charm = charm(&rt, dir);
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
    assert_eq!(report.outcome, Outcome::Ok, "{:?}", report.logs);
    assert_eq!(counter(&out2), json!({"started_counter": 2}));
}

pub fn tutorial_string_counter_is_read_too(dir: &str) {
    let rt = runtime();
    let charm = charm(&rt, dir);
    let s = peer_state(true, json!({"unit_stats": r#"{"started_counter": "41"}"#}));
    let (out, _) = run(&rt, &charm, s, "start");
    assert_eq!(counter(&out), json!({"started_counter": 42}));
}

pub fn non_leader_leaves_the_count_to_the_leader(dir: &str) {
    let rt = runtime();
    let charm = charm(&rt, dir);
    let s = peer_state(false, json!({"unit_stats": r#"{"started_counter": 5}"#}));
    let (out, report) = run(&rt, &charm, s, "start");
    assert_eq!(report.outcome, Outcome::Ok, "{:?}", report.logs);
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

pub fn other_events_change_nothing(dir: &str) {
    let rt = runtime();
    let charm = charm(&rt, dir);
    let s = peer_state(true, json!({}));
    let (out, report) = run(&rt, &charm, s.clone(), "config-changed");
    assert_eq!(report.outcome, Outcome::Ok, "{:?}", report.logs);
    assert_eq!(out, s);
}

/// A malformed counter makes the charm fail: nothing buffered is
/// committed. Returns the hook's error for the caller to check (each
/// charm words it its own way).
pub fn a_failed_start(dir: &str) -> String {
    let rt = runtime();
    let charm = charm(&rt, dir);
    let s = peer_state(
        true,
        json!({"unit_stats": r#"{"started_counter": "many"}"#}),
    );
    let (out, report) = run(&rt, &charm, s.clone(), "start");
    assert_eq!(out.relations, s.relations);
    match report.outcome {
        Outcome::Failed {
            failure: Failure::CharmError(m),
        } => m,
        other => panic!("expected a charm error, got {other:?}"),
    }
}

/// The charm in `dir` and the Rust charm leave the same databags and
/// statuses, byte for byte, over three starts from several databags.
#[allow(
    dead_code,
    reason = "for the other languages' peer-counters, not the Rust one"
)]
pub fn the_same_databags_as_the_rust_charm(dir: &str) {
    let rt = runtime();
    let other = charm(&rt, dir);
    let rs = charm(&rt, "examples/peer-counter");
    for (leader, bag) in [
        (true, json!({})),
        (true, json!({"unit_stats": r#"{"started_counter": "41"}"#})),
        (true, json!({"unit_stats": r#"{"started_counter": 7}"#})),
        (false, json!({"unit_stats": r#"{"started_counter": 5}"#})),
    ] {
        let (mut a, mut b) = (peer_state(leader, bag.clone()), peer_state(leader, bag));
        for _ in 0..3 {
            let (out_a, r1) = run(&rt, &other, a, "start");
            let (out_rs, r2) = run(&rt, &rs, b, "start");
            assert_eq!((&r1.outcome, &r2.outcome), (&Outcome::Ok, &Outcome::Ok));
            assert_eq!(out_a.relations, out_rs.relations);
            assert_eq!(out_a.unit_status, out_rs.unit_status);
            (a, b) = (out_a, out_rs);
        }
    }
}
