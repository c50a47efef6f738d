//! The model simulator with real components: peer-counter deployed with
//! three units, pod churn (stateful and stateless), leader failover,
//! failures and retries, and determinism.

mod common;

use charmbox::sim::model::Substrate;
use charmbox::sim::ops::DeployOptions;
use charmbox::sim::{ModelOptions, Simulator};
use common::*;

const PEER: &str = "examples/peer-counter";

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

fn counter(s: &Simulator) -> u64 {
    let m = s.model();
    let rel = m
        .relations
        .values()
        .find(|r| r.end_of("peer-counter").is_some())
        .unwrap();
    let bag = m.bag_data(
        rel.id,
        &charmbox::sim::model::BagOwner::App("peer-counter".into()),
    );
    let v: serde_json::Value = serde_json::from_str(&bag["unit_stats"]).unwrap();
    v["started_counter"].as_u64().unwrap()
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
fn deploy_three_units_first_start_order() {
    let mut s = sim(1);
    deploy3(&mut s, false);
    assert_eq!(
        s.unit_events("peer-counter/0").unwrap()[..6],
        [
            "install",
            "fastapi-peer-relation-created",
            "leader-elected",
            "config-changed",
            "start",
            // joined then changed for a peer, right after start
            "fastapi-peer-relation-joined"
        ]
    );
    let u1 = s.unit_events("peer-counter/1").unwrap();
    assert_eq!(
        u1[..5],
        [
            "install",
            "fastapi-peer-relation-created",
            "leader-settings-changed",
            "config-changed",
            "start"
        ]
    );
    // Every unit joined both others, each joined followed by its changed.
    for u in 0..3 {
        let ev = s.unit_events(&format!("peer-counter/{u}")).unwrap();
        assert_eq!(
            ev.iter().filter(|e| e.ends_with("-joined")).count(),
            2,
            "{ev:?}"
        );
    }
    assert_eq!(counter(&s), 1);
    let st = s.status();
    assert!(
        st.units
            .iter()
            .all(|u| u.workload == "active" && u.agent == "idle"),
        "{}",
        s.status_table()
    );
    println!("{}", s.status_table());
}

#[test]
fn churning_the_leader_pod_three_times_counts_three_starts() {
    let mut s = sim(2);
    deploy3(&mut s, false);
    assert_eq!(counter(&s), 1);
    for i in 0..3 {
        let unit = s.churn("peer-counter/0").unwrap();
        assert_eq!(unit, "peer-counter/0", "stateful: same identity");
        s.settle().unwrap();
        assert_eq!(counter(&s), 2 + i);
    }
    let ev = s.unit_events("peer-counter/0").unwrap();
    let tail: Vec<&str> = ev.iter().rev().take(4).rev().map(|s| s.as_str()).collect();
    assert_eq!(tail, ["stop", "upgrade-charm", "config-changed", "start"]);
    // A non-leader's churn adds leader-settings-changed and counts nothing.
    s.churn("peer-counter/2").unwrap();
    s.settle().unwrap();
    assert_eq!(counter(&s), 4);
    let ev = s.unit_events("peer-counter/2").unwrap();
    let tail: Vec<&str> = ev.iter().rev().take(5).rev().map(|s| s.as_str()).collect();
    assert_eq!(
        tail,
        [
            "stop",
            "upgrade-charm",
            "config-changed",
            "leader-settings-changed",
            "start"
        ]
    );
}

#[test]
fn leadership_moves_when_the_leader_is_removed() {
    let mut s = sim(3);
    deploy3(&mut s, false);
    assert_eq!(
        s.status().applications[0].leader.as_deref(),
        Some("peer-counter/0")
    );
    s.remove_unit("peer-counter/0").unwrap();
    s.settle().unwrap();
    let st = s.status();
    let leader = st.applications[0].leader.clone().unwrap();
    assert_ne!(leader, "peer-counter/0");
    assert!(st.units.iter().all(|u| u.unit != "peer-counter/0"));
    let ev = s.unit_events(&leader).unwrap();
    assert!(ev.contains(&"leader-elected".to_string()), "{ev:?}");
    // The removed unit's teardown: departed for both peers, stop, remove (no broken for peers).
    let gone = s.unit_events("peer-counter/0").unwrap();
    let tail: Vec<&str> = gone
        .iter()
        .rev()
        .take(4)
        .rev()
        .map(|s| s.as_str())
        .collect();
    assert_eq!(
        tail,
        [
            "fastapi-peer-relation-departed",
            "fastapi-peer-relation-departed",
            "stop",
            "remove"
        ]
    );
    let other = if leader == "peer-counter/1" {
        "peer-counter/2"
    } else {
        "peer-counter/1"
    };
    let ev = s.unit_events(other).unwrap();
    assert!(ev.contains(&"fastapi-peer-relation-departed".to_string()));
    assert_eq!(ev.last().unwrap(), "leader-settings-changed", "{ev:?}");
}

#[test]
fn stateless_churn_replaces_the_unit() {
    let mut s = sim(4);
    deploy3(&mut s, true);
    let new = s.churn("peer-counter/1").unwrap();
    assert_eq!(new, "peer-counter/3");
    s.settle().unwrap();
    let ev = s.unit_events("peer-counter/3").unwrap();
    assert_eq!(
        ev[..5],
        [
            "install",
            "fastapi-peer-relation-created",
            "leader-settings-changed",
            "config-changed",
            "start"
        ]
    );
    let old = s.unit_events("peer-counter/1").unwrap();
    assert!(
        old.ends_with(&["stop".to_string(), "remove".to_string()]),
        "{old:?}"
    );
    let st = s.status();
    let names: Vec<&str> = st.units.iter().map(|u| u.unit.as_str()).collect();
    assert_eq!(
        names,
        ["peer-counter/0", "peer-counter/2", "peer-counter/3"]
    );
}

#[test]
fn same_seed_same_sequence() {
    let run = |seed| {
        let mut s = sim(seed);
        deploy3(&mut s, false);
        s.churn("peer-counter/1").unwrap();
        s.scale("peer-counter", 5).unwrap();
        s.settle().unwrap();
        let ev: Vec<String> = s
            .events()
            .unwrap()
            .iter()
            .map(|e| format!("{} {} {}", e.unit, e.event, e.detail))
            .collect();
        (ev, s.fingerprint())
    };
    let a = run(7);
    let b = run(7);
    assert_eq!(a, b);
    let c = run(8);
    assert_ne!(a.0, c.0, "another seed interleaves differently");
}

#[test]
fn machine_model_orders_and_refresh() {
    let mut s = Simulator::in_memory(
        runtime(),
        ModelOptions {
            kind: Substrate::Machine,
            ..Default::default()
        },
    );
    s.set_paranoid(true);
    deploy3(&mut s, false);
    let before = s.unit_events("peer-counter/1").unwrap().len();
    s.refresh("peer-counter", None).unwrap();
    s.settle().unwrap();
    let ev = s.unit_events("peer-counter/1").unwrap();
    // The leader's start after the upgrade counts again: an app-level
    // relation-changed follows on the others.
    assert_eq!(
        ev[before..],
        [
            "upgrade-charm",
            "config-changed",
            "leader-settings-changed",
            "start",
            "fastapi-peer-relation-changed"
        ]
    );
    // Machines: no stop, no pebble-ready, no new pod.
    let ev0 = s.unit_events("peer-counter/0").unwrap();
    assert_eq!(ev0.iter().filter(|e| *e == "stop").count(), 0);
    assert!(s.churn("peer-counter/0").is_err());
}
