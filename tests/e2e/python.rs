//! Python charms (ops) in the real host, with tests/charms/misbehave-py:
//! tracebacks and rollback, the unit's disk (StoredState in SQLite, stale
//! locks after a trap), Juju-backed storage, secrets through files, the
//! sandbox's entropy, bounds, traces and replay; and builds that must fail
//! with a clear message (native code).

use crate::common;

use std::path::{Path, PathBuf};

use charmbox::build::{BuildError, BuildOptions, build_charm};
use charmbox::engine::{Failure, Outcome};
use charmbox::event::EventSpec;
use charmbox::run::{Charm, RunOptions, RunReport, run_event_with};
use charmbox::state::State;
use common::*;
use serde_json::json;

const CHARM: &str = "tests/charms/misbehave-py";

fn with_mode(mode: &str) -> State {
    state(json!({
        "leader": true,
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

fn unit_bag(s: &State) -> &std::collections::BTreeMap<String, String> {
    &s.relation(7).unwrap().local_unit_data
}

fn failure(o: &Outcome) -> &Failure {
    match o {
        Outcome::Failed { failure } => failure,
        Outcome::Ok => panic!("expected a failed hook"),
    }
}

/// Run `start` with the unit's disk in `unit_dir`.
fn start_in(
    rt: &charmbox::engine::Runtime,
    charm: &Charm,
    s: State,
    unit_dir: &Path,
) -> (State, RunReport) {
    run_event_with(
        rt,
        charm,
        s,
        &EventSpec::named("start"),
        RunOptions::default().unit_dir(Some(unit_dir)),
    )
    .expect("event runs")
}

fn scratch(name: &str) -> PathBuf {
    fresh_target_tmp(&format!("python-{name}"))
}

#[test]
fn a_raising_charm_fails_with_its_traceback_and_commits_nothing_buffered() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let input = with_mode("fail-after-write");
    let (out, report) = run(&rt, &charm, input.clone(), "start");
    let Failure::CharmError(tb) = failure(&report.outcome) else {
        panic!("expected a charm error, got {:?}", report.outcome);
    };
    assert!(
        tb.starts_with("Traceback (most recent call last):\n"),
        "{tb}"
    );
    // The charm's frames carry Juju's paths and their source lines.
    assert!(
        tb.contains("  File \"/var/lib/juju/agents/unit-misbehave-py-0/charm/src/charm.py\""),
        "{tb}"
    );
    assert!(
        tb.contains("    raise RuntimeError('deliberate failure')\n"),
        "{tb}"
    );
    assert!(tb.ends_with("RuntimeError: deliberate failure"), "{tb}");
    // ops' excepthook logged it, as under Juju.
    assert!(
        report.logs.iter().any(|l| l
            .message
            .starts_with("Uncaught exception while in charm code:")),
        "{:?}",
        report.logs
    );
    // Relation data was buffered: untouched. status-set is immediate: kept.
    assert_eq!(out.relations, input.relations);
    assert_eq!(out.unit_state, input.unit_state);
    assert_eq!(out.unit_status.status, "blocked");
    assert_eq!(out.unit_status.message, "about to fail");
}

#[test]
fn a_non_leaders_app_databag_write_gets_jujus_error_in_the_traceback() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let mut input = with_mode("write-app-as-anyone");
    input.leader = false;
    let (out, report) = run(&rt, &charm, input.clone(), "start");
    let Failure::CharmError(tb) = failure(&report.outcome) else {
        panic!("expected a charm error, got {:?}", report.outcome);
    };
    assert!(tb.contains("RelationDataAccessError"), "{tb}");
    assert_eq!(out.relations, input.relations);
}

#[test]
fn sys_exit_with_a_status_fails_the_hook() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let (_, report) = run(&rt, &charm, with_mode("exit"), "start");
    assert_eq!(
        failure(&report.outcome),
        &Failure::CharmError("the charm exited with status 3".into())
    );
}

#[test]
fn stored_state_lives_on_the_units_disk() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let disk = scratch("stored");
    let (out, report) = start_in(&rt, &charm, with_mode("count"), &disk);
    assert_eq!(report.outcome, Outcome::Ok, "{:?}", report.logs);
    assert_eq!(unit_bag(&out)["count"], "1");
    let (out, _) = start_in(&rt, &charm, with_mode("count"), &disk);
    assert_eq!(unit_bag(&out)["count"], "2");
    assert!(disk.join("var/lib/charmbox/state/.unit-state.db").is_file());
    // Without a unit directory, each event has a fresh disk: a new pod.
    let (out, _) = run(&rt, &charm, with_mode("count"), "start");
    assert_eq!(unit_bag(&out)["count"], "1");
    std::fs::remove_dir_all(&disk).unwrap();
}

#[test]
fn a_trapped_event_leaves_a_lock_the_next_event_does_not_wait_on() {
    let rt = runtime_with(60_000_000, 256 << 20);
    let charm = charm(&rt, CHARM);
    let disk = scratch("lock");
    let (_, report) = start_in(&rt, &charm, with_mode("count"), &disk);
    assert_eq!(report.outcome, Outcome::Ok);
    let (_, report) = start_in(&rt, &charm, with_mode("loop"), &disk);
    assert!(
        matches!(failure(&report.outcome), Failure::OutOfFuel(_)),
        "{:?}",
        report.outcome
    );
    // ops held the database (SQLite's lock directory) when the guest trapped.
    assert!(
        disk.join("var/lib/charmbox/state/.unit-state.db.lock")
            .is_dir()
    );
    let (out, report) = start_in(&rt, &charm, with_mode("count"), &disk);
    assert_eq!(report.outcome, Outcome::Ok, "{:?}", report.logs);
    assert_eq!(
        unit_bag(&out)["count"],
        "2",
        "the trapped event committed nothing"
    );
    std::fs::remove_dir_all(&disk).unwrap();
}

#[test]
fn unbounded_growth_hits_the_memory_limit_and_the_host_goes_on() {
    let limit = 96 << 20;
    let rt = runtime_with(2_000_000_000, limit);
    let charm = charm(&rt, CHARM);
    let (_, report) = run(&rt, &charm, with_mode("grow"), "start");
    match failure(&report.outcome) {
        Failure::OutOfMemory(m) => assert!(m.contains(&format!("limit is {limit} bytes")), "{m}"),
        other => panic!("expected out of memory, got {other:?}"),
    }
    let (_, report) = run(&rt, &charm, with_mode("ok"), "start");
    assert_eq!(report.outcome, Outcome::Ok);
}

#[test]
fn juju_backed_storage_keeps_stored_state_in_unit_state() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let mut s = with_mode("count");
    s.model.name = "juju-storage".into();
    let (out, report) = run(&rt, &charm, s, "start");
    assert_eq!(report.outcome, Outcome::Ok, "{:?}", report.logs);
    assert_eq!(unit_bag(&out)["count"], "1");
    let key = out
        .unit_state
        .keys()
        .find(|k| k.contains("_stored"))
        .unwrap_or_else(|| panic!("no StoredState in {:?}", out.unit_state))
        .clone();
    assert!(
        out.unit_state[&key].contains("count: 1"),
        "{}",
        out.unit_state[&key]
    );
    // The State carries it to the next event, whatever the unit's disk.
    let (out, _) = run(&rt, &charm, out, "start");
    assert_eq!(unit_bag(&out)["count"], "2");
}

#[test]
fn secret_content_goes_through_files_in_the_guests_tmp() {
    // ops passes secret content as `key#file=/tmp/...`: the host reads the
    // guest's file.
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let (out, report) = run(&rt, &charm, with_mode("secret"), "start");
    assert_eq!(report.outcome, Outcome::Ok, "{:?}", report.logs);
    let secret = &out.secrets[0];
    assert_eq!(unit_bag(&out)["secret"], secret.id);
    assert_eq!(secret.label.as_deref(), Some("pw"));
    assert_eq!(
        secret.revisions[0]
            .content
            .get("password")
            .map(String::as_str),
        Some("s3cret")
    );
}

#[test]
fn randomness_and_time_are_the_states() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let entropy = |seed: u64| {
        let mut s = with_mode("entropy");
        s.seed = seed;
        let (out, report) = run(&rt, &charm, s, "start");
        assert_eq!(report.outcome, Outcome::Ok, "{:?}", report.logs);
        unit_bag(&out).clone()
    };
    let (a, b, c) = (entropy(1), entropy(1), entropy(2));
    assert_eq!(a, b);
    assert_ne!(a["random"], c["random"]);
    assert_ne!(a["uuid"], c["uuid"]);
    // The virtual clock: 2026-01-01T00:00:00Z plus a microsecond a read.
    let t: f64 = a["time"].parse().unwrap();
    assert!((1_767_225_600.0..1_767_225_601.0).contains(&t), "{t}");
}

#[test]
fn a_standard_module_imported_lazily_is_in_the_snapshot() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let (out, report) = run(&rt, &charm, with_mode("lazy-import"), "start");
    assert_eq!(report.outcome, Outcome::Ok, "{:?}", report.logs);
    assert_eq!(unit_bag(&out)["decimal"], "3.30");
}

#[test]
fn cli_runs_traces_and_replays_a_python_charm() {
    let dir = scratch("cli");
    let charm = built(CHARM);
    let p = |name: &str| dir.join(name).to_str().unwrap().to_string();
    std::fs::write(p("in.json"), with_mode("count").to_json()).unwrap();
    let run = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "run",
            "--charm",
            charm.to_str().unwrap(),
            "--event",
            "start",
            "--state",
        ];
        let input = p("in.json");
        let output = p(out);
        args.extend([input.as_str(), "--out", output.as_str()]);
        args.extend(extra);
        charmbox(&args)
    };
    // Runs with --unit-dir share the unit's disk.
    let unit = p("unit");
    let (code, _, err) = run("out1.json", &["--unit-dir", &unit]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run("out2.json", &["--unit-dir", &unit]);
    assert_eq!(code, 0, "{err}");
    let out = State::load(Path::new(&p("out2.json"))).unwrap();
    assert_eq!(unit_bag(&out)["count"], "2");

    // Without it, every event starts on an empty disk (as a replay does).
    let (code, _, err) = run("out3.json", &["--event", "start"]);
    assert_eq!(code, 0, "{err}");
    let out = State::load(Path::new(&p("out3.json"))).unwrap();
    assert_eq!(unit_bag(&out)["count"], "1");

    // Record two events reading the sandbox's randomness and clock (WASI),
    // replay them.
    std::fs::write(p("in.json"), with_mode("entropy").to_json()).unwrap();
    let trace = p("trace.jsonl");
    let (code, _, err) = run("out4.json", &["--trace", &trace, "--event", "start"]);
    assert_eq!(code, 0, "{err}");
    let out = State::load(Path::new(&p("out4.json"))).unwrap();
    assert!(unit_bag(&out).contains_key("uuid"), "{out:?}");
    // The second event drew new numbers: the seed moves on after each
    // event, and a run from the `--out` file continues the same sequence.
    let (code, _, err) = run("out5.json", &[]);
    assert_eq!(code, 0, "{err}");
    let first = State::load(Path::new(&p("out5.json"))).unwrap();
    assert_ne!(unit_bag(&first)["uuid"], unit_bag(&out)["uuid"]);
    let (out5, out6) = (p("out5.json"), p("out6.json"));
    let charm_dir = charm.to_str().unwrap();
    let chained = ["run", "--charm", charm_dir, "--event", "start"];
    let (code, _, err) = charmbox(&[&chained[..], &["--state", &out5, "--out", &out6]].concat());
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(&out6).unwrap(),
        std::fs::read_to_string(p("out4.json")).unwrap()
    );
    let (code, stdout, err) = charmbox(&["replay", &trace, "--component", charm.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}{err}");
    assert!(
        stdout.contains("replayed 2 dispatches") && stdout.contains("identical"),
        "{stdout}"
    );
    let (code, stdout, err) = charmbox(&["replay", &trace, "--charm", charm.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}{err}");
    assert!(
        stdout.contains("0 of 2 dispatches behave differently"),
        "{stdout}"
    );

    // componentize-py reseeds `random` from WASI as each event starts: one
    // run of a few thousand draws, one line (not one per 4-byte draw).
    let text = std::fs::read_to_string(&trace).unwrap();
    let random_lines = text.lines().filter(|l| l.contains(r#""op":{"random""#));
    assert!((2..=4).contains(&random_lines.clone().count()), "{text}");
    assert!(random_lines.clone().any(|l| l.len() > 8000), "{text}");
    // A trace written before runs were folded (a line per draw) reads as
    // the same calls and replays the same.
    let split = p("split.jsonl");
    std::fs::write(&split, split_random_runs(&text)).unwrap();
    assert!(std::fs::read_to_string(&split).unwrap().lines().count() > 4000);
    let (folded, unfolded) = (
        charmbox::trace::read_trace(Path::new(&trace)).unwrap(),
        charmbox::trace::read_trace(Path::new(&split)).unwrap(),
    );
    for (f, u) in folded.dispatches.iter().zip(&unfolded.dispatches) {
        assert_eq!(f.calls, u.calls);
    }
    let (code, stdout, err) = charmbox(&["replay", &split, "--charm", charm.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}{err}");
    assert!(
        stdout.contains("0 of 2 dispatches behave differently"),
        "{stdout}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `text` as the recorder wrote it before it folded runs of random draws:
/// each WASI random line split into 4-byte draws, the calls renumbered.
fn split_random_runs(text: &str) -> String {
    let mut out = String::new();
    let mut seq = 0;
    for line in text.lines() {
        let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["type"] != "call" {
            seq = 0;
            out += &format!("{line}\n");
            continue;
        }
        let op = v["call"]["op"]
            .as_object()
            .and_then(|o| o.keys().next().cloned());
        let pieces: Vec<serde_json::Value> = match op.as_deref() {
            Some("random" | "insecure-random") => v["result"]["bytes"]
                .as_array()
                .unwrap()
                .chunks(4)
                .map(serde_json::Value::from)
                .collect(),
            _ => vec![v["result"]["bytes"].clone()],
        };
        for piece in pieces {
            seq += 1;
            v["seq"] = seq.into();
            if let Some(op) = op.as_deref().filter(|o| o.contains("random")) {
                v["call"]["op"][op] = piece.as_array().unwrap().len().into();
                v["result"]["bytes"] = piece;
            }
            out += &format!("{v}\n");
        }
    }
    out
}

/// A throwaway Python charm inside the workspace (so it shares the cached
/// componentize-py and requirements under target/python).
fn temp_charm(name: &str, charm_py: &str, requirements: &str) -> PathBuf {
    let dir = root().join("target").join("py-e2e").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("charmcraft.yaml"),
        format!("name: {name}\ntype: charm\nsummary: s\ndescription: d\n"),
    )
    .unwrap();
    std::fs::write(dir.join("src/charm.py"), charm_py).unwrap();
    std::fs::write(dir.join("requirements.txt"), requirements).unwrap();
    dir
}

const QUIET: BuildOptions = BuildOptions {
    release: true,
    quiet: true,
    progress: None,
};

/// Native code charmbox does not build for WASI (here ujson's C extension)
/// fails the build naming the distribution and its native file.
#[test]
fn a_requirement_with_native_code_fails_the_build_naming_it() {
    let dir = temp_charm(
        "native-requirement",
        "import ops\nimport ujson\n\nclass C(ops.CharmBase):\n    pass\n\nif __name__ == '__main__':\n    ops.main(C)\n",
        "ops==3.9.0\nujson==6.1.0\n",
    );
    let err = build_charm(&dir, &QUIET).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(&err, BuildError::PythonRequirement { package, .. } if package == "ujson"),
        "{text}"
    );
    assert!(text.contains("native code (ujson.cpython-314"), "{text}");
    assert!(!dir.join("native-requirement.wasm").exists());
}

/// A pinned requirement with no wheel for CPython 3.14 (PyYAML 6.0.2 ships
/// only an sdist for it) is built from its source distribution on the host,
/// offered to pip as a pure wheel (its host-built `_yaml` accelerator
/// dropped), and the charm runs with it.
#[test]
fn a_requirement_published_only_as_source_is_built_from_it() {
    temp_charm(
        "sdist-only",
        "import ops\nimport yaml\n\nclass C(ops.CharmBase):\n    def __init__(self, f):\n        \
         super().__init__(f)\n        f.observe(self.on.start, self._start)\n\n    \
         def _start(self, event):\n        \
         text = yaml.safe_dump({'a': [1, 2]}).strip().replace('\\n', '|')\n        \
         self.unit.status = ops.ActiveStatus(yaml.__version__ + ' ' + text)\n\n\
         if __name__ == '__main__':\n    ops.main(C)\n",
        "ops==3.9.0\npyyaml==6.0.2\n",
    );
    let rt = runtime();
    let c = charm(&rt, "target/py-e2e/sdist-only");
    let (out, report) = run(&rt, &c, state(json!({})), "start");
    assert_eq!(report.outcome, Outcome::Ok, "{:?}", report.logs);
    assert_eq!(out.unit_status.message, "6.0.2 a:|- 1|- 2");
}

#[test]
fn a_charm_importing_a_native_module_fails_the_build_naming_it() {
    let dir = temp_charm(
        "native-import",
        "import ctypes\n\nimport ops\n\nclass C(ops.CharmBase):\n    pass\n\nif __name__ == '__main__':\n    ops.main(C)\n",
        "ops==3.9.0\n",
    );
    let err = build_charm(&dir, &QUIET).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, BuildError::Componentize { .. }), "{text}");
    let headline = text.lines().nth(1).unwrap_or_default();
    assert!(
        headline.starts_with("charm.py line 1: `import ctypes` fails at build time (ModuleNotFoundError: No module named '_ctypes')"),
        "{text}"
    );
    assert!(!dir.join("native-import.wasm").exists());
}

#[test]
fn a_python_charm_without_requirements_is_refused() {
    let dir = temp_charm("no-requirements", "import ops\n", "");
    std::fs::remove_file(dir.join("requirements.txt")).unwrap();
    let err = build_charm(&dir, &QUIET).unwrap_err();
    assert!(matches!(err, BuildError::NoRequirements { .. }), "{err}");
    assert!(err.to_string().contains("ops==3.9.0"), "{err}");
}

/// `bench --vs-scenario` runs the same event on both sides (Scenario in
/// CPython, installed from PyPI) and checks they left the same result.
#[test]
fn bench_vs_scenario_compares_with_the_same_result() {
    let dir = scratch("vs-scenario");
    let charm = built("examples/peer-counter-py");
    let input = dir.join("in.json");
    std::fs::write(
        &input,
        r#"{"leader": true, "relations": [{"id": 1, "endpoint": "fastapi-peer"}]}"#,
    )
    .unwrap();
    let (code, stdout, stderr) = charmbox(&[
        "bench",
        "--charm",
        charm.to_str().unwrap(),
        "--state",
        input.to_str().unwrap(),
        "--iterations",
        "5",
        "--vs-scenario",
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    for line in [
        "charmbox   median",
        "Scenario   median",
        "ratio charmbox / Scenario",
        "instantiate alone median",
        "charmbox without it:",
    ] {
        assert!(stdout.contains(line), "no {line:?} in:\n{stdout}");
    }
    assert!(
        stdout.contains(r#""unit_stats":"{\"started_counter\": 1}""#),
        "{stdout}"
    );
    // A Rust charm has no Scenario side.
    let (code, _, stderr) = charmbox(&[
        "bench",
        "--charm",
        built("examples/peer-counter").to_str().unwrap(),
        "--vs-scenario",
    ]);
    assert_ne!(code, 0);
    assert!(stderr.contains("needs a Python charm"), "{stderr}");
}

#[test]
fn sleeping_moves_virtual_time_at_once() {
    // An hour's time.sleep and a 1.5 s select() timeout: were they real,
    // the test would outlive the dispatch's deadline.
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let (out, report) = run(&rt, &charm, with_mode("sleep"), "start");
    assert_eq!(report.outcome, Outcome::Ok, "{:?}", report.logs);
    for key in ["slept-monotonic", "slept-wall"] {
        let secs: f64 = unit_bag(&out)[key].parse().unwrap();
        assert!((3601.5..3601.6).contains(&secs), "{key}: {secs}");
    }
    // The same run again: the same virtual times (determinism).
    let (again, _) = run(&rt, &charm, with_mode("sleep"), "start");
    assert_eq!(unit_bag(&out), unit_bag(&again));
}

/// The ops examples' `get_version`: HTTP to the workload on localhost,
/// answered from the State's `loopback_http`; a closed port refuses; the
/// calls are in the trace and replay.
#[test]
fn http_to_the_workload_on_localhost_gets_the_states_answers() {
    let mut s = with_mode("workload-http");
    s.loopback_http = serde_json::from_value(json!([
        {"port": 8000, "path": "/version", "json": {"version": "0.0.1"}},
        {"port": 8000, "method": "POST", "path": "/items", "status": 201,
         "headers": {"Location": "/items/7"}},
        {"port": 8000, "method": "PUT", "path": "/items/1", "status": 204},
    ]))
    .unwrap();
    let dir = scratch("loopback");
    let input = dir.join("in.json");
    std::fs::write(&input, s.to_json()).unwrap();
    let charm = built(CHARM);
    let (out, trace) = (dir.join("out.json"), dir.join("trace.jsonl"));
    let (code, _, err) = charmbox(&[
        "run",
        "--charm",
        charm.to_str().unwrap(),
        "--event",
        "start",
        "--state",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--trace",
        trace.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let out = State::load(&out).unwrap();
    assert_eq!(out.workload_version, "0.0.1");
    let bag = unit_bag(&out);
    assert_eq!(bag["created"], "201 /items/7");
    assert_eq!(bag["missing"], "404");
    assert_eq!(bag["chunked"], "204");
    assert!(
        bag["closed"]
            .starts_with("ConnectionRefusedError: charmbox: nothing listens on loopback port 9999"),
        "{bag:?}"
    );
    let text = std::fs::read_to_string(&trace).unwrap();
    assert!(
        text.contains(r#""loopback""#) && text.contains("/version"),
        "{text}"
    );
    let (code, stdout, err) = charmbox(&[
        "replay",
        trace.to_str().unwrap(),
        "--component",
        charm.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}{err}");
    assert!(stdout.contains("identical"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A State's answer the host cannot give is refused before the event,
/// naming the field.
#[test]
fn a_malformed_loopback_answer_is_refused_naming_the_field() {
    let mut s = with_mode("workload-http");
    s.loopback_http = serde_json::from_value(json!([
        {"port": 8000, "path": "/version", "headers": {"X": "a\r\nInjected: 1"}},
    ]))
    .unwrap();
    let err = charmbox::state::check::shape(&s).unwrap_err().to_string();
    assert!(err.contains("loopback_http[0].headers"), "{err}");
}

#[test]
fn a_network_request_says_the_sandbox_has_no_network() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let (_, report) = run(&rt, &charm, with_mode("network"), "start");
    let Failure::CharmError(tb) = failure(&report.outcome) else {
        panic!("expected a charm error, got {:?}", report.outcome);
    };
    assert!(
        tb.contains("charmbox: the sandbox has no network (looking up 'charmhub.io')"),
        "{tb}"
    );
    assert!(
        tb.contains("urllib.error.URLError"),
        "urllib's own error: {tb}"
    );
    assert!(!tb.contains("idna"), "{tb}");
}

#[test]
fn charmbox_run_prints_a_logged_traceback_once() {
    let dir = built(CHARM);
    let input = target_tmp("python-tb").join("in.json");
    std::fs::write(&input, with_mode("fail-after-write").to_json()).unwrap();
    let (code, _, err) = charmbox_run_event(&dir, "start", &input);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        err.matches("Traceback (most recent call last)").count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("start: hook failed: RuntimeError: deliberate failure (the traceback is in the log above)"),
        "{err}"
    );
}

/// Scenario gets the State's layers (else pause-py, finding no service in
/// its plan, would wait where charmbox's run goes active: "results differ").
#[test]
fn bench_vs_scenario_hands_scenario_the_layers() {
    let dir = scratch("vs-scenario-layers");
    let input = dir.join("in.json");
    let layer = json!({"services": {"pause": {
        "override": "replace", "command": "/pause", "startup": "enabled"}}});
    let s = json!({"config": {"timeout": 30}, "containers": [{
        "name": "pause", "can_connect": true,
        "layers": [{"label": "pause", "layer": layer}]}]});
    std::fs::write(&input, s.to_string()).unwrap();
    let (code, stdout, stderr) = charmbox(&[
        "bench",
        "--charm",
        built("examples/pause-py").to_str().unwrap(),
        "--state",
        input.to_str().unwrap(),
        "--event",
        "config-changed",
        "--iterations",
        "3",
        "--vs-scenario",
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains(r#""status":"active""#), "{stdout}");
    assert!(!stdout.contains("differ"), "{stdout}");
}

const UV_CHARM: &str = "tests/charms/uv-libs";

/// A uv project (charmcraft's uv plugin: pyproject.toml + uv.lock) with a
/// charm library in lib/: built at the locked versions and run. Its
/// tenacity retry waits 5 s twice, in virtual time.
#[test]
fn a_uv_charm_with_a_charm_library_builds_and_runs() {
    let rt = runtime();
    let charm = charm(&rt, UV_CHARM);
    let (out, report) = run(&rt, &charm, state(json!({})), "start");
    assert_eq!(report.outcome, Outcome::Ok, "{:?}", report.logs);
    assert_eq!(out.unit_status.message, "hello, world after 3 attempts");
}

/// The same charm without its fetched library: the build names it and how
/// to fetch it, before componentize-py would fail at import.
#[test]
fn a_missing_charm_library_is_named_with_how_to_fetch_it() {
    let dir = scratch("uv-no-lib");
    let src = root().join(UV_CHARM);
    let copied = std::process::Command::new("cp")
        .arg("-r")
        .arg(src.join("charmcraft.yaml"))
        .arg(src.join("pyproject.toml"))
        .arg(src.join("uv.lock"))
        .arg(src.join("src"))
        .arg(&dir)
        .status()
        .unwrap();
    assert!(copied.success());
    let err = build_charm(&dir, &QUIET).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, BuildError::MissingCharmLibs { .. }), "{text}");
    assert!(
        text.contains(
            "charms.greeting.v0.greeter (lib/charms/greeting/v0/greeter.py, declared in charm-libs)"
        ),
        "{text}"
    );
    assert!(text.contains("`charmcraft fetch-libs`"), "{text}");
}

#[test]
fn a_plugin_charmbox_cannot_build_is_named() {
    let dir = temp_charm("poetry", "import ops\n", "ops==3.9.0\n");
    let yaml = std::fs::read_to_string(dir.join("charmcraft.yaml")).unwrap();
    std::fs::write(
        dir.join("charmcraft.yaml"),
        format!("{yaml}\nparts:\n  charm:\n    plugin: poetry\n"),
    )
    .unwrap();
    let err = build_charm(&dir, &QUIET).unwrap_err();
    assert!(
        err.to_string()
            .contains("part \"charm\" uses the \"poetry\" plugin"),
        "{err}"
    );
}

/// The same charm source and requirements, in two checkouts (other paths,
/// other file times), built one after the other (other clock readings,
/// another extraction of componentize-py's standard library), give
/// byte-identical components, which behave the same: set iteration order
/// (and a charm's messages built from it) and `hash()` included.
#[test]
fn the_same_charm_source_builds_to_identical_bytes() {
    let source = "import ops\n\nclass C(ops.CharmBase):\n    def __init__(self, f):\n        \
                  super().__init__(f)\n        f.observe(self.on.start, self._start)\n\n    \
                  def _start(self, event):\n        \
                  names = {'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta'}\n        \
                  self.unit.status = ops.ActiveStatus(' '.join(names) + ' ' + str(hash('x')))\n\n\
                  if __name__ == '__main__':\n    ops.main(C)\n";
    let checkout = |tag: &str| {
        let rel = format!("target/py-e2e/{tag}");
        let dir = root().join(&rel);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(dir.join("charmcraft.yaml"), "name: repro\ntype: charm\n").unwrap();
        std::fs::write(dir.join("src/charm.py"), source).unwrap();
        std::fs::write(dir.join("requirements.txt"), "ops==3.9.0\n").unwrap();
        rel
    };
    let rt = runtime();
    let message = |rel: &str| {
        let c = charm(&rt, rel);
        let (out, report) = run(&rt, &c, state(json!({})), "start");
        assert_eq!(report.outcome, Outcome::Ok, "{:?}", report.logs);
        out.unit_status.message
    };
    let (a, b) = (checkout("repro-a"), checkout("repro-b"));
    let first = message(&a);
    let second = message(&b);
    assert_eq!(first, second, "two builds of one source behave differently");
    let bytes = |rel: &str| std::fs::read(built(rel).join("repro.wasm")).expect("component");
    let (x, y) = (bytes(&a), bytes(&b));
    let differing = x.iter().zip(&y).filter(|(p, q)| p != q).count();
    assert!(
        x == y,
        "two builds of one source differ: {} and {} bytes, {differing} differing",
        x.len(),
        y.len()
    );
}
