//! The `charmbox` binary on good and bad input: exit codes and messages.

use crate::common;

use common::*;

fn tmp(name: &str, text: &str) -> String {
    let dir = target_tmp("cli");
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn run_writes_the_output_state() {
    let dir = built("examples/peer-counter");
    let input = tmp(
        "in.json",
        r#"{"leader": true, "relations": [{"id": 1, "endpoint": "fastapi-peer"}]}"#,
    );
    let out = tmp("out.json", "");
    let (code, _, err) = charmbox(&[
        "run",
        "--charm",
        dir.to_str().unwrap(),
        "--event",
        "start",
        "--state",
        &input,
        "--out",
        &out,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("start: ok"), "{err}");
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(
        written.contains(r#""unit_stats": "{\"started_counter\": 1}""#),
        "{written}"
    );
}

#[test]
fn unknown_event_is_a_clear_error() {
    let dir = built("examples/peer-counter");
    let (code, _, err) = charmbox(&[
        "run",
        "--charm",
        dir.to_str().unwrap(),
        "--event",
        "db-relation-changed",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains(r#"unknown event "db-relation-changed": charm "peer-counter" has no relation endpoint "db""#), "{err}");
}

#[test]
fn malformed_state_is_a_clear_error() {
    let dir = built("examples/peer-counter");
    let bad = tmp("bad.json", r#"{"leader": tru}"#);
    let (code, _, err) = charmbox(&[
        "run",
        "--charm",
        dir.to_str().unwrap(),
        "--event",
        "start",
        "--state",
        &bad,
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("malformed state JSON in") && err.contains("line 1"),
        "{err}"
    );
    let unknown = tmp("unknown.json", r#"{"leaders": true}"#);
    let (code, _, err) = charmbox(&[
        "run",
        "--charm",
        dir.to_str().unwrap(),
        "--event",
        "start",
        "--state",
        &unknown,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown field `leaders`"), "{err}");
}

#[test]
fn state_that_does_not_fit_the_charm_is_refused() {
    let dir = built("examples/peer-counter");
    let s = tmp("nofit.json", r#"{"config": {"port": 8080}}"#);
    let (code, _, err) = charmbox(&[
        "run",
        "--charm",
        dir.to_str().unwrap(),
        "--event",
        "start",
        "--state",
        &s,
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains(r#"config option "port" is not declared in charmcraft.yaml"#),
        "{err}"
    );
}

#[test]
fn a_component_that_is_not_a_charm_is_refused() {
    let dir = Scratch::new("charmbox-notcharm", "charm");
    std::fs::write(dir.join("charmcraft.yaml"), "name: empty\n").unwrap();
    // A valid component that exports nothing.
    std::fs::write(dir.join("empty.wasm"), wat_component()).unwrap();
    std::fs::write(dir.join("junk.wasm"), b"not wasm at all").unwrap();
    let (code, _, err) = charmbox(&["run", "--charm", dir.to_str().unwrap(), "--event", "start"]);
    assert_eq!(code, 2);
    assert!(err.contains("is not a juju:charm component"), "{err}");
    let junk = dir.join("junk.wasm");
    let (code, _, err) = charmbox(&["run", "--charm", junk.to_str().unwrap(), "--event", "start"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("is not a valid WebAssembly component"),
        "{err}"
    );
}

fn wat_component() -> Vec<u8> {
    // `(component)` in the binary format: magic, component version 0x0d, layer 1.
    vec![0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]
}

#[test]
fn missing_component_says_how_to_build_it() {
    let dir = Scratch::new("charmbox-unbuilt", "charm");
    std::fs::write(dir.join("charmcraft.yaml"), "name: unbuilt\n").unwrap();
    let (code, _, err) = charmbox(&["run", "--charm", dir.to_str().unwrap(), "--event", "start"]);
    assert_eq!(code, 2);
    assert!(err.contains("build it with `charmbox build"), "{err}");
}

/// `charmbox run --action` on the native shell charm's `report` action.
fn run_report(params: &[&str]) -> (i32, String, String) {
    let charm = root().join("tests/charms/shell-tools");
    let mut args = vec!["run", "--native", "--charm", charm.to_str().unwrap()];
    args.extend(["--action", "report", "--out", "/dev/null"]);
    for p in params {
        args.extend(["--param", p]);
    }
    charmbox(&args)
}

#[test]
fn an_action_prints_its_logs_and_results() {
    let (code, _, err) = run_report(&["target=db"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("report: log: reporting on db"), "{err}");
    assert!(
        err.contains("report: results:\n  outcome:\n    count: '1'\n    target: db"),
        "{err}"
    );
    assert!(!err.contains("action failed"), "{err}");
}

#[test]
fn a_failed_action_has_its_own_exit_status() {
    let (code, _, err) = run_report(&["target=db", "fail=true", "count=2"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("report: ok"),
        "the hook itself succeeded: {err}"
    );
    assert!(
        err.contains("report: action failed: asked to fail"),
        "{err}"
    );
    assert!(err.contains("count: '2'"), "results are shown too: {err}");
}

#[test]
fn action_parameters_are_checked_against_the_schema() {
    let cases = [
        (
            vec!["target=db", "fail=yes"],
            r#"validation failed: (root).fail : must be of type boolean, given "yes""#,
        ),
        (
            vec!["target=db", "count=many"],
            r#"validation failed: (root).count : must be of type integer, given "many""#,
        ),
        (
            vec!["count=2"],
            r#"validation failed: (root) : "target" property is missing and required, given {"count":2}"#,
        ),
        (
            vec!["target=db", "colour=red"],
            r#"validation failed: (root) : additional property "colour" is not allowed, given {"colour":"red","target":"db"}"#,
        ),
    ];
    for (params, want) in cases {
        let (code, _, err) = run_report(&params);
        assert_eq!(code, 2, "{params:?}: {err}");
        assert!(err.contains(want), "{params:?}: {err}");
    }
}
