//! Class 2, host stack: guest or State data that a recursive walk once
//! followed to a stack overflow (the process aborted): 60,000-long
//! `after:`/`before:`/`requires:` chains in a Pebble layer (State layers,
//! a guest's add-layer, a simulated unit doing it), a megabyte-long glob
//! pattern, an `action-set` key of 100,000 parts. Each must end as an
//! answer, a failed hook or an error naming the problem; the host goes on.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use charmbox::charm::CharmMeta;
use charmbox::engine::{Failure, Outcome, Runtime};
use charmbox::run::Charm;
use charmbox::sim::ops::DeployOptions;
use charmbox::sim::{ModelOptions, Simulator};
use charmbox::state::State;
use serde_json::{Value, json};

use crate::common::*;

/// The hostile Rust charm.
pub const MISBEHAVE: &str = "tests/charms/misbehave";

/// Services in the chains (as in misbehave's `chain-*` modes).
const CHAIN: usize = 60_000;

/// A directory holding the misbehave component under metadata that
/// declares a `workload` container (its own charmcraft.yaml does not, so
/// that other tests see no pebble-ready hooks).
pub fn misbehave_with_workload() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let src = built(MISBEHAVE);
        let dir = target_tmp("faults-walks/misbehave");
        let yaml = std::fs::read_to_string(src.join("charmcraft.yaml")).unwrap()
            + "\ncontainers:\n  workload:\n    resource: workload-image\n\
               resources:\n  workload-image:\n    type: oci-image\n";
        std::fs::write(dir.join("charmcraft.yaml"), yaml).unwrap();
        std::fs::copy(src.join("misbehave.wasm"), dir.join("misbehave.wasm")).unwrap();
        dir
    })
    .clone()
}

/// The misbehave charm with its `workload` container.
pub fn open_misbehave(rt: &Runtime) -> Charm {
    let dir = misbehave_with_workload();
    Charm {
        meta: Arc::new(CharmMeta::load_dir(&dir).expect("metadata")),
        component: rt.load(&dir.join("misbehave.wasm")).expect("component"),
        dir,
    }
}

/// A leader running `mode`, with unit state to show what a failed hook
/// keeps, and a reachable `workload` container holding `layers`.
pub fn with_mode(mode: &str, layers: Value) -> State {
    state(json!({
        "leader": true,
        "config": {"mode": mode},
        "unit_state": {"kept": "1"},
        "containers": [{"name": "workload", "can_connect": true, "layers": layers}]
    }))
}

/// The charm error of a failed hook (panics on anything else).
pub fn charm_error(o: &Outcome) -> String {
    match o {
        Outcome::Failed {
            failure: Failure::CharmError(m),
        } => m.clone(),
        other => panic!("expected a charm error, got {other:?}"),
    }
}

/// The output State as JSON.
pub fn json_of(s: &State) -> Value {
    serde_json::to_value(s).unwrap()
}

/// Layer YAML of the chain: s(i) after s(i-1), s(i) before s(i+1), or s(i)
/// requires s(i-1); `closed`: s0 after the last one too.
fn chain_yaml(link: &str, closed: bool) -> String {
    let name = |i: usize| format!("s{i:05}");
    let mut y = String::from("services:\n");
    for i in 0..CHAIN {
        let l = match link {
            "before" if i + 1 < CHAIN => format!(", before: [{}]", name(i + 1)),
            "requires" if i > 0 => format!(", requires: [{}]", name(i - 1)),
            "after" if i > 0 => format!(", after: [{}]", name(i - 1)),
            "after" if closed => format!(", after: [{}]", name(CHAIN - 1)),
            _ => String::new(),
        };
        y.push_str(&format!(
            "  {}: {{override: replace, command: /bin/true{l}}}\n",
            name(i)
        ));
    }
    y
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = f();
    println!("{what}: {:?}", t.elapsed());
    out
}

#[test]
fn state_layers_with_60000_long_chains_run() {
    let rt = runtime();
    let charm = open_misbehave(&rt);
    for link in ["after", "before", "requires"] {
        let layers = json!([{"label": "chain", "yaml": chain_yaml(link, false)}]);
        let (out, report) = timed(&format!("State layer, {link}-chain"), || {
            run(&rt, &charm, with_mode("ok", layers.clone()), "start")
        });
        assert_eq!(report.outcome, Outcome::Ok, "{link}");
        let kept = &json_of(&out)["containers"][0]["layers"][0];
        assert_eq!(kept["label"], "chain");
        let services = kept["layer"]["services"].as_object().unwrap();
        assert_eq!(services.len(), CHAIN, "{link}");
    }
    // The same chain as a JSON layer.
    let services: serde_json::Map<String, Value> = (0..CHAIN)
        .map(|i| {
            let mut s = json!({"override": "replace", "command": "/bin/true"});
            if i > 0 {
                s["after"] = json!([format!("s{:05}", i - 1)]);
            }
            (format!("s{i:05}"), s)
        })
        .collect();
    let layers = json!([{"label": "chain", "layer": {"services": services}}]);
    let (_, report) = run(&rt, &charm, with_mode("ok", layers), "start");
    assert_eq!(report.outcome, Outcome::Ok);
}

#[test]
fn a_state_layer_with_a_60000_long_loop_is_refused_by_the_cli() {
    let dir = target_tmp("faults-walks-cli");
    let state_file = dir.join("state.json");
    let layers = json!([{"label": "chain", "yaml": chain_yaml("after", true)}]);
    let st = json!({
        "leader": true,
        "config": {"mode": "ok"},
        "containers": [{"name": "workload", "can_connect": true, "layers": layers}]
    });
    std::fs::write(&state_file, st.to_string()).unwrap();
    let charm = misbehave_with_workload();
    let (code, _, stderr) = charmbox(&[
        "run",
        "--charm",
        charm.to_str().unwrap(),
        "--event",
        "start",
        "--state",
        state_file.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("services in before/after loop: s00000, s00001"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_guest_adds_60000_long_chains() {
    let rt = runtime();
    let charm = open_misbehave(&rt);
    for mode in ["chain-after", "chain-before", "chain-requires"] {
        let (out, report) = timed(&format!("guest add-layer, {mode}"), || {
            run(&rt, &charm, with_mode(mode, json!([])), "start")
        });
        assert_eq!(report.outcome, Outcome::Ok, "{mode}");
        let out = json_of(&out);
        assert!(
            out["unit_status"]["message"]
                .as_str()
                .unwrap()
                .starts_with("plan of "),
            "{mode}: {}",
            out["unit_status"]
        );
        assert_eq!(out["containers"][0]["layers"][0]["label"], "chain");
    }
}

#[test]
fn a_guest_chain_loop_fails_the_hook_and_changes_nothing() {
    let rt = runtime();
    let charm = open_misbehave(&rt);
    let (out, report) = run(&rt, &charm, with_mode("chain-loop", json!([])), "start");
    let m = charm_error(&report.outcome);
    assert!(
        m.starts_with("add-layer: services in before/after loop: s00000, s00001"),
        "{}",
        &m[..200.min(m.len())]
    );
    let out = json_of(&out);
    assert_eq!(out["containers"][0]["layers"], Value::Null);
    assert_eq!(out["unit_state"], json!({"kept": "1"}));
}

#[test]
fn a_megabyte_glob_pattern_is_answered() {
    let rt = runtime();
    let charm = open_misbehave(&rt);
    let (out, report) = timed("list-files with a 1 MiB pattern and 50 stars", || {
        run(&rt, &charm, with_mode("long-glob", json!([])), "start")
    });
    assert_eq!(report.outcome, Outcome::Ok);
    assert_eq!(
        json_of(&out)["unit_status"]["message"],
        "globs matched 0 and 0"
    );
}

#[test]
fn an_action_set_key_of_100000_parts_is_refused() {
    let meta = Arc::new(
        CharmMeta::parse("name: acts\nactions:\n  do:\n    description: x\n", "acts").unwrap(),
    );
    let st = state(json!({"leader": true}));
    let mut spec = charmbox::event::EventSpec::named("do");
    spec.action = true;
    let resolved = spec.resolve(&meta, &st).unwrap();
    let mut backend = charmbox::backend::unit::UnitBackend::new(meta, st, &resolved).unwrap();
    let deep = vec!["a"; 100_000].join(".");
    let out = charmbox::jujuc::run(
        &mut backend,
        &["action-set".into(), format!("{deep}=1")],
        b"",
    )
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.code, 0);
    assert!(
        stderr.contains("has 100000 parts, more than charmbox's limit of 64"),
        "{stderr}"
    );
    // At the limit it is taken, and read back.
    let ok = vec!["a"; 64].join(".");
    let out =
        charmbox::jujuc::run(&mut backend, &["action-set".into(), format!("{ok}=1")], b"").unwrap();
    assert_eq!(out.code, 0, "{}", String::from_utf8_lossy(&out.stderr));
    let got = charmbox::jujuc::run(&mut backend, &["action-get".into()], b"").unwrap();
    assert_eq!(got.code, 0);
}

fn deploy(s: &mut Simulator, charm: &std::path::Path, units: u32, mode: Option<&str>) {
    let mut config = BTreeMap::new();
    if let Some(m) = mode {
        config.insert("mode".to_string(), json!(m));
    }
    s.deploy(
        charm,
        DeployOptions {
            units: Some(units),
            config,
            ..Default::default()
        },
    )
    .unwrap();
}

#[test]
fn a_simulated_unit_adding_a_chain_loop_fails_alone() {
    let mut s = Simulator::in_memory(
        runtime(),
        ModelOptions {
            seed: 12,
            ..Default::default()
        },
    );
    deploy(&mut s, &built("examples/peer-counter"), 2, None);
    deploy(&mut s, &misbehave_with_workload(), 1, Some("chain-loop"));
    timed("settle with a chain-loop unit", || s.settle().unwrap());
    let unit = |s: &Simulator, n: &str| s.status().units.into_iter().find(|u| u.unit == n).unwrap();
    assert_eq!(unit(&s, "peer-counter/0").workload, "active");
    assert_eq!(unit(&s, "peer-counter/1").workload, "active");
    let m = unit(&s, "misbehave/0");
    assert_eq!((m.workload.as_str(), m.agent.as_str()), ("error", "error"));
    assert!(
        m.message.contains("services in before/after loop"),
        "{}",
        m.message
    );
    // The retry fails the same way; the model goes on.
    s.advance(Duration::from_secs(6)).unwrap();
    let starts = s
        .unit_events("misbehave/0")
        .unwrap()
        .iter()
        .filter(|e| *e == "start")
        .count();
    assert_eq!(starts, 2);
    // Fixed: the chain itself is fine, and later settles still work with
    // its 60,000 services in the unit's Pebble.
    let mut fix = BTreeMap::new();
    fix.insert("mode".to_string(), json!("chain-after"));
    s.config("misbehave", fix, &[]).unwrap();
    s.resolve("misbehave/0", true).unwrap();
    timed("settle after the fix", || s.settle().unwrap());
    let m = unit(&s, "misbehave/0");
    assert_eq!(m.agent, "idle", "{}", m.message);
    assert!(m.message.starts_with("plan of "), "{}", m.message);
    timed("advance an hour with the chain", || {
        s.advance(Duration::from_secs(3600)).unwrap()
    });
    assert_eq!(unit(&s, "misbehave/0").agent, "idle");
}

#[test]
fn state_values_nested_as_deep_as_json_allows_are_refused_cleanly() {
    let rt = runtime();
    let charm = open_misbehave(&rt);
    // 120 levels: JSON takes it; the layer's walks (JSON to YAML, the YAML
    // writer) follow it, and the YAML guard refuses it by depth.
    let mut v = json!("x");
    for _ in 0..120 {
        v = json!({ "a": v });
    }
    let st = with_mode("ok", json!([{"label": "deep", "layer": {"summary": v}}]));
    let e = charmbox::run::run_event(
        &rt,
        &charm,
        st,
        &charmbox::event::EventSpec::named("start"),
        None,
    )
    .expect_err("refused");
    assert!(
        e.to_string()
            .contains("nested deeper than charmbox's limit of 64 levels"),
        "{e}"
    );
    // 200 levels: the State's JSON parser stops at 128.
    let mut deep = String::from("\"x\"");
    for _ in 0..200 {
        deep = format!("{{\"a\": {deep}}}");
    }
    let text = format!(
        r#"{{"containers": [{{"name": "workload", "layers": [{{"label": "d", "layer": {deep}}}]}}]}}"#
    );
    let e = State::from_json(&text, "deep.json").unwrap_err();
    assert!(e.to_string().contains("recursion limit exceeded"), "{e}");
}

#[test]
fn a_model_file_with_a_chain_loop_unit_keeps_settling() {
    let db = target_tmp("faults-walks-model").join("model.db");
    let _ = std::fs::remove_file(&db);
    let model = |args: &[&str]| {
        let mut all = vec!["model", "--model", db.to_str().unwrap()];
        all.extend_from_slice(args);
        charmbox(&all)
    };
    let charm = misbehave_with_workload();
    let (code, _, err) = model(&[
        "deploy",
        charm.to_str().unwrap(),
        "--config",
        "mode=chain-loop",
    ]);
    assert_eq!(code, 0, "{err}");
    // Each settle is a new process on the same file: none aborts, and the
    // unit's failure is recorded with its reason.
    for _ in 0..2 {
        let (code, out, err) = model(&["settle"]);
        assert_eq!(code, 0, "{out}{err}");
    }
    let (code, out, err) = model(&["status", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let unit = &v["units"][0];
    assert_eq!(unit["agent"], "error");
    assert!(
        unit["message"]
            .as_str()
            .unwrap()
            .contains("services in before/after loop"),
        "{unit}"
    );
    std::fs::remove_file(&db).unwrap();
}
