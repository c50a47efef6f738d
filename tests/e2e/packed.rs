//! Packed charms (docs/juju.md): `charmbox pack` makes a .charm whose
//! `dispatch` is charmbox's host without the compiler. With no Juju
//! controller here, the unpacked charm runs through the native runner —
//! its `dispatch` as the hook's process, the hook tools as executables on
//! PATH, each container's Pebble on its socket — and must leave the same
//! State and make the same hook-tool calls as `charmbox run` of its
//! component; its own traces replay at home.

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use charmbox::engine::Outcome;
use charmbox::event::EventSpec;
use charmbox::native::NativeCharm;
use charmbox::pack::{PackOptions, find_host, pack};
use charmbox::run::InRuntime;
use charmbox::run::{Charm, RunOptions, RunReport, run_on};
use charmbox::state::State;
use charmbox::trace::format::{CallRecord, HostCall};
use charmbox::trace::{Header, TraceWriter, read_trace};
use common::{Scratch, root, runtime, state};
use serde_json::json;

fn tempdir(tag: &str) -> Scratch {
    Scratch::new("charmbox-packed", tag)
}

/// The charm at `rel` packed once per test process, and unpacked (as Juju
/// unpacks it) under cargo's directory for tests' files, where the next
/// run's packing replaces it.
fn packed(rel: &str) -> PathBuf {
    static DONE: OnceLock<Mutex<Vec<(String, PathBuf)>>> = OnceLock::new();
    let done = DONE.get_or_init(|| Mutex::new(Vec::new()));
    let mut done = done.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, d)) = done.iter().find(|(r, _)| r == rel) {
        return d.clone();
    }
    let tag = rel.replace('/', "-");
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("packed-{tag}"));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    let out = base.join("c.charm");
    let opts = PackOptions {
        out: Some(out.clone()),
        host: Some(find_host().expect("scripts/build-dispatch-host.sh has built the packed host")),
        build: charmbox::build::BuildOptions {
            release: true,
            quiet: true,
            ..Default::default()
        },
        ..Default::default()
    };
    let report = pack(&root().join(rel), &opts).unwrap_or_else(|e| panic!("packing {rel}: {e}"));
    assert_eq!(report.charm, out);
    let dir = base.join("unpacked");
    charmbox::pack::unpack(&out, &dir).unwrap();
    done.push((rel.to_string(), dir.clone()));
    dir
}

/// The charm's hook-tool calls. A tool run as a process reaches the State
/// backend through charmbox's jujuc rules, which look up the endpoint of a
/// numeric `-r` (`relation-endpoint`) and the hook's relation: those
/// lookups are the parser's, not the charm's, and are left out.
fn tool_calls(calls: &[CallRecord]) -> Vec<CallRecord> {
    use charmbox::backend::HookCall;
    calls
        .iter()
        .filter(|c| match &c.call {
            HostCall::HookTools { call } => !matches!(
                call,
                HookCall::RelationEndpoint { .. } | HookCall::HookRelation
            ),
            _ => false,
        })
        .cloned()
        .collect()
}

/// Run `spec` on `s` with a trace; the output State, the report, the calls.
fn traced<D: charmbox::run::Dispatcher>(
    d: &D,
    s: State,
    spec: &EventSpec,
    unit_dir: &Path,
    name: &str,
) -> (State, RunReport, Vec<CallRecord>) {
    static TRACES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = TRACES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let scratch = tempdir(&format!("trace-{n}"));
    let file = scratch.join(format!("{name}.jsonl"));
    let mut w = TraceWriter::new(
        Box::new(std::fs::File::create(&file).unwrap()),
        Header::for_native(name, s.seed),
    )
    .unwrap();
    let opts = RunOptions::default()
        .trace(Some(&mut w))
        .unit_dir(Some(unit_dir));
    let (out, report) = run_on(d, s, spec, opts).expect("the event runs");
    w.close().unwrap();
    let calls = read_trace(&file).unwrap().dispatches.remove(0).calls;
    (out, report, calls)
}

/// Each event through the component and through the packed `dispatch`:
/// the same outcome, State and hook-tool calls. Returns the unit directory
/// of the packed runs (its traces) and the last State.
fn same_both_ways(rel: &str, mut s: State, events: &[EventSpec]) -> (Scratch, State) {
    let dir = packed(rel);
    let rt = runtime();
    let charm = Charm::open(&rt, &dir).expect("the unpacked charm opens as a component");
    let native = NativeCharm::open(&dir).expect("the unpacked charm opens natively");
    static RUNS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tag = format!("{}-{n}", rel.replace('/', "-"));
    let (comp_unit, packed_unit) = (tempdir(&format!("{tag}-cu")), tempdir(&format!("{tag}-pu")));
    let component = InRuntime {
        rt: &rt,
        charm: &charm,
    };
    for spec in events {
        let (a, ra, ca) = traced(&component, s.clone(), spec, &comp_unit, "component");
        let (b, rb, cb) = traced(&native, s.clone(), spec, &packed_unit, "packed");
        assert_eq!(ra.outcome, Outcome::Ok, "{}: component: {ra:?}", spec.name);
        assert_eq!(rb.outcome, Outcome::Ok, "{}: packed: {rb:?}", spec.name);
        assert_eq!(
            tool_calls(&cb),
            tool_calls(&ca),
            "{}: the hook-tool calls",
            spec.name
        );
        assert_eq!(b.to_json(), a.to_json(), "{}: the output State", spec.name);
        s = a;
    }
    (packed_unit, s)
}

/// The packed charm's own traces, oldest first.
fn own_traces(unit: &Path) -> Vec<PathBuf> {
    let dir = unit.join("native/upper/.charmbox/traces");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "trace"))
        .collect();
    files.sort();
    files
}

fn peer(leader: bool) -> State {
    state(json!({
        "leader": leader,
        "relations": [{"id": 3, "endpoint": "fastapi-peer", "local_app_data": {}}]
    }))
}

fn events(names: &[&str]) -> Vec<EventSpec> {
    names.iter().map(|n| EventSpec::named(n)).collect()
}

#[test]
fn packed_peer_counter_runs_as_its_component_and_its_traces_replay() {
    let evs = events(&[
        "install",
        "leader-elected",
        "config-changed",
        "start",
        "start",
        "update-status",
    ]);
    let (unit, out) = same_both_ways("examples/peer-counter", peer(true), &evs);
    let stats = &out.relation(3).unwrap().local_app_data["unit_stats"];
    assert!(
        stats.contains("\"started_counter\": 2") || stats.contains("\"started_counter\":2"),
        "{stats}"
    );
    same_both_ways(
        "examples/peer-counter",
        peer(false),
        &events(&["start", "update-status"]),
    );

    // One trace per dispatch, each replaying exactly with the component.
    let traces = own_traces(&unit);
    assert_eq!(traces.len(), evs.len(), "{traces:?}");
    let rt = runtime();
    let charm = Charm::open(&rt, &packed("examples/peer-counter")).unwrap();
    let mut calls = 0;
    for t in &traces {
        let trace = read_trace(t).unwrap();
        assert_eq!(trace.header.component, charm.component.hash);
        assert_eq!(trace.header.recorded_by.as_deref(), Some("juju-unit-agent"));
        for r in charmbox::trace::replay::replay_exact(&rt, &charm, &trace) {
            assert!(
                r.divergence.is_none(),
                "{}: {:?}",
                t.display(),
                r.divergence
            );
            calls += r.calls;
        }
    }
    assert!(calls > 10, "{calls}");

    // Against the same charm, every dispatch is the same; against a
    // changed one (another log line), the start shows where it differs.
    let start = read_trace(&traces[3]).unwrap();
    assert_eq!(start.dispatches[0].start.name, "start");
    let same = charmbox::trace::replay::replay_against(&rt, &charm, &start);
    assert!(same.iter().all(|c| c.same()), "{same:?}");
    let changed = changed_peer_counter();
    let changed = Charm::open(&rt, &changed).unwrap();
    let cmp = charmbox::trace::replay::replay_against(&rt, &changed, &start);
    let calls = cmp[0].calls.as_ref().expect("the calls differ");
    assert!(
        calls
            .diff
            .contains("-    \"message\": \"started_counter is now 1\""),
        "{}",
        calls.diff
    );
    assert!(
        calls
            .diff
            .contains("+    \"message\": \"the counter is now 1\""),
        "{}",
        calls.diff
    );
    assert!(cmp[0].outcome.is_none(), "{cmp:?}");
}

/// peer-counter with its log line changed, built.
fn changed_peer_counter() -> Scratch {
    let dir = tempdir("changed-peer-counter");
    let from = root().join("examples/peer-counter");
    for f in ["Cargo.toml", "Cargo.lock", "charmcraft.yaml"] {
        std::fs::copy(from.join(f), dir.join(f)).unwrap();
    }
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let lib = std::fs::read_to_string(from.join("src/lib.rs")).unwrap();
    let lib = lib.replace("\"started_counter is now {}\"", "\"the counter is now {}\"");
    std::fs::write(dir.join("src/lib.rs"), lib).unwrap();
    let toml = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    let sdk = root().join("guest-sdk").display().to_string();
    std::fs::write(
        dir.join("Cargo.toml"),
        toml.replace("../../guest-sdk", &sdk),
    )
    .unwrap();
    charmbox::build::build_charm(
        &dir,
        &charmbox::build::BuildOptions {
            release: true,
            quiet: true,
            ..Default::default()
        },
    )
    .expect("the changed charm builds");
    dir
}

#[test]
fn packed_pause_drives_pebble_over_its_socket_as_its_component_does() {
    let s = state(json!({"containers": [{"name": "pause", "can_connect": true}]}));
    let mut changed = EventSpec::named("config-changed");
    changed.name = "config-changed".into();
    let (_, out) = same_both_ways("examples/pause", s, &events(&["pause-pebble-ready"]));
    let svc = &serde_json::to_value(&out.containers[0]).unwrap()["services"]["pause"];
    assert_eq!(svc["current"], "active", "{svc}");
    let mut s = out;
    s.config.insert("timeout".into(), json!(5));
    same_both_ways("examples/pause", s, &[changed]);
    // No Pebble: the charm waits, as with its component.
    let s = state(json!({"containers": [{"name": "pause", "can_connect": false}]}));
    same_both_ways("examples/pause", s, &events(&["config-changed"]));
}

#[test]
fn packed_python_charm_keeps_its_stored_state_in_the_charm_directory() {
    let evs = events(&["install", "leader-elected", "start", "start"]);
    let (unit, _) = same_both_ways("examples/peer-counter-py", peer(true), &evs);
    // ops' unit state lives in the charm directory's writable layer.
    assert!(unit.join("native/upper/.charmbox/unit").is_dir());
    let traces = own_traces(&unit);
    assert_eq!(traces.len(), evs.len());
    let rt = runtime();
    let charm = Charm::open(&rt, &packed("examples/peer-counter-py")).unwrap();
    // The first dispatch replays exactly. A later one of a Python charm
    // also reads ops' state from the unit's disk, which a trace does not
    // hold (docs/juju.md): it replays with that directory only.
    let trace = read_trace(&traces[0]).unwrap();
    for r in charmbox::trace::replay::replay_exact(&rt, &charm, &trace) {
        assert!(r.divergence.is_none(), "{:?}", r.divergence);
    }
}

/// Run the unpacked charm's `dispatch` as Juju would, with `env` over a
/// minimal Juju environment and no hook tools: (exit code, stderr).
fn dispatch_alone(dir: &Path, extra: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = std::process::Command::new(dir.join("dispatch"));
    cmd.env_clear()
        .current_dir(dir)
        .env("JUJU_CHARM_DIR", dir)
        .env("JUJU_DISPATCH_PATH", "hooks/install")
        .env("JUJU_HOOK_NAME", "install")
        .env("JUJU_UNIT_NAME", "peer-counter/0")
        .env("JUJU_MODEL_NAME", "m")
        .env("JUJU_MODEL_UUID", "u")
        .env("JUJU_VERSION", "3.6.4")
        .env("PATH", "/nonexistent");
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A copy of the unpacked peer-counter to break.
fn copy_of_packed(tag: &str) -> Scratch {
    let from = packed("examples/peer-counter");
    let to = tempdir(tag);
    let status = std::process::Command::new("cp")
        .args([
            "-a",
            &format!("{}/.", from.display()),
            &to.display().to_string(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    to
}

#[test]
fn the_packed_host_has_no_compiler_and_refuses_foreign_precompiled_code() {
    let dir = copy_of_packed("refusals");
    let info = std::process::Command::new(dir.join("dispatch"))
        .arg("--charmbox-host-info")
        .output()
        .unwrap();
    let info: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(info["compiler"], json!(false), "{info}");

    // The component itself in place of the precompiled one: it would have
    // to be compiled, and the host cannot.
    let cwasm = dir.join("charmbox/charm.cwasm");
    let good = std::fs::read(&cwasm).unwrap();
    std::fs::copy(dir.join("peer-counter.wasm"), &cwasm).unwrap();
    let (code, err) = dispatch_alone(&dir, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("this charmbox host has no compiler"), "{err}");
    // The tool is missing from PATH: said, not hidden.
    assert!(err.contains("charmbox: cannot run the charm"), "{err}");

    // Precompiled by another wasmtime build: the engine section names
    // wasmtime's major version before the target.
    let version = b"\x0248\x18x86_64-unknown-linux-gnu";
    let at = good
        .windows(version.len())
        .position(|w| w == version)
        .expect("the cwasm names its wasmtime version");
    let mut other = good.clone();
    other[at + 1..at + 3].copy_from_slice(b"47");
    std::fs::write(&cwasm, &other).unwrap();
    let (code, err) = dispatch_alone(&dir, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("not precompiled for this charmbox host"),
        "{err}"
    );
    assert!(err.contains("47"), "{err}");

    // Precompiled with other engine settings (no fuel metering).
    let engine = wasmtime::Engine::new(wasmtime::Config::new().consume_fuel(false)).unwrap();
    let bytes = std::fs::read(dir.join("peer-counter.wasm")).unwrap();
    std::fs::write(&cwasm, engine.precompile_component(&bytes).unwrap()).unwrap();
    let (code, err) = dispatch_alone(&dir, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("not precompiled for this charmbox host"),
        "{err}"
    );

    // Back to the good one: a Juju version it was not made for.
    std::fs::write(&cwasm, &good).unwrap();
    let (code, err) = dispatch_alone(&dir, &[("JUJU_VERSION", "2.9.44")]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("JUJU_VERSION \"2.9.44\" is not supported"),
        "{err}"
    );
    // And the right one, with no tools on PATH: the hook fails naming the tool.
    let start = [
        ("JUJU_DISPATCH_PATH", "hooks/start"),
        ("JUJU_HOOK_NAME", "start"),
    ];
    let (code, err) = dispatch_alone(&dir, &start);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("is not on PATH"), "{err}");
}

#[test]
fn pack_refuses_what_it_cannot_build() {
    let e = pack(
        &root().join("examples/peer-counter"),
        &PackOptions {
            platforms: vec!["ubuntu@22.04:s390x".into()],
            ..Default::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("cannot build for platform \"s390x\""), "{e}");
}

#[test]
fn a_packed_machine_charm_runs_only_the_commands_its_pack_grants() {
    // The grant is written into pack.json; only declared programs.
    let dir = root().join("examples/openssh");
    let e = pack(
        &dir,
        &PackOptions {
            grant_commands: vec!["rm".into()],
            ..Default::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("does not declare \"rm\"") && e.contains("apt-get, systemctl"),
        "{e}"
    );
    let e = pack(
        &root().join("examples/openssh-py"),
        &PackOptions {
            grant_dirs: vec!["/etc".into()],
            ..Default::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("--grant-dir /etc: the charm does not declare \"/etc\"")
            && e.contains("/etc/ssh/sshd_config.d"),
        "{e}"
    );
    let granted = tempdir("openssh-granted");
    let out = granted.join("c.charm");
    let opts = PackOptions {
        out: Some(out.clone()),
        host: Some(find_host().unwrap()),
        grant_commands: vec!["systemctl".into(), "systemctl".into()],
        grant_loopback_ports: vec![8080, 80, 8080],
        build: charmbox::build::BuildOptions {
            release: true,
            quiet: true,
            ..Default::default()
        },
        ..Default::default()
    };
    pack(&dir, &opts).unwrap();
    let unpacked = tempdir("openssh-granted-unpacked");
    charmbox::pack::unpack(&out, &unpacked).unwrap();
    let info = charmbox::pack::info::PackInfo::read(&unpacked).unwrap();
    assert_eq!(info.granted_commands, ["systemctl"]);
    assert_eq!(info.granted_loopback_ports, [80, 8080]);
    // Packed without grants, the install's apt-get is refused on the
    // machine itself, saying how to grant it; the refusal is recorded and
    // the trace replays.
    let packed_dir = packed("examples/openssh");
    let native = NativeCharm::open(&packed_dir).unwrap();
    let unit = tempdir("openssh-ungranted-unit");
    let install = EventSpec::named("install");
    let (_, report, _) = traced(&native, State::default(), &install, &unit, "packed");
    assert!(!report.outcome.is_ok());
    // The reason reaches juju-log, as Juju shows a failed hook's.
    let why = format!("{:?}", report.logs);
    assert!(
        why.contains("not granted on this machine")
            && why.contains("charmbox pack --grant-command apt-get"),
        "{why}"
    );
    let traces = own_traces(&unit);
    let trace = read_trace(traces.last().unwrap()).unwrap();
    assert!(
        trace.dispatches[0]
            .calls
            .iter()
            .any(|c| matches!(c.call, HostCall::Machine { .. })),
        "the refused command is in the packed charm's own trace"
    );
    let rt = runtime();
    let charm = Charm::open(&rt, &packed_dir).unwrap();
    for r in charmbox::trace::replay::replay_exact(&rt, &charm, &trace) {
        assert!(r.divergence.is_none(), "{:?}", r.divergence);
    }
}

/// A stand-in workload on 127.0.0.1:8000 for misbehave's `workload-http`:
/// `/version` answers 200 with text, anything else 404; one request per
/// connection, as the host's requests ask (`Connection: close`).
fn serve_workload(listener: std::net::TcpListener) {
    use std::io::{Read, Write};
    for conn in listener.incoming() {
        let Ok(mut conn) = conn else { continue };
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && head.len() < 65536 {
            match conn.read(&mut byte) {
                Ok(1) => head.push(byte[0]),
                _ => break,
            }
        }
        let head = String::from_utf8_lossy(&head);
        let (status, body) = if head.starts_with("GET /version ") {
            ("200 OK", "1.2.3\n")
        } else {
            ("404 Not Found", "no such page\n")
        };
        let _ = write!(
            conn,
            "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        );
    }
}

/// Under a unit agent, a charm's loopback requests reach the real workload
/// on the ports its pack grants, and no other; its trace replays them at
/// home without the workload.
#[test]
fn a_packed_charm_reaches_its_workload_only_on_the_loopback_ports_its_pack_grants() {
    let listener = std::net::TcpListener::bind("127.0.0.1:8000")
        .expect("this test needs 127.0.0.1:8000 free for its stand-in workload");
    std::thread::spawn(move || serve_workload(listener));
    let charm_dir = tempdir("misbehave-loopback");
    let out = charm_dir.join("c.charm");
    let opts = PackOptions {
        out: Some(out.clone()),
        host: Some(find_host().unwrap()),
        grant_loopback_ports: vec![8000],
        build: charmbox::build::BuildOptions {
            release: true,
            quiet: true,
            ..Default::default()
        },
        ..Default::default()
    };
    pack(&root().join("tests/charms/misbehave"), &opts).unwrap();
    let dir = tempdir("misbehave-loopback-unpacked");
    charmbox::pack::unpack(&out, &dir).unwrap();
    let native = NativeCharm::open(&dir).expect("the unpacked charm opens natively");
    let unit = tempdir("misbehave-loopback-unit");
    let s = state(json!({"config": {"mode": "workload-http"}}));
    let (out, report, calls) = traced(&native, s, &EventSpec::named("start"), &unit, "packed");
    assert_eq!(report.outcome, Outcome::Ok, "{report:?}");
    assert_eq!(out.workload_version, "1.2.3");
    // Port 9999 is not granted: refused before any connection is tried.
    assert_eq!(
        out.unit_status.message,
        "200 Some(\"text/plain\") Ok(404); loopback port 9999 is not granted to this charm \
         (pack it with `charmbox pack --grant-loopback-port 9999`)",
        "{calls:?}"
    );
    // The packed charm's own trace holds the workload's answers: it
    // replays exactly with the component, with nothing listening.
    let traces = own_traces(&unit);
    assert_eq!(traces.len(), 1, "{traces:?}");
    let trace = read_trace(&traces[0]).unwrap();
    // Each request connects first: /version, 9999 (refused at connect),
    // then /missing.
    let ports: Vec<u16> = (trace.dispatches[0].calls.iter())
        .filter_map(|c| match c.call {
            HostCall::Loopback { port, .. } => Some(port),
            _ => None,
        })
        .collect();
    assert_eq!(ports, [8000, 8000, 9999, 8000, 8000]);
    let rt = runtime();
    let charm = Charm::open(&rt, &dir).unwrap();
    for r in charmbox::trace::replay::replay_exact(&rt, &charm, &trace) {
        assert!(r.divergence.is_none(), "{:?}", r.divergence);
    }
}
