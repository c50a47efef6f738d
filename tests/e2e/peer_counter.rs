//! examples/peer-counter, built into a component and run in the host: the
//! tutorial's start counter, kept in the peer relation's application databag.

mod common;

use charmbox::engine::{Failure, Outcome};
use common::*;
use serde_json::json;

const CHARM: &str = "examples/peer-counter";

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
    assert_eq!(report.outcome, Outcome::Ok);
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
    // A malformed counter makes the charm fail: nothing buffered is committed.
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
            assert!(m.contains("started_counter is not a count"), "{m}")
        }
        other => panic!("expected a charm error, got {other:?}"),
    }
    assert_eq!(out.relations, s.relations);
}
