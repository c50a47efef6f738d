//! Failed hooks in the real host, with tests/charms/misbehave: Juju's error
//! text for a non-leader's app-databag write, rollback of buffered effects
//! with the immediate status kept, and panics, endless loops and unbounded
//! memory ending as failed events within the configured bounds.

use crate::common;

use charmbox::engine::{Failure, Outcome};
use common::*;
use serde_json::json;

const CHARM: &str = "tests/charms/misbehave";

fn with_mode(mode: &str, leader: bool) -> charmbox::state::State {
    state(json!({
        "leader": leader,
        "config": {"mode": mode},
        "unit_status": {"status": "maintenance", "message": "before"},
        "unit_state": {"kept": "1"},
        "relations": [{
            "id": 7, "endpoint": "peers",
            "local_app_data": {"a": "1"},
            "local_unit_data": {"u": "1"},
            "remote_units_data": {"1": {"r": "1"}}
        }]
    }))
}

fn failure(o: &Outcome) -> &Failure {
    match o {
        Outcome::Failed { failure } => failure,
        Outcome::Ok => panic!("expected a failed hook"),
    }
}

#[test]
fn non_leader_app_databag_write_gets_jujus_error() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let input = with_mode("write-app-as-anyone", false);
    let (out, report) = run(&rt, &charm, input.clone(), "start");
    assert_eq!(
        failure(&report.outcome),
        &Failure::CharmError("cannot write relation settings".into())
    );
    assert_eq!(out.relations, input.relations);
}

#[test]
fn leader_app_databag_write_commits() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let (out, report) = run(&rt, &charm, with_mode("write-app-as-anyone", true), "start");
    assert_eq!(report.outcome, Outcome::Ok);
    let bag = &out.relation(7).unwrap().local_app_data;
    assert_eq!(bag.get("written").map(String::as_str), Some("yes"));
    assert_eq!(bag.get("a").map(String::as_str), Some("1"));
}

#[test]
fn failed_hook_drops_buffered_changes_but_keeps_status() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let input = with_mode("fail-after-write", true);
    let (out, report) = run(&rt, &charm, input.clone(), "start");
    assert_eq!(
        failure(&report.outcome),
        &Failure::CharmError("deliberate failure".into())
    );
    // Relation data and unit state were buffered: untouched.
    assert_eq!(out.relations, input.relations);
    assert_eq!(out.unit_state, input.unit_state);
    // status-set is immediate: it survives the failed hook.
    assert_eq!(out.unit_status.status, "blocked");
    assert_eq!(out.unit_status.message, "about to fail");
}

#[test]
fn same_writes_commit_when_the_hook_succeeds() {
    // The control for the test above: `ok` mode after writing shows that the
    // rollback, not a write that never happened, explains the untouched State.
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let (out, report) = run(&rt, &charm, with_mode("ok", true), "start");
    assert_eq!(report.outcome, Outcome::Ok);
    assert_eq!(out.unit_status.status, "active");
}

#[test]
fn panic_message_reaches_the_failed_hook() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let input = with_mode("panic", true);
    let (out, report) = run(&rt, &charm, input.clone(), "start");
    match failure(&report.outcome) {
        Failure::Panic(m) => assert!(m.contains("deliberate panic"), "{m}"),
        other => panic!("expected a panic, got {other:?}"),
    }
    assert_eq!(out.relations, input.relations);
}

#[test]
fn endless_loop_runs_out_of_fuel_and_the_host_goes_on() {
    let rt = runtime_with(50_000_000, 64 << 20);
    let charm = charm(&rt, CHARM);
    let (_, report) = run(&rt, &charm, with_mode("loop", true), "start");
    match failure(&report.outcome) {
        Failure::OutOfFuel(m) => assert!(m.contains("50000000"), "{m}"),
        other => panic!("expected out of fuel, got {other:?}"),
    }
    assert!(report.stats.fuel_used >= 50_000_000);
    // The same runtime and component serve the next event.
    let (_, report) = run(&rt, &charm, with_mode("ok", true), "start");
    assert_eq!(report.outcome, Outcome::Ok);
}

#[test]
fn unbounded_growth_hits_the_memory_limit_and_the_host_goes_on() {
    let limit = 32 << 20;
    let rt = runtime_with(2_000_000_000, limit);
    let charm = charm(&rt, CHARM);
    let (_, report) = run(&rt, &charm, with_mode("grow", true), "start");
    match failure(&report.outcome) {
        Failure::OutOfMemory(m) => assert!(m.contains(&format!("limit is {limit} bytes")), "{m}"),
        other => panic!("expected out of memory, got {other:?}"),
    }
    let (_, report) = run(&rt, &charm, with_mode("ok", true), "start");
    assert_eq!(report.outcome, Outcome::Ok);
}

/// `juju-reboot` in one event (Juju's `HookContext.handleReboot`): the run
/// report carries the request; without `--now` the hook commits, with it
/// the guest stops at the call (a trap naming it), the buffered writes are
/// lost and the status set before stays.
#[test]
fn juju_reboot_is_reported_and_now_stops_the_hook() {
    use charmbox::backend::unit::{REBOOT_NOW, Reboot};
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let input = state(json!({"config": {"mode": "reboot"}, "model": {"type": "lxd"}}));
    let (out, report) = run(&rt, &charm, input, "start");
    assert_eq!(
        (report.outcome.clone(), report.reboot),
        (Outcome::Ok, Some(Reboot::AfterHook))
    );
    assert_eq!(
        out.unit_state.get("reboot-asked").map(String::as_str),
        Some("true")
    );

    let input = state(json!({"config": {"mode": "reboot-now"}, "model": {"type": "lxd"}}));
    let (out, report) = run(&rt, &charm, input, "start");
    assert_eq!(report.reboot, Some(Reboot::Now));
    match failure(&report.outcome) {
        Failure::Trap(m) => assert!(m.contains(REBOOT_NOW), "{m}"),
        other => panic!("expected a trap, got {other:?}"),
    }
    assert!(!out.unit_state.contains_key("lost"), "{:?}", out.unit_state);
    assert_eq!(out.unit_status.message, "rebooting now");
}
