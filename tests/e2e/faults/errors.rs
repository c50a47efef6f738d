//! Class 7, errors keep the host's reason: a host call the host refuses
//! traps the guest, and the failure says what the host refused (not only
//! "error while executing at wasm backtrace"), bounded in length, in
//! `charmbox run`'s report and in the simulator's status and log.

use std::collections::BTreeMap;

use charmbox::engine::{Failure, MAX_FAILURE_MESSAGE};
use charmbox::sim::history::LogFilter;
use charmbox::sim::ops::DeployOptions;
use charmbox::sim::{ModelOptions, Simulator};

use super::budget::{RUST, failure, flood};
use crate::common::*;

const REASON: &str = "random-bytes: 2097152 bytes asked, the host gives at most 1 MiB a call";

#[test]
fn a_refused_host_call_fails_with_the_hosts_reason() {
    let rt = runtime();
    let charm = charm(&rt, RUST);
    let input = flood("random-over", 0, 0);
    let (out, report) = run(&rt, &charm, input.clone(), "start");
    match failure(&report.outcome) {
        Failure::Trap(m) => {
            assert!(m.starts_with(REASON), "the reason comes first: {m}");
            assert!(m.len() <= MAX_FAILURE_MESSAGE, "bounded: {}", m.len());
            assert!(!m.contains('\n'), "one line: {m}");
        }
        other => panic!("expected a trap, got {other:?}"),
    }
    assert_eq!(out.relations, input.relations);
}

#[test]
fn the_simulator_shows_the_hosts_reason_in_status_and_log() {
    let mut s = Simulator::in_memory(runtime(), ModelOptions::default());
    let mut config = BTreeMap::new();
    config.insert("mode".to_string(), serde_json::json!("random-over"));
    s.deploy(
        &built(RUST),
        DeployOptions {
            config,
            ..Default::default()
        },
    )
    .unwrap();
    s.settle().unwrap();
    let st = s.status();
    let unit = st.units.iter().find(|u| u.unit == "misbehave/0").unwrap();
    assert_eq!(unit.workload, "error");
    assert!(unit.message.contains(REASON), "{}", unit.message);
    let errors = s
        .logs(&LogFilter {
            unit: Some("misbehave/0".into()),
            level: Some("ERROR".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(
        errors.iter().any(|e| e.message.contains(REASON)),
        "{errors:?}"
    );
}
