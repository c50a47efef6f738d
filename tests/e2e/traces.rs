//! Traces of real components: byte-identical across processes, exact replay,
//! replay against a changed charm, and clear errors for broken traces.

use crate::common;

use std::path::{Path, PathBuf};

use common::*;
use proptest::prelude::*;

fn scratch(name: &str) -> Scratch {
    Scratch::new("charmbox-traces", name)
}

/// Record `events` on `charm` from `state` into `trace` in a new process.
fn record(charm: &Path, state: &str, events: &[&str], trace: &Path) -> i32 {
    let dir = trace.parent().unwrap();
    let input = dir.join("in.json");
    std::fs::write(&input, state).unwrap();
    let mut args = vec![
        "run",
        "--charm",
        charm.to_str().unwrap(),
        "--state",
        input.to_str().unwrap(),
    ];
    for e in events {
        args.extend(["--event", e]);
    }
    let out = dir.join("out.json");
    args.extend([
        "--out",
        out.to_str().unwrap(),
        "--trace",
        trace.to_str().unwrap(),
        "--fuel",
        "20000000",
    ]);
    let (code, _, err) = charmbox(&args);
    assert!(code == 0 || code == 1, "{err}");
    code
}

/// `charmbox replay TRACE --component CHARM`: exit code, stdout, stderr.
fn replay(trace: &Path, charm: &Path) -> (i32, String, String) {
    charmbox(&[
        "replay",
        trace.to_str().unwrap(),
        "--component",
        charm.to_str().unwrap(),
    ])
}

const PEER_STATE: &str = r#"{"leader": true, "relations": [{"id": 1, "endpoint": "fastapi-peer", "remote_units_data": {"1": {}}}]}"#;

#[test]
fn exact_replay_of_a_recorded_run_is_identical() {
    let charm = built("examples/peer-counter");
    let d = scratch("exact");
    let trace = d.join("t.jsonl");
    record(
        &charm,
        PEER_STATE,
        &[
            "start",
            "config-changed",
            "start",
            "fastapi-peer-relation-changed",
        ],
        &trace,
    );
    let (code, out, err) = replay(&trace, &charm);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("replayed 4 dispatches, 16 host calls: identical"),
        "{out}"
    );
}

#[test]
fn a_tampered_answer_makes_the_replay_diverge_at_that_call() {
    let charm = built("examples/peer-counter");
    let d = scratch("tamper");
    let trace = d.join("t.jsonl");
    record(&charm, PEER_STATE, &["start"], &trace);
    // The trace now says is-leader answered false: the charm takes the other
    // branch and stops asking where the recording went on.
    let text = std::fs::read_to_string(&trace).unwrap();
    let tampered = text.replacen(
        r#""tool":"is-leader"},"result":{"hook":{"Ok":{"bool":true}}}"#,
        r#""tool":"is-leader"},"result":{"hook":{"Ok":{"bool":false}}}"#,
        1,
    );
    assert_ne!(text, tampered);
    std::fs::write(&trace, tampered).unwrap();
    let (code, out, _) = replay(&trace, &charm);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("dispatch #1 (start) diverged: call #4 differs"),
        "{out}"
    );
    // Recorded: the leader reads the databag; replayed: the follower logs.
    assert!(out.contains(r#"-  "tool": "relation-get""#), "{out}");
    assert!(out.contains(r#"+  "tool": "juju-log""#), "{out}");
}

#[test]
fn broken_traces_are_refused_with_the_line_named() {
    let charm = built("examples/peer-counter");
    let d = scratch("broken");
    let trace = d.join("t.jsonl");
    record(&charm, PEER_STATE, &["start", "start"], &trace);
    let text = std::fs::read_to_string(&trace).unwrap();
    let lines: Vec<&str> = text.lines().collect();

    let truncated = d.join("truncated.jsonl");
    std::fs::write(&truncated, lines[..lines.len() - 1].join("\n")).unwrap();
    let (code, _, err) = replay(&truncated, &charm);
    assert_eq!(code, 2);
    let start_of_second = lines
        .iter()
        .rposition(|l| l.contains(r#""type":"dispatch""#))
        .unwrap()
        + 1;
    assert!(err.contains(&format!("truncated.jsonl:{start_of_second}: dispatch 2 has no outcome line: the trace is truncated")), "{err}");

    let corrupt = d.join("corrupt.jsonl");
    let mut c: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
    c[2] = c[2][..c[2].len() / 2].to_string();
    std::fs::write(&corrupt, c.join("\n")).unwrap();
    let (code, _, err) = replay(&corrupt, &charm);
    assert_eq!(code, 2);
    assert!(
        err.contains("corrupt.jsonl:3: malformed trace line"),
        "{err}"
    );

    // A later version, and version 1 (whose events carried the
    // environment inside `event`), are refused by number.
    let v = charmbox::trace::TRACE_VERSION;
    for other in [v + 1, 1] {
        let future = d.join(format!("v{other}.jsonl"));
        std::fs::write(
            &future,
            text.replacen(
                &format!(r#""version":{v}"#),
                &format!(r#""version":{other}"#),
                1,
            ),
        )
        .unwrap();
        let (code, _, err) = replay(&future, &charm);
        assert_eq!(code, 2);
        assert!(
            err.contains(&format!(
                "trace format version {other} is not supported: this charmbox reads version {v}"
            )),
            "{err}"
        );
    }

    let other = built("tests/charms/misbehave");
    let (code, _, err) = replay(&trace, &other);
    assert_eq!(code, 2);
    assert!(
        err.contains("is not the component the trace was recorded with"),
        "{err}"
    );
}

/// peer-counter with its increment changed to 2, built like any charm.
fn peer_counter_by_two() -> PathBuf {
    let src = root().join("examples/peer-counter");
    let dst = root().join("target/test-charms/peer-counter-by-two");
    std::fs::create_dir_all(dst.join("src")).unwrap();
    let lib = std::fs::read_to_string(src.join("src/lib.rs")).unwrap();
    let changed = lib.replace("counter + 1", "counter + 2");
    assert_ne!(lib, changed, "the example no longer has `counter + 1`");
    std::fs::write(dst.join("src/lib.rs"), changed).unwrap();
    let sdk = root().join("guest-sdk");
    let manifest = std::fs::read_to_string(src.join("Cargo.toml"))
        .unwrap()
        .replace("../../guest-sdk", sdk.to_str().unwrap());
    std::fs::write(dst.join("Cargo.toml"), manifest).unwrap();
    std::fs::copy(src.join("Cargo.lock"), dst.join("Cargo.lock")).unwrap();
    std::fs::copy(src.join("charmcraft.yaml"), dst.join("charmcraft.yaml")).unwrap();
    charmbox::build::build_charm(
        &dst,
        &charmbox::build::BuildOptions {
            release: true,
            quiet: true,
            ..Default::default()
        },
    )
    .unwrap();
    dst
}

#[test]
fn replay_against_a_changed_charm_reports_the_dispatch_that_changed() {
    let charm = built("examples/peer-counter");
    let d = scratch("changed");
    let trace = d.join("t.jsonl");
    record(
        &charm,
        PEER_STATE,
        &["config-changed", "update-status", "start", "update-status"],
        &trace,
    );
    let changed = peer_counter_by_two();
    let json = d.join("report.json");
    let (code, out, err) = charmbox(&[
        "replay",
        trace.to_str().unwrap(),
        "--charm",
        changed.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("1 of 4 dispatches behave differently"),
        "{out}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let differing: Vec<u64> = report
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["calls"].is_null() || !c["delta"].is_null())
        .map(|c| c["n"].as_u64().unwrap())
        .collect();
    assert_eq!(differing, vec![3], "{report:#}");
    let third = &report[2];
    assert_eq!(third["calls"]["seq"], 5);
    assert!(
        third["calls"]["diff"]
            .as_str()
            .unwrap()
            .contains(r#"started_counter\": 2"#),
        "{third:#}"
    );
    assert!(
        third["delta"]["diff"]
            .as_str()
            .unwrap()
            .contains("unit_stats"),
        "{third:#}"
    );
    // The unchanged charm replays the same trace with no difference.
    let (code, out, _) = charmbox(&[
        "replay",
        trace.to_str().unwrap(),
        "--charm",
        charm.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("0 of 4 dispatches behave differently"),
        "{out}"
    );
}

fn cases() -> u32 {
    std::env::var("CHARMBOX_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

const EVENTS: &[&str] = &[
    "start",
    "config-changed",
    "update-status",
    "leader-elected",
    "upgrade-charm",
    "stop",
];
const MODES: &[&str] = &[
    "ok",
    "write-app-as-anyone",
    "fail-after-write",
    "panic",
    "loop",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    /// Random runs over both test charms, each done twice in two processes:
    /// the traces are byte-identical.
    #[test]
    fn traces_are_byte_identical_across_processes(
        misbehave in any::<bool>(),
        leader in any::<bool>(),
        mode in 0..MODES.len(),
        seed in any::<u64>(),
        events in prop::collection::vec(0..EVENTS.len(), 1..6),
    ) {
        let (charm, state) = if misbehave {
            (built("tests/charms/misbehave"), format!(
                r#"{{"leader": {leader}, "seed": {seed}, "config": {{"mode": "{}"}}, "relations": [{{"id": 4, "endpoint": "peers"}}]}}"#,
                MODES[mode]))
        } else {
            (built("examples/peer-counter"), format!(
                r#"{{"leader": {leader}, "seed": {seed}, "relations": [{{"id": 1, "endpoint": "fastapi-peer", "local_app_data": {{"unit_stats": "{{\"started_counter\": {mode}}}"}}}}]}}"#))
        };
        let names: Vec<&str> = events.iter().map(|&i| EVENTS[i]).collect();
        let d = scratch("prop");
        let (a, b) = (d.join("a.jsonl"), d.join("b.jsonl"));
        let ca = record(&charm, &state, &names, &a);
        let cb = record(&charm, &state, &names, &b);
        prop_assert_eq!(ca, cb);
        let ta = std::fs::read(&a).unwrap();
        let tb = std::fs::read(&b).unwrap();
        prop_assert!(ta == tb, "traces differ for {:?} on {}", names, state);
    }
}

/// A Rust charm's `sandbox::sleep` moves virtual time at once (no real
/// wait), bounded at 100 years for an event, and its trace replays exactly.
#[test]
fn a_rust_charm_sleeps_in_virtual_time_and_replays() {
    let charm = built("tests/charms/misbehave");
    let d = scratch("sleep");
    let trace = d.join("t.jsonl");
    let status = |calls: u64| {
        let state = format!(r#"{{"config": {{"mode": "sleep", "calls": {calls}}}}}"#);
        assert_eq!(record(&charm, &state, &["start"], &trace), 0);
        let out = std::fs::read_to_string(d.join("out.json")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["unit_status"]["message"].as_str().unwrap().to_string()
    };
    // Two seconds and the one microsecond the second read of `now` takes.
    assert_eq!(status(2), "now moved 2000001000 ns");
    let (code, out, err) = replay(&trace, &charm);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(": identical"), "{out}");
    let century = 100 * 365 * 24 * 3600 * 1_000_000_000u64;
    assert_eq!(status(0), format!("now moved {} ns", century + 1_000));
}

/// A Rust charm's HTTP to its workload on loopback gets the State's
/// answers (404 for an unserved path, a closed port refused), and the
/// trace replays exactly.
#[test]
fn a_rust_charm_reaches_its_workload_on_loopback_and_replays() {
    let charm = built("tests/charms/misbehave");
    let d = scratch("loopback");
    let trace = d.join("t.jsonl");
    let state = r#"{"config": {"mode": "workload-http"}, "loopback_http": [
        {"port": 8000, "path": "/version", "body": "1.2.3\n",
         "headers": {"Content-Type": "text/plain"}}]}"#;
    assert_eq!(record(&charm, state, &["start"], &trace), 0);
    let out = std::fs::read_to_string(d.join("out.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["workload_version"], "1.2.3");
    assert_eq!(
        v["unit_status"]["message"],
        "200 Some(\"text/plain\") Ok(404); nothing listens on loopback port 9999 \
         (the State's loopback_http has no answer on it)"
    );
    let (code, out, err) = replay(&trace, &charm);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(": identical"), "{out}");
}

/// `event.defer()` in a Rust charm keeps the event in the unit's state and
/// hands it back at the start of later dispatches, before their own event,
/// until a handler no longer defers it (ops' semantics).
#[test]
fn a_deferred_rust_event_comes_back_before_later_events_until_handled() {
    let rt = runtime();
    let charm = charm(&rt, "tests/charms/misbehave");
    let with_calls = |mut s: charmbox::state::State, calls: i64| {
        s.config.insert("calls".into(), serde_json::json!(calls));
        s
    };
    let start = state(serde_json::json!({"config": {"mode": "defer", "calls": 0}}));
    let (s1, r1) = run(&rt, &charm, start, "start");
    assert_eq!(r1.outcome, charmbox::engine::Outcome::Ok, "{:?}", r1.logs);
    assert_eq!(s1.unit_status.message, "start deferred (1 tries)");
    assert!(s1.unit_state.contains_key("charmbox-sdk.deferred"));
    // Still not allowed: deferred again, once in the queue.
    let (s2, _) = run(&rt, &charm, with_calls(s1, 1), "update-status");
    assert_eq!(s2.unit_status.message, "start deferred (2 tries)");
    let queue: serde_json::Value =
        serde_json::from_str(&s2.unit_state["charmbox-sdk.deferred"]).unwrap();
    assert_eq!(queue.as_array().unwrap().len(), 1, "{queue}");
    assert_eq!(s2.unit_state["tries seen by update-status"], "2");
    // Allowed: the deferred start runs before update-status and is done.
    let (s3, r3) = run(&rt, &charm, with_calls(s2, 3), "update-status");
    assert_eq!(s3.unit_status.message, "started after 3 tries");
    assert_eq!(s3.unit_state["tries seen by update-status"], "3");
    assert!(!s3.unit_state.contains_key("charmbox-sdk.deferred"));
    let logs = format!("{:?}", r3.logs);
    assert!(logs.contains("Re-emitting deferred event start"), "{logs}");
}

/// A State whose deferred queue is not what the SDK wrote fails the hook
/// with an error naming the key, and the queue is left as it was.
#[test]
fn a_malformed_deferred_queue_fails_the_hook_naming_its_key() {
    let rt = runtime();
    let charm = charm(&rt, "tests/charms/misbehave");
    for bad in ["not json", "{\"kind\": \"start\"}", "[{\"kind\": 7}]"] {
        let mut start = state(serde_json::json!({"config": {"mode": "defer", "calls": 0}}));
        start
            .unit_state
            .insert("charmbox-sdk.deferred".into(), bad.into());
        let (after, report) = run(&rt, &charm, start, "update-status");
        assert_ne!(report.outcome, charmbox::engine::Outcome::Ok, "{bad}");
        let why = format!("{:?}", report.outcome);
        assert!(why.contains("charmbox-sdk.deferred"), "{bad}: {why}");
        assert_eq!(after.unit_state["charmbox-sdk.deferred"], bad);
    }
}

/// The upgrade protocol's Kubernetes path: `pre-upgrade-check` patches the
/// StatefulSet's partition (declared, trusted), the output State holds it,
/// and the trace replays the `kubernetes` calls exactly. Untrusted, the
/// action fails saying why.
#[test]
fn a_statefulset_partition_patch_is_recorded_and_replayed() {
    let charm = built("examples/kvdb-k8s").join("kvdb-k8s.wasm");
    let d = scratch("k8s-partition");
    let state = |trusted: bool| {
        serde_json::json!({
            "unit": "kvdb-k8s/0", "leader": true, "trusted": trusted,
            "model": {"type": "kubernetes"},
            "relations": [{
                "id": 1, "endpoint": "upgrade",
                "local_unit_data": {"workload": "running", "state": "idle"},
                "remote_units_data": {"1": {"workload": "running", "state": "idle"},
                                      "2": {"workload": "running", "state": "idle"}}
            }]
        })
        .to_string()
    };
    let run = |trusted: bool| {
        let input = d.join("in.json");
        std::fs::write(&input, state(trusted)).unwrap();
        let trace = d.join("t.jsonl");
        let _ = std::fs::remove_file(&trace);
        let out = d.join("out.json");
        let (code, stdout, err) = charmbox(&[
            "run",
            "--charm",
            charm.to_str().unwrap(),
            "--state",
            input.to_str().unwrap(),
            "--action",
            "pre-upgrade-check",
            "--out",
            out.to_str().unwrap(),
            "--trace",
            trace.to_str().unwrap(),
        ]);
        (code, format!("{stdout}{err}"), out, trace)
    };
    let (code, said, _, _) = run(false);
    assert_ne!(code, 0, "{said}");
    assert!(said.contains("the application is not trusted"), "{said}");
    let (code, said, out, trace) = run(true);
    assert_eq!(code, 0, "{said}");
    let out: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    assert_eq!(out["statefulset_partition"], 2, "{out}");
    let text = std::fs::read_to_string(&trace).unwrap();
    assert!(text.contains("set-statefulset-partition"), "{text}");
    let (code, said, err) = replay(&trace, &charm);
    assert_eq!(code, 0, "{said}{err}");
    assert!(said.contains(": identical"), "{said}");
}
