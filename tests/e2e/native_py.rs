//! The differential check of docs/native.md: the same ops charms
//! (examples/peer-counter-py, examples/pause-py) run natively — unmodified
//! ops from PyPI under the host's python3, its hook tools through
//! `charmbox-jujuc`, its `ops.pebble.Client` on the container's unix
//! socket — and as components must leave the same States and make the same
//! calls; each run's trace replays against the other.

mod common;

use std::path::Path;

use charmbox::engine::{Outcome, Runtime};
use charmbox::event::EventSpec;
use charmbox::native::NativeCharm;
use charmbox::run::{Charm, Dispatcher, InRuntime, RunOptions, RunReport, run_on};
use charmbox::state::State;
use charmbox::trace::format::{CallRecord, HostCall};
use charmbox::trace::replay::{replay_against, replay_on};
use charmbox::trace::{Header, TraceWriter, read_trace};
use common::{charm, root, runtime, state};
use serde_json::json;

/// Run `events` in order from `s` with `d`, recording into `trace`.
fn run_all<D: Dispatcher>(
    d: &D,
    header: Header,
    mut s: State,
    events: &[&str],
    trace: &Path,
) -> (State, Vec<RunReport>) {
    let f = std::fs::File::create(trace).unwrap();
    let mut w = TraceWriter::new(Box::new(f), header).unwrap();
    let mut reports = Vec::new();
    for e in events {
        let opts = RunOptions::default().trace(Some(&mut w));
        let (out, report) = run_on(d, s, &EventSpec::named(e), opts).expect("the event runs");
        assert_eq!(report.outcome, Outcome::Ok, "{e}: {report:?}");
        reports.push(report);
        s = out;
    }
    w.close().unwrap();
    (s, reports)
}

/// The one difference by design (docs/native.md): ops keeps its state in
/// the charm directory natively and in the unit's state directory in a
/// component (whose charm directory is read-only), and logs the path.
fn same_state_path(text: &str) -> String {
    let mut out = text.replace("/var/lib/charmbox/state/.unit-state.db", "<ops state>");
    while let Some(i) = out.find("/var/lib/juju/agents/unit-") {
        let Some(j) = out[i..].find("/charm/.unit-state.db") else {
            break;
        };
        out.replace_range(i..i + j + "/charm/.unit-state.db".len(), "<ops state>");
    }
    out
}

/// The calls through the world's imports, as JSON with the state path aliased.
fn world_calls(calls: &[CallRecord]) -> Vec<String> {
    calls
        .iter()
        .filter(|c| !matches!(c.call, HostCall::Wasi { .. }))
        .map(|c| same_state_path(&serde_json::to_string(c).unwrap()))
        .collect()
}

/// A replay comparison that is the same, but for the aliased state path.
fn same_but_state_path(cmp: &charmbox::trace::replay::Comparison) -> bool {
    cmp.error.is_none()
        && cmp.outcome.is_none()
        && cmp.delta.is_none()
        && cmp
            .calls
            .as_ref()
            .is_none_or(|d| d.diff.contains(".unit-state.db"))
}

/// Run `events` natively and as a component; compare everything.
fn differential(dir: &str, s: State, events: &[&str]) -> State {
    let rt: Runtime = runtime();
    let component: Charm = charm(&rt, dir);
    let native = NativeCharm::open(&root().join(dir)).expect("the native charm opens");
    let tmp = std::env::temp_dir().join(format!(
        "charmbox-native-py-{}-{}",
        dir.replace('/', "-"),
        std::process::id()
    ));
    std::fs::create_dir_all(&tmp).unwrap();
    let (nt, ct) = (tmp.join("native.jsonl"), tmp.join("component.jsonl"));
    let (n_out, n_reports) = run_all(
        &native,
        Header::for_native(&native.meta.name, s.seed),
        s.clone(),
        events,
        &nt,
    );
    let c = InRuntime {
        rt: &rt,
        charm: &component,
    };
    let (c_out, c_reports) = run_all(
        &c,
        Header::for_charm(&component, &rt, None, s.seed),
        s,
        events,
        &ct,
    );
    assert_eq!(n_out.to_json(), c_out.to_json(), "the output States");
    for (n, c) in n_reports.iter().zip(&c_reports) {
        let logs = |r: &RunReport| -> Vec<String> {
            r.logs
                .iter()
                .map(|l| same_state_path(&format!("{:?} {}", l.level, l.message)))
                .collect()
        };
        assert_eq!(logs(n), logs(c));
    }
    let (ntrace, ctrace) = (read_trace(&nt).unwrap(), read_trace(&ct).unwrap());
    for (n, c) in ntrace.dispatches.iter().zip(&ctrace.dispatches) {
        assert_eq!(
            world_calls(&n.calls),
            world_calls(&c.calls),
            "the calls of {}",
            n.start.name
        );
        assert!(!world_calls(&n.calls).is_empty());
    }
    // Each trace replays against the other side.
    for cmp in replay_against(&rt, &component, &ntrace) {
        assert!(
            same_but_state_path(&cmp),
            "native trace against the component: {cmp:?}"
        );
    }
    for cmp in replay_on(&native, &ctrace) {
        assert!(
            same_but_state_path(&cmp),
            "component trace against the native charm: {cmp:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&tmp);
    n_out
}

#[test]
fn peer_counter_py_natively_and_as_a_component() {
    let s = state(json!({
        "leader": true,
        "relations": [{"id": 3, "endpoint": "fastapi-peer", "local_app_data": {}}]
    }));
    let out = differential(
        "examples/peer-counter-py",
        s,
        &["install", "start", "start"],
    );
    assert_eq!(
        out.relation(3).unwrap().local_app_data["unit_stats"],
        r#"{"started_counter": 2}"#
    );
}

#[test]
fn pause_py_drives_pebble_over_the_socket_as_through_the_import() {
    let s = state(json!({
        "containers": [{"name": "pause", "can_connect": true}],
        "config": {"timeout": 45}
    }));
    let out = differential(
        "examples/pause-py",
        s,
        &["pause-pebble-ready", "config-changed", "config-changed"],
    );
    let c = serde_json::to_value(&out.containers[0]).unwrap();
    assert_eq!(c["services"]["pause"]["current"], "active", "{c}");
    assert_eq!(out.unit_status.status, "active");
}
