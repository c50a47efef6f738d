//! Class 3, YAML bombs: a 140 KB text of aliases that expands to 784
//! million nodes, and 400 KB of flow nesting (quadratic in libyaml's
//! scanner), through every YAML entry point: a guest's add-layer, State
//! layers, `state-set --file -` stdin, charmcraft.yaml under `charmbox
//! run`, a scenario under `charmbox sim`. Each is refused by the guard of
//! charmbox::yaml with the limit named; the worst cases run as child
//! processes whose time and peak memory are printed (not asserted).

use std::path::{Path, PathBuf};
use std::time::Instant;

use charmbox::engine::Outcome;
use charmbox::run::{RunError, run_event};
use serde_json::json;

use crate::common::*;
use crate::report::measured;
use crate::walks::{charm_error, json_of, misbehave_with_workload, open_misbehave, with_mode};

/// `n` aliases to one sequence of `n` scalars (as misbehave builds it).
fn alias_bomb(n: usize) -> String {
    format!(
        "a: &a [{}]\nb: [{}]\n",
        vec!["x"; n].join(","),
        vec!["*a"; n].join(",")
    )
}

/// `n` levels of flow nesting.
fn deep(n: usize) -> String {
    format!("a: {}{}\n", "[".repeat(n), "]".repeat(n))
}

const NODES: &str =
    "aliases expand the document to more than charmbox's limit of 1000000 nodes (--yaml-max-nodes)";
const DEPTH: &str = "nested deeper than charmbox's limit of 64 levels (--yaml-max-depth)";

fn scratch(name: &str) -> PathBuf {
    target_tmp(&format!("faults-yaml-{name}"))
}

#[test]
fn a_guests_layer_bombs_fail_the_hook() {
    let rt = runtime();
    let charm = open_misbehave(&rt);
    for (mode, limit) in [("yaml-alias-layer", NODES), ("yaml-deep-layer", DEPTH)] {
        let t = Instant::now();
        let (out, report) = run(&rt, &charm, with_mode(mode, json!([])), "start");
        println!("{mode}: {:?}", t.elapsed());
        let m = charm_error(&report.outcome);
        assert!(
            m.starts_with(
                "add-layer: cannot parse layer YAML: cannot parse layer \"bomb\": yaml: line "
            ),
            "{m}"
        );
        assert!(m.ends_with(limit), "{m}");
        let out = json_of(&out);
        assert_eq!(out["containers"][0]["layers"], serde_json::Value::Null);
        assert_eq!(out["unit_state"], json!({"kept": "1"}));
    }
}

#[test]
fn a_guests_stdin_bombs_fail_the_tool() {
    let rt = runtime();
    let charm = open_misbehave(&rt);
    for (mode, limit) in [("yaml-alias-stdin", NODES), ("yaml-deep-stdin", DEPTH)] {
        let (out, report) = run(&rt, &charm, with_mode(mode, json!([])), "start");
        let m = charm_error(&report.outcome);
        assert!(m.starts_with("state-set: ERROR yaml: line "), "{m}");
        assert!(m.ends_with(limit), "{m}");
        assert_eq!(json_of(&out)["unit_state"], json!({"kept": "1"}));
    }
}

#[test]
fn state_layer_bombs_are_refused() {
    let rt = runtime();
    let charm = open_misbehave(&rt);
    for (text, limit) in [(alias_bomb(28_000), NODES), (deep(200_000), DEPTH)] {
        let st = with_mode("ok", json!([{"label": "bomb", "yaml": text}]));
        let e = run_event(
            &rt,
            &charm,
            st,
            &charmbox::event::EventSpec::named("start"),
            None,
        )
        .expect_err("refused");
        assert!(matches!(e, RunError::State(_)), "{e}");
        let m = e.to_string();
        assert!(
            m.contains("cannot parse layer \"bomb\": yaml: line "),
            "{m}"
        );
        assert!(m.contains(limit), "{m}");
    }
    // The same through the CLI, measured.
    let dir = scratch("state");
    let charm_dir = misbehave_with_workload();
    for (name, text, limit) in [
        ("alias bomb", alias_bomb(28_000), NODES),
        ("400 KB nesting", deep(200_000), DEPTH),
    ] {
        let file = dir.join("state.json");
        let st = json!({
            "config": {"mode": "ok"},
            "containers": [{"name": "workload", "can_connect": true,
                            "layers": [{"label": "bomb", "yaml": text}]}]
        });
        std::fs::write(&file, st.to_string()).unwrap();
        let (code, stderr) = measured(
            &format!("charmbox run, State layer {name} ({} bytes)", text.len()),
            &[
                "run",
                "--charm",
                charm_dir.to_str().unwrap(),
                "--event",
                "start",
                "--state",
                file.to_str().unwrap(),
            ],
        );
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains(limit), "{stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A charm directory holding misbehave's component under `yaml`.
fn charm_with(name: &str, yaml: &str) -> PathBuf {
    let dir = scratch(name).join("misbehave");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("charmcraft.yaml"), yaml).unwrap();
    std::fs::copy(
        misbehave_with_workload().join("misbehave.wasm"),
        dir.join("misbehave.wasm"),
    )
    .unwrap();
    dir
}

fn run_cli(label: &str, charm: &Path, extra: &[&str]) -> (i32, String) {
    let mut args = vec![
        "run",
        "--charm",
        charm.to_str().unwrap(),
        "--event",
        "start",
    ];
    args.extend_from_slice(extra);
    measured(label, &args)
}

#[test]
fn charmcraft_yaml_bombs_exit_2_naming_the_file() {
    let real = std::fs::read_to_string(misbehave_with_workload().join("charmcraft.yaml")).unwrap();
    for (name, extra, limit) in [
        ("aliases", format!("x-{}", alias_bomb(28_000)), NODES),
        ("nesting", format!("x-{}", deep(200_000)), DEPTH),
    ] {
        let charm = charm_with(name, &format!("{real}{extra}"));
        let (code, stderr) = run_cli(
            &format!("charmbox run, charmcraft.yaml {name}"),
            &charm,
            &[],
        );
        assert_eq!(code, 2, "{stderr}");
        let file = charm.join("charmcraft.yaml");
        assert!(
            stderr.contains(&format!("malformed {}: yaml: line ", file.display())),
            "{stderr}"
        );
        assert!(stderr.contains(limit), "{stderr}");
        std::fs::remove_dir_all(charm.parent().unwrap()).unwrap();
    }
    // The flags move the limits: the real file is over 1,000 bytes.
    let charm = misbehave_with_workload();
    let (code, stderr) = run_cli(
        "charmbox run, 1000-byte limit",
        &charm,
        &["--yaml-max-bytes", "1000"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("more than charmbox's limit of 1000 (--yaml-max-bytes)"),
        "{stderr}"
    );
    let (code, stderr) = run_cli("charmbox run, depth 2", &charm, &["--yaml-max-depth", "2"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("limit of 2 levels"), "{stderr}");
    let (code, stderr) = run_cli("charmbox run, defaults", &charm, &[]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn scenario_bombs_exit_2_naming_the_file() {
    let dir = scratch("scenario");
    for (name, text, limit) in [
        ("aliases", alias_bomb(28_000), NODES),
        ("nesting", deep(200_000), DEPTH),
    ] {
        let file = dir.join(format!("{name}.yaml"));
        std::fs::write(&file, format!("model: {{seed: 1}}\nsteps: []\n{text}")).unwrap();
        let (code, stderr) = measured(
            &format!("charmbox sim, scenario {name}"),
            &["sim", file.to_str().unwrap()],
        );
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains(&format!(
                "malformed scenario {}: yaml: line ",
                file.display()
            )),
            "{stderr}"
        );
        assert!(stderr.contains(limit), "{stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn legitimate_yaml_with_anchors_still_works() {
    let rt = runtime();
    let charm = open_misbehave(&rt);
    let layer = "\
services:
  web:
    override: replace
    command: web --port 80
    environment: &env {LEVEL: debug, REGION: eu}
    after: [db]
  db:
    override: replace
    command: db
    environment: *env
";
    let st = with_mode("ok", json!([{"label": "base", "yaml": layer}]));
    let (out, report) = run(&rt, &charm, st, "start");
    assert_eq!(report.outcome, Outcome::Ok);
    let services = &json_of(&out)["containers"][0]["layers"][0]["layer"]["services"];
    assert_eq!(
        services["db"]["environment"],
        json!({"LEVEL": "debug", "REGION": "eu"})
    );
    assert_eq!(
        services["web"]["environment"],
        services["db"]["environment"]
    );
    // A relation-set map of 5,000 keys with shared anchors, on stdin.
    let meta = std::sync::Arc::new(
        charmbox::charm::CharmMeta::parse("name: m\npeers:\n  p:\n    interface: x\n", "m")
            .unwrap(),
    );
    let st = state(json!({"relations": [{"id": 1, "endpoint": "p"}]}));
    let resolved = charmbox::event::EventSpec::named("start")
        .resolve(&meta, &st)
        .unwrap();
    let mut backend = charmbox::backend::unit::UnitBackend::new(meta, st, &resolved).unwrap();
    let mut map = String::from("k0: &v shared-value\n");
    for i in 1..5_000 {
        map.push_str(&format!("k{i}: *v\n"));
    }
    let argv = ["relation-set", "-r", "1", "--file", "-"].map(String::from);
    let out = charmbox::jujuc::run(&mut backend, &argv, map.as_bytes()).unwrap();
    assert_eq!(out.code, 0, "{}", String::from_utf8_lossy(&out.stderr));
    let argv = ["relation-get", "-r", "1", "k4999", "m/0"].map(String::from);
    let got = charmbox::jujuc::run(&mut backend, &argv, b"").unwrap();
    assert_eq!(String::from_utf8_lossy(&got.stdout), "shared-value\n");
}

#[test]
fn what_the_guard_saves() {
    // serde_norway alone on flow nesting: quadratic in libyaml's scanner
    // (the guard refuses these in microseconds). Small sizes only.
    for n in [10_000, 20_000, 40_000] {
        let text = deep(n);
        let t = Instant::now();
        #[allow(clippy::disallowed_methods)]
        let r = serde_norway::from_str::<serde_norway::Value>(&text);
        let unguarded = t.elapsed();
        let t = Instant::now();
        let g = charmbox::yaml::from_str::<serde_norway::Value>(&text);
        println!(
            "{n} levels: serde_norway alone {unguarded:?} ({}), guarded {:?}",
            r.err().map(|e| e.to_string()).unwrap_or_default(),
            t.elapsed()
        );
        assert!(g.unwrap_err().is_limit());
    }
}
