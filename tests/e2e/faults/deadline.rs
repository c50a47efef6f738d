//! Class 5, host work and wall time: the host's work on a guest's calls is
//! paid from the event's fuel, so a cheap call that makes the host work
//! hard ends the event out of fuel; and a wall-clock deadline stops what
//! fuel does not bound, as its own failure kind.

use std::time::{Duration, Instant};

use charmbox::engine::{Failure, Outcome};
use charmbox::limits::HostLimits;

use super::budget::{RUST, failure, flood, state_file, still_serves};
use crate::common::*;

#[test]
fn host_work_on_a_huge_status_is_paid_from_the_guests_fuel() {
    // Each status-get of a 16 MiB status costs the host about 16 MiB of
    // copying: about 16.8 million fuel. 300 million fuel pays for ~16 reads.
    let rt = runtime_with(300_000_000, 256 << 20);
    let charm = charm(&rt, RUST);
    let input = flood("status-get-loop", 1_000_000, 16);
    let t = Instant::now();
    let (out, report) = run(&rt, &charm, input.clone(), "start");
    println!(
        "status-get loop out of fuel: {:.2} s, fuel {} ({} for host work)",
        t.elapsed().as_secs_f64(),
        report.stats.fuel_used,
        report.stats.host_fuel
    );
    match failure(&report.outcome) {
        Failure::OutOfFuel(m) => {
            assert!(m.contains("300000000") && m.contains("host's work"), "{m}")
        }
        other => panic!("expected out of fuel, got {other:?}"),
    }
    assert!(report.stats.host_fuel > report.stats.fuel_used / 2);
    assert_eq!(out.relations, input.relations);
    still_serves(&rt, &charm);
}

#[test]
fn cheap_calls_cost_little_host_fuel() {
    // The control: 1000 small calls are charged their base cost only.
    let rt = runtime();
    let charm = charm(&rt, RUST);
    let (_, report) = run(&rt, &charm, flood("chatty", 1000, 0), "start");
    assert_eq!(report.outcome, Outcome::Ok);
    let per_call = report.stats.host_fuel / 1000;
    println!("chatty: {per_call} host fuel per call");
    assert!((1_000..2_000).contains(&per_call), "{per_call}");
}

#[test]
fn fuel_charged_for_host_work_is_deterministic() {
    let rt = runtime();
    let charm = charm(&rt, RUST);
    let input = flood("status-get-loop", 10, 1);
    let (a, ra) = run(&rt, &charm, input.clone(), "start");
    let (b, rb) = run(&rt, &charm, input, "start");
    assert_eq!(ra.outcome, Outcome::Ok);
    assert_eq!(
        (ra.stats.fuel_used, ra.stats.host_fuel),
        (rb.stats.fuel_used, rb.stats.host_fuel)
    );
    assert_eq!(a, b);
}

#[test]
fn an_endless_loop_with_unbounded_fuel_hits_the_deadline() {
    let limits = HostLimits {
        deadline: Duration::from_millis(300),
        ..HostLimits::default()
    };
    let rt = runtime_limited(u64::MAX / 2, 64 << 20, limits);
    let charm = charm(&rt, RUST);
    let input = flood("loop", 0, 0);
    let t = Instant::now();
    let (out, report) = run(&rt, &charm, input.clone(), "start");
    println!("deadline hit after {:.3} s", t.elapsed().as_secs_f64());
    match failure(&report.outcome) {
        Failure::DeadlineExceeded(m) => {
            assert!(
                m.starts_with("deadline exceeded") && m.contains("--deadline-s"),
                "{m}"
            )
        }
        other => panic!("expected the deadline, got {other:?}"),
    }
    assert!(report.outcome.describe().contains("deadline exceeded"));
    assert_eq!(
        (out.relations, out.unit_state),
        (input.relations, input.unit_state)
    );
    still_serves(&rt, &charm);
}

#[test]
fn the_deadline_flag_of_charmbox_run() {
    let input = state_file("deadline", &flood("loop", 0, 0));
    let dir = built(RUST);
    let (code, _out, err) = charmbox(&[
        "run",
        "--charm",
        dir.to_str().unwrap(),
        "--event",
        "start",
        "--state",
        input.to_str().unwrap(),
        "--fuel",
        "9000000000000000000",
        "--deadline-s",
        "0.3",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("start: hook failed: deadline exceeded"),
        "{err}"
    );
    let (code, _, err) = charmbox(&[
        "run",
        "--charm",
        dir.to_str().unwrap(),
        "--event",
        "start",
        "--deadline-s=-1",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--deadline-s"), "{err}");
    std::fs::remove_file(input).unwrap();
}
