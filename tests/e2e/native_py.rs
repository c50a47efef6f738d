//! The differential check of docs/native.md: the same ops charms
//! (examples/peer-counter-py, examples/pause-py) run natively — unmodified
//! ops from PyPI under the host's python3, its hook tools through
//! `charmbox-jujuc`, its `ops.pebble.Client` on the container's unix
//! socket — and as components must leave the same States and make the same
//! calls; each run's trace replays against the other.

use crate::common;

use std::path::Path;

use charmbox::engine::{Outcome, Runtime};
use charmbox::event::EventSpec;
use charmbox::native::NativeCharm;
use charmbox::run::{Charm, Dispatcher, InRuntime, RunOptions, RunReport, run_on};
use charmbox::state::State;
use charmbox::trace::format::{CallRecord, HostCall};
use charmbox::trace::replay::{replay_against, replay_on};
use charmbox::trace::{Header, TraceWriter, read_trace};
use common::{Scratch, charm, root, runtime, state, target_tmp};
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
    let tmp = Scratch::new("charmbox-native-py", &dir.replace('/', "-"));
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

/// What a model ends with, for comparing two runs of it: its hook history
/// and everything the charms changed (databags, units, relations).
fn model_outcome(s: &charmbox::sim::Simulator) -> (Vec<String>, String) {
    let events = s
        .events()
        .unwrap()
        .iter()
        .map(|e| format!("{} {} {} {}", e.unit, e.event, e.detail, e.outcome))
        .collect();
    let m = s.model();
    let changed = format!("{:?}\n{:?}\n{:?}", m.bags, m.units, m.relations);
    (events, changed)
}

/// `deploy --native`: the simulator runs peer-counter-py as processes, with
/// the same orderings and the same outcome as its component, and ops'
/// state in the charm directory lasts across hooks (the unit's disk) and
/// goes with a churned pod.
#[test]
fn the_simulator_deploys_a_native_charm_as_it_deploys_a_component() {
    use charmbox::sim::ops::DeployOptions;
    use charmbox::sim::{ModelOptions, Simulator};
    const PEER: &str = "examples/peer-counter-py";
    let run = |native: bool| {
        let mut s = Simulator::in_memory(
            runtime(),
            ModelOptions {
                seed: 7,
                ..Default::default()
            },
        );
        let dir = if native {
            root().join(PEER)
        } else {
            common::built(PEER)
        };
        let app = s
            .deploy(
                &dir,
                DeployOptions {
                    units: Some(3),
                    native,
                    ..Default::default()
                },
            )
            .unwrap();
        s.settle().unwrap();
        s.churn(&format!("{app}/0")).unwrap();
        s.settle().unwrap();
        assert_eq!(s.model().apps[&app].native, native);
        s
    };
    let (native, component) = (run(true), run(false));
    let (n_events, n_changed) = model_outcome(&native);
    let (c_events, c_changed) = model_outcome(&component);
    assert_eq!(n_events, c_events, "the same hooks in the same order");
    assert!(n_events.iter().all(|e| e.ends_with(" ok")), "{n_events:#?}");
    assert!(n_events.len() > 15, "{n_events:#?}");
    assert_eq!(n_changed, c_changed, "the same model");
    let rel = native
        .model()
        .relations
        .values()
        .find(|r| r.end_of("peer-counter-py").is_some())
        .unwrap();
    let bag = native.model().bag_data(
        rel.id,
        &charmbox::sim::model::BagOwner::App("peer-counter-py".into()),
    );
    assert_eq!(bag["unit_stats"], r#"{"started_counter": 2}"#);
}

/// ops' own Pebble client over the container's socket (push, pull, list,
/// make_dir, exec with its websockets: output, split stderr, a failing
/// command, a streamed stdout) leaves the same State as the same charm as
/// a component, whose client goes through the typed imports. The calls
/// differ by design here (HTTP and websockets against typed imports), so
/// only what the charm saw and what it left are compared.
#[test]
fn ops_pebble_client_files_and_exec_over_the_socket() {
    const DIR: &str = "tests/charms/pebble-client-py";
    let s = state(json!({
        "containers": [{
            "name": "work",
            "can_connect": true,
            "exec": [
                {"command": ["greet"], "stdout": "hello world\n"},
                {"command": ["fail-soft"], "exit_code": 0, "stdout": "out\n", "stderr": "err\n"},
                {"command": ["fail"], "exit_code": 2, "stdout": "partial\n", "stderr": "boom\n"}
            ]
        }]
    }));
    let rt: Runtime = runtime();
    let component: Charm = charm(&rt, DIR);
    let native = NativeCharm::open(&root().join(DIR)).expect("the native charm opens");
    let spec = EventSpec::named("work-pebble-ready");
    let (n_out, n_report) = run_on(&native, s.clone(), &spec, RunOptions::default()).unwrap();
    assert_eq!(
        n_report.outcome,
        Outcome::Ok,
        "{:?}",
        n_report.output.as_ref().map(|o| &o.stderr)
    );
    let c = InRuntime {
        rt: &rt,
        charm: &component,
    };
    let (c_out, c_report) = run_on(&c, s, &spec, RunOptions::default()).unwrap();
    assert_eq!(c_report.outcome, Outcome::Ok);
    assert_eq!(n_out.to_json(), c_out.to_json(), "the output States");
    assert_eq!(n_out.unit_status.message, "hello world / 2");
    let work = serde_json::to_value(&n_out.containers[0]).unwrap();
    let report = work.to_string();
    for seen in [
        r#"\"pulled\": \"hello\\n\""#,
        r#"\"blob\": true"#,
        r#"\"names\": [\"blob.bin\", \"conf.txt\", \"sub\"]"#,
        r#"\"err\": \"\""#,
        r#"\"combined\": \"out\\nerr\\n\""#,
        r#"\"failed\": {\"code\": 2, \"stderr\": \"boom\\n\", \"stdout\": \"partial\\n\"}"#,
        r#"\"streamed\": \"hello world\\n\""#,
    ] {
        assert!(report.contains(seen), "{seen} in {report}");
    }
    // The native trace holds the websockets: each a request answered 101
    // with what it sent.
    let tmp = target_tmp("native-py").join("ws.jsonl");
    let f = std::fs::File::create(&tmp).unwrap();
    let mut w = TraceWriter::new(Box::new(f), Header::for_native("pebble-client-py", 0)).unwrap();
    let s2 = state(json!({
        "containers": [{"name": "work", "can_connect": true,
            "exec": [{"command": [], "stdout": "any\n"}]}]
    }));
    let (_, r) = run_on(
        &native,
        s2,
        &spec,
        RunOptions::default().trace(Some(&mut w)),
    )
    .unwrap();
    assert_eq!(r.outcome, Outcome::Ok);
    w.close().unwrap();
    let text = std::fs::read_to_string(&tmp).unwrap();
    // Pushes record the same each run (ops' random multipart boundary is
    // made from the content), so the native trace replays exactly.
    for cmp in replay_on(&native, &read_trace(&tmp).unwrap()) {
        assert!(
            cmp.error.is_none() && cmp.calls.is_none() && cmp.delta.is_none(),
            "{cmp:?}"
        );
    }
    let _ = std::fs::remove_file(&tmp);
    assert!(text.contains("/websocket/stdio"), "{text}");
    assert!(text.contains("\"status\":101"), "{text}");
    assert!(!text.to_ascii_lowercase().contains("sec-websocket-key"));
}

/// The tutorial's whole scenario (examples/peer-counter-py/scenario.yaml:
/// three units, the leader's pod churned, leadership moving) with its
/// deploy step made `native: true`: every expectation the component meets,
/// the processes meet — orderings, databags, and ops' state kept on each
/// unit's disk across hooks.
#[test]
fn the_tutorial_scenario_passes_with_native_units() {
    use charmbox::sim::Simulator;
    use charmbox::sim::scenario::{self, Scenario, Step};
    let dir = root().join("examples/peer-counter-py");
    let mut sc = Scenario::load(&dir.join("scenario.yaml")).unwrap();
    let mut deploys = 0;
    for step in &mut sc.steps {
        if let Step::Deploy(d) = step {
            d.native = true;
            deploys += 1;
        }
    }
    assert_eq!(deploys, 1);
    let mut s = Simulator::in_memory(runtime(), sc.options().unwrap());
    s.set_paranoid(true);
    let mut out = Vec::new();
    scenario::run(&mut s, &sc, &dir, &mut out)
        .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&out)));
    assert!(s.model().apps["peer-counter-py"].native);
    assert!(s.events().unwrap().len() > 30);
}
