//! The model simulator with a Python charm: examples/peer-counter-py
//! deployed with three units, pod churn, leadership moving, and
//! determinism; the same scenario as the Rust peer-counter's
//! (tests/e2e/sim.rs), with the same counts.

use crate::common;

use charmbox::sim::ops::DeployOptions;
use charmbox::sim::{ModelOptions, Simulator};
use common::*;

const PEER: &str = "examples/peer-counter-py";
const APP: &str = "peer-counter-py";

fn sim(seed: u64) -> Simulator {
    let mut s = Simulator::in_memory(
        runtime(),
        ModelOptions {
            seed,
            ..Default::default()
        },
    );
    s.set_paranoid(true);
    s
}

fn stats(s: &Simulator) -> String {
    let m = s.model();
    let rel = m
        .relations
        .values()
        .find(|r| r.end_of(APP).is_some())
        .unwrap();
    let bag = m.bag_data(rel.id, &charmbox::sim::model::BagOwner::App(APP.into()));
    bag["unit_stats"].clone()
}

fn deploy3(s: &mut Simulator, stateless: bool) {
    s.deploy(
        &built(PEER),
        DeployOptions {
            units: Some(3),
            stateless,
            ..Default::default()
        },
    )
    .unwrap();
    s.settle().unwrap();
}

#[test]
fn deploy_three_units_and_churn_the_leader() {
    let mut s = sim(2);
    deploy3(&mut s, false);
    assert_eq!(
        s.unit_events(&format!("{APP}/0")).unwrap()[..5],
        [
            "install",
            "fastapi-peer-relation-created",
            "leader-elected",
            "config-changed",
            "start",
        ]
    );
    // Byte for byte what the Python tutorial (and the Rust charm) write.
    assert_eq!(stats(&s), r#"{"started_counter": 1}"#);
    let st = s.status();
    assert!(
        st.units
            .iter()
            .all(|u| u.workload == "active" && u.agent == "idle"),
        "{}",
        s.status_table()
    );
    for i in 0..3 {
        let unit = s.churn(&format!("{APP}/0")).unwrap();
        assert_eq!(unit, format!("{APP}/0"), "stateful: same identity");
        s.settle().unwrap();
        assert_eq!(stats(&s), format!(r#"{{"started_counter": {}}}"#, 2 + i));
    }
    // A non-leader's churn counts nothing.
    s.churn(&format!("{APP}/2")).unwrap();
    s.settle().unwrap();
    assert_eq!(stats(&s), r#"{"started_counter": 4}"#);
}

#[test]
fn leadership_moves_and_the_new_leader_counts() {
    let mut s = sim(3);
    deploy3(&mut s, true);
    s.remove_unit(&format!("{APP}/0")).unwrap();
    s.settle().unwrap();
    let leader = s.status().applications[0].leader.clone().unwrap();
    assert_ne!(leader, format!("{APP}/0"));
    s.churn(&leader).unwrap();
    s.settle().unwrap();
    assert_eq!(stats(&s), r#"{"started_counter": 2}"#);
}

#[test]
fn same_seed_same_sequence() {
    let run = |seed| {
        let mut s = sim(seed);
        deploy3(&mut s, false);
        s.churn(&format!("{APP}/1")).unwrap();
        s.scale(APP, 4).unwrap();
        s.settle().unwrap();
        let ev: Vec<String> = s
            .events()
            .unwrap()
            .iter()
            .map(|e| format!("{} {} {}", e.unit, e.event, e.detail))
            .collect();
        (ev, s.fingerprint())
    };
    assert_eq!(run(7), run(7));
}

/// Deploy tests/charms/misbehave-py counting its hooks in StoredState (on
/// the unit's disk), and settle.
fn deploy_counting(s: &mut Simulator, units: u32) {
    s.deploy(
        &built("tests/charms/misbehave-py"),
        DeployOptions {
            units: Some(units),
            config: [("mode".to_string(), serde_json::json!("count"))].into(),
            ..Default::default()
        },
    )
    .unwrap();
    s.settle().unwrap();
}

/// A Python unit's disk (ops' SQLite StoredState) lasts as long as its pod:
/// kept from one hook to the next, gone when the pod is recreated.
#[test]
fn stored_state_lives_as_long_as_the_pod() {
    use charmbox::sim::model::BagOwner;
    use charmbox::sim::names::UnitName;
    let mut s = sim(3);
    deploy_counting(&mut s, 1);
    let count = |s: &Simulator| {
        let m = s.model();
        let rel = m.relations.values().next().unwrap().id;
        let owner = BagOwner::Unit(UnitName::new("misbehave-py", 0));
        m.bag_data(rel, &owner)["count"].clone()
    };
    assert_eq!(count(&s), "1", "start counted once");
    s.advance(std::time::Duration::from_secs(6 * 60)).unwrap();
    s.settle().unwrap();
    let events = s.unit_events("misbehave-py/0").unwrap();
    assert_eq!(events.last().unwrap(), "update-status", "{events:?}");
    assert_eq!(count(&s), "2", "update-status found the pod's StoredState");
    s.churn("misbehave-py/0").unwrap();
    s.settle().unwrap();
    assert_eq!(count(&s), "1", "a new pod starts with an empty disk");
}

/// A removed unit's disk goes with it once its removal is committed; the
/// other units keep theirs (a file model keeps them in `<model>.units/`).
#[test]
fn a_removed_units_disk_goes_with_it() {
    let dir = Scratch::new("charmbox-e2e-disks", "model");
    let db = dir.join("model.db");
    let mut s = Simulator::create(runtime(), &db, ModelOptions::default()).unwrap();
    s.set_paranoid(true);
    deploy_counting(&mut s, 2);
    let disk = |n: u32| dir.join("model.db.units").join(format!("misbehave-py-{n}"));
    assert!(
        disk(0).exists() && disk(1).exists(),
        "each unit wrote its disk"
    );
    s.remove_unit("misbehave-py/1").unwrap();
    s.settle().unwrap();
    let events = s.unit_events("misbehave-py/1").unwrap();
    assert_eq!(events.last().unwrap(), "remove", "{events:?}");
    assert!(!disk(1).exists(), "the removed unit's disk is gone");
    assert!(disk(0).exists(), "the other unit keeps its disk");
    drop(s);
}
