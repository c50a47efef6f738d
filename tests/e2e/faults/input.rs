//! Class 8: input that must be refused. Each case goes through the real
//! CLI: exit 2, the reason (and for a State the field path) named on
//! stderr, and nothing run — no output State, no report, no hook line.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::json;

use crate::common::{Scratch, built, charmbox};

const CHARM: &str = "tests/charms/misbehave";

/// A fresh scratch directory for one case.
fn scratch(case: &str) -> Scratch {
    Scratch::new("charmbox-faults-input", case)
}

/// The misbehave component beside a charmcraft.yaml that also declares a
/// container, a storage, a resource and a regular endpoint, in `dir`.
fn rich_charm(dir: &Path) -> PathBuf {
    let built = built(CHARM);
    let wasm = dir.join("misbehave.wasm");
    std::fs::copy(built.join("misbehave.wasm"), &wasm).unwrap();
    std::fs::write(
        dir.join("charmcraft.yaml"),
        "name: misbehave\ntype: charm\n\
         peers:\n  peers:\n    interface: misbehave_peers\n\
         requires:\n  db:\n    interface: pgsql\n\
         containers:\n  web:\n    resource: web-image\n\
         storage:\n  data:\n    type: filesystem\n\
         resources:\n  web-image:\n    type: oci-image\n\
         config:\n  options:\n    mode:\n      type: string\n      default: ok\n",
    )
    .unwrap();
    wasm
}

/// `charmbox run --event start` with `extra` args: exit 2, stderr holding
/// each of `reasons`, and nothing run.
fn refused(case: &str, charm: &Path, extra: &[&str], reasons: &[&str]) -> String {
    let dir = scratch(&format!("{case}-run"));
    let out = dir.join("out.json");
    let report = dir.join("report.json");
    let mut args = vec![
        "run",
        "--charm",
        charm.to_str().unwrap(),
        "--event",
        "start",
        "--out",
        out.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let t = Instant::now();
    let (code, stdout, stderr) = charmbox(&args);
    println!("{case}: {:?}: {}", t.elapsed(), stderr.trim());
    assert_eq!(code, 2, "{case}: {stdout}{stderr}");
    for r in reasons {
        assert!(stderr.contains(r), "{case}: {r:?} not in: {stderr}");
    }
    assert!(!out.exists() && !report.exists(), "{case}: something ran");
    assert!(
        !stderr.contains("start: "),
        "{case}: the hook ran: {stderr}"
    );
    stderr
}

/// A State case: `state` written to a file and run on the rich charm.
fn refused_state(case: &str, state: &serde_json::Value, reasons: &[&str]) {
    let dir = scratch(case);
    let charm = rich_charm(&dir);
    let file = dir.join("state.json");
    std::fs::write(&file, state.to_string()).unwrap();
    refused(case, &charm, &["--state", file.to_str().unwrap()], reasons);
}

#[test]
fn a_good_state_on_the_rich_charm_runs() {
    // The baseline the refusals below differ from: a test that cannot fail
    // would be worthless.
    let dir = scratch("baseline");
    let charm = rich_charm(&dir);
    let file = dir.join("state.json");
    let state = json!({
        "unit": "misbehave/1",
        "opened_ports": [{"protocol": "tcp", "port": 80}, {"protocol": "icmp"}],
        "storages": [{"name": "data", "index": 0}],
        "resources": {"web-image": "/tmp/x"},
        "relations": [
            {"id": 0, "endpoint": "peers", "remote_units_data": {"0": {}, "2": {}}},
            {"id": 1, "endpoint": "db", "remote_app": "pg"}
        ],
        "secrets": [{"id": "secret:9m4e2mr0ui3e8a215n4g", "tracked": 1,
                     "revisions": [{"revision": 1, "content": {"pass": "x"}}]}],
        "containers": [{"name": "web", "can_connect": true,
                        "layers": [{"label": "base", "yaml": "services: {}\n"}],
                        "files": {"/etc": {"type": "directory"}, "/etc/x": {"content": "y"}},
                        "exec": [{"command": ["ls"], "duration": "2s"}]}]
    });
    std::fs::write(&file, state.to_string()).unwrap();
    let out = dir.join("out.json");
    let (code, stdout, stderr) = charmbox(&[
        "run",
        "--charm",
        charm.to_str().unwrap(),
        "--event",
        "start",
        "--state",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(out.exists());
}

#[test]
fn a_component_of_another_world_is_refused_at_load() {
    let dir = scratch("other-world");
    rich_charm(&dir);
    // Exports juju:charm/handler with a `dispatch` of another type.
    let wat = r#"(component
      (core module $m
        (memory (export "mem") 1)
        (func (export "dispatch") (param i32) (result i32) unreachable))
      (core instance $i (instantiate $m))
      (func $dispatch (param "event" u32) (result (result (error string)))
        (canon lift (core func $i "dispatch") (memory (core memory $i "mem"))))
      (instance $h (export "dispatch" (func $dispatch)))
      (export "juju:charm/handler@0.1.0" (instance $h)))"#;
    let wasm = dir.join("other.wasm");
    std::fs::write(&wasm, wat::parse_str(wat).unwrap()).unwrap();
    refused(
        "other-world",
        &wasm,
        &[],
        &["component of another world", "other.wasm"],
    );
    // The same, with a start function that traps: the handler's type is
    // checked from the component's type, not by instantiating it (the
    // dispatch then calls the export unchecked, so it must never be skipped).
    let trapping = wat.replace(
        "unreachable))",
        "unreachable)\n        (func $boom unreachable)\n        (start $boom))",
    );
    assert_ne!(trapping, wat);
    let wasm = dir.join("other-trapping.wasm");
    std::fs::write(&wasm, wat::parse_str(&trapping).unwrap()).unwrap();
    refused(
        "other-world",
        &wasm,
        &[],
        &[
            "component of another world",
            "type-checking export func `dispatch`",
        ],
    );
}

#[test]
fn files_that_are_not_components_are_refused() {
    let dir = scratch("not-components");
    rich_charm(&dir);
    let cases: [(&str, &[u8], &str); 4] = [
        ("empty.wasm", b"", "the file is empty"),
        (
            "random.wasm",
            &[0x13, 0x37, 0xff, 0x00, 0x42, 0x99, 0x10, 0x01],
            "not a WebAssembly binary",
        ),
        (
            "text.wasm",
            b"(component)",
            "WebAssembly text is read only from .wat files",
        ),
        (
            "module.wasm",
            b"\0asm\x01\0\0\0",
            "not a valid WebAssembly component",
        ),
    ];
    for (name, bytes, reason) in cases {
        let file = dir.join(name);
        std::fs::write(&file, bytes).unwrap();
        refused(name, &file, &[], &[reason, name]);
    }
}

#[test]
fn engine_flags_out_of_range_name_the_flag() {
    let charm = built(CHARM);
    refused(
        "memory-0",
        &charm,
        &["--max-memory-mib", "0"],
        &["--max-memory-mib"],
    );
    refused(
        "memory-huge",
        &charm,
        &["--max-memory-mib", "17592186044416"],
        &["--max-memory-mib"],
    );
    refused("fuel-0", &charm, &["--fuel", "0"], &["--fuel"]);
    refused(
        "state-0",
        &charm,
        &["--max-state-mib", "0"],
        &["--max-state-mib"],
    );
}

#[test]
fn a_state_file_over_its_limit_is_not_read_whole() {
    let dir = scratch("big-state");
    let file = dir.join("state.json");
    let filler = "x".repeat(2 << 20);
    std::fs::write(&file, json!({"workload_version": filler}).to_string()).unwrap();
    refused(
        "big-state",
        &built(CHARM),
        &["--state", file.to_str().unwrap(), "--max-state-mib", "1"],
        &["larger than 1 MiB", "--max-state-mib"],
    );
}

#[test]
fn states_of_the_wrong_shape_are_refused() {
    refused_state(
        "array",
        &json!([]),
        &["expected a JSON object, found an array"],
    );
    refused_state(
        "nested-array",
        &json!({"unit_status": ["active", "fine"]}),
        &["unit_status", "expected a JSON object"],
    );
    refused_state(
        "typo",
        &json!({"relations": [{"id": 0, "endpoint": "peers", "remote_unit_data": {}}]}),
        &["relations[0]", "unknown field `remote_unit_data`"],
    );
}

#[test]
fn states_juju_could_not_hold_are_refused_with_the_field_named() {
    let cases: Vec<(&str, serde_json::Value, Vec<&str>)> = vec![
        (
            "sctp",
            json!({"opened_ports": [{"protocol": "sctp", "port": 80}]}),
            vec!["opened_ports[0].protocol", "\"sctp\""],
        ),
        (
            "icmp-port",
            json!({"opened_ports": [{"protocol": "icmp", "port": 8}]}),
            vec!["opened_ports[0]", "icmp has no port"],
        ),
        (
            "k8s-range",
            json!({"opened_ports": [{"protocol": "tcp", "port": 80, "to_port": 90}]}),
            vec!["opened_ports[0].to_port", "k8s"],
        ),
        (
            "undeclared-storage",
            json!({"storages": [{"name": "logs", "index": 0}]}),
            vec!["storages[0].name", "\"logs\""],
        ),
        (
            "two-of-one-storage",
            json!({"storages": [{"name": "data", "index": 0}, {"name": "data", "index": 1}]}),
            vec!["storages", "at most 1"],
        ),
        (
            "other-app-unit",
            json!({"unit": "postgresql/0"}),
            vec!["unit", "\"postgresql/0\"", "\"misbehave\""],
        ),
        (
            "bad-secret-id",
            json!({"secrets": [{"id": "secret:nope", "revisions": [{"revision": 1, "content": {}}]}]}),
            vec!["secrets[0].id", "\"secret:nope\""],
        ),
        (
            "missing-tracked-revision",
            json!({"secrets": [{"id": "secret:9m4e2mr0ui3e8a215n4g", "tracked": 3,
                                "revisions": [{"revision": 1, "content": {}}]}]}),
            vec!["secrets[0].tracked", "revision 3 does not exist"],
        ),
        (
            "file-and-directory",
            json!({"containers": [{"name": "web", "files": {
                "/srv/app": {"content": "a file"}, "/srv/app/config": {"content": "x"}}}]}),
            vec![
                "containers[0].files./srv/app/config",
                "\"/srv/app\" is a file",
            ],
        ),
        (
            "layers-as-a-map",
            json!({"containers": [{"name": "web", "layers": {"base": {}}}]}),
            vec!["containers[0].layers", "expected a sequence"],
        ),
        (
            "layer-without-content",
            json!({"containers": [{"name": "web", "layers": [{"label": "base"}]}]}),
            vec!["containers[0].layers[0]", "\"layer\"", "\"yaml\""],
        ),
        (
            "duration-forever",
            json!({"containers": [{"name": "web", "exec": [{"command": ["sleep"], "duration": "forever"}]}]}),
            vec!["containers[0].exec[0].duration", "\"forever\""],
        ),
        (
            "undeclared-container",
            json!({"containers": [{"name": "db"}]}),
            vec!["containers[0].name", "not declared"],
        ),
        (
            "undeclared-resource",
            json!({"resources": {"other": "/tmp/x"}}),
            vec!["resources.other"],
        ),
        (
            "self-in-peers",
            json!({"unit": "misbehave/2", "relations": [
                {"id": 0, "endpoint": "peers", "remote_units_data": {"2": {}}}]}),
            vec!["relations[0].remote_units_data.2", "the unit itself"],
        ),
        (
            "unit-state-quota",
            json!({"unit_state": {"k": "v".repeat(70_000)}}),
            vec!["unit_state.k", "65536"],
        ),
        (
            "bad-address",
            json!({"networks": {"db": {"addresses": ["10.0.0.300"]}}}),
            vec!["networks.db.addresses[0]", "\"10.0.0.300\""],
        ),
        (
            "bad-now",
            json!({"now": "yesterday"}),
            vec!["now", "RFC 3339"],
        ),
        (
            "bad-status",
            json!({"unit_status": {"status": "happy", "message": ""}}),
            vec!["unit_status.status", "\"happy\""],
        ),
        (
            "bad-since",
            json!({"unit_status": {"status": "active", "message": "", "since": "noon"}}),
            vec!["unit_status.since", "RFC 3339"],
        ),
        (
            "bad-dying-unit",
            json!({"dying_units": ["not a unit"]}),
            vec!["dying_units.not a unit"],
        ),
    ];
    for (case, state, reasons) in &cases {
        refused_state(case, state, reasons);
    }
}

#[test]
fn too_many_relations_are_refused_before_anything_runs() {
    // 100,000 relations on the one peer endpoint: Juju makes exactly one.
    let peers: Vec<_> = (0..100_000)
        .map(|i| json!({"id": i, "endpoint": "peers"}))
        .collect();
    refused_state(
        "100k-peers",
        &json!({ "relations": peers }),
        &["relations", "1000"],
    );
    let two_peers: Vec<_> = (0..2)
        .map(|i| json!({"id": i, "endpoint": "peers"}))
        .collect();
    refused_state(
        "two-peers",
        &json!({ "relations": two_peers }),
        &[
            "relations[1]",
            "a second relation on peer endpoint \"peers\"",
        ],
    );
    let dbs: Vec<_> = (0..1_001)
        .map(|i| json!({"id": i, "endpoint": "db", "remote_app": format!("pg{i}")}))
        .collect();
    refused_state(
        "1001-relations",
        &json!({ "relations": dbs }),
        &["relations", "more than the 1000"],
    );
}

#[test]
fn traces_that_cannot_be_replayed_are_refused() {
    let dir = scratch("traces");
    let charm = built(CHARM);
    let trace = dir.join("good.jsonl");
    let out = dir.join("out.json");
    let (code, stdout, stderr) = charmbox(&[
        "run",
        "--charm",
        charm.to_str().unwrap(),
        "--event",
        "start",
        "--out",
        out.to_str().unwrap(),
        "--trace",
        trace.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let text = std::fs::read_to_string(&trace).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.contains(r#""version":2"#), "{header}");
    let replay = |name: &str, content: String, reason: &str| {
        let file = dir.join(name);
        std::fs::write(&file, content).unwrap();
        let (code, stdout, stderr) = charmbox(&[
            "replay",
            file.to_str().unwrap(),
            "--component",
            charm.to_str().unwrap(),
        ]);
        println!("{name}: {}", stderr.trim());
        assert_eq!(code, 2, "{name}: {stdout}{stderr}");
        assert!(
            stderr.contains(reason),
            "{name}: {reason:?} not in {stderr}"
        );
        assert!(!stdout.contains("identical"), "{name}: {stdout}");
    };
    replay(
        "string-version.jsonl",
        text.replacen(r#""version":2"#, r#""version":"2""#, 1),
        r#"version "2" is not supported"#,
    );
    replay(
        "header-only.jsonl",
        format!("{header}\n"),
        "holds no dispatch",
    );
    // The untouched trace replays: the refusals above are about the edits.
    let (code, stdout, stderr) = charmbox(&[
        "replay",
        trace.to_str().unwrap(),
        "--component",
        charm.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
}

#[test]
fn model_commands_asking_too_much_are_refused() {
    let charm = built(CHARM);
    let dir = scratch("model");
    let db = dir.join("m.db");
    let db = db.to_str().unwrap();
    let (code, _, err) = charmbox(&[
        "model",
        "-m",
        db,
        "deploy",
        charm.to_str().unwrap(),
        "-n",
        "4000000000",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("at most 10000"), "{err}");
    let (code, _, err) = charmbox(&["model", "-m", db, "deploy", charm.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = charmbox(&["model", "-m", db, "scale", "misbehave", "20000"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("at most 10000"), "{err}");
    let (code, _, err) = charmbox(&["model", "-m", db, "advance", "1000years"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("2262"), "{err}");
    let (code, out, err) = charmbox(&["model", "-m", db, "status"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("misbehave"), "{out}");
    // A file that is not a model.
    let junk = dir.join("junk.db");
    std::fs::write(&junk, b"not a database at all, just some bytes....").unwrap();
    let (code, _, err) = charmbox(&["model", "-m", junk.to_str().unwrap(), "status"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("junk.db"), "{err}");
}
