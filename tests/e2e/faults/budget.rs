//! Class 4, host memory: a guest floods something the host holds for it
//! (log lines, Pebble files, relation data, secrets, bytes through calls, a
//! Python charm's /tmp) and is refused at the host's limit with an error
//! naming it; the committed state is unchanged and the host goes on. The
//! worst cases run as child `charmbox run` processes, whose peak memory
//! and time are printed (not asserted).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use charmbox::charm::CharmMeta;
use charmbox::engine::{Failure, Outcome, Runtime};
use charmbox::event::EventSpec;
use charmbox::limits::{DEFAULT_LOG_BYTES, DEFAULT_PEBBLE_FS_BYTES, HostLimits};
use charmbox::run::{Charm, RunOptions, run_event_with};
use charmbox::state::State;
use serde_json::json;

use crate::common::*;
use crate::report::measured;

pub const RUST: &str = "tests/charms/misbehave";
const PY: &str = "tests/charms/misbehave-py";

/// A leader with a peer relation, running `mode` with `calls` calls of
/// `size` MiB.
pub fn flood(mode: &str, calls: u64, size: u64) -> State {
    state(json!({
        "leader": true,
        "config": {"mode": mode, "calls": calls, "size": size},
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

/// [`flood`], with a reachable `workload` container (for [`with_container`]).
fn flood_in_container(mode: &str, calls: u64, size: u64) -> State {
    let mut s = flood(mode, calls, size);
    s.containers = serde_json::from_value(json!([{"name": "workload", "can_connect": true}]))
        .expect("a container");
    s
}

/// The failure of a failed hook.
pub fn failure(o: &Outcome) -> &Failure {
    match o {
        Outcome::Failed { failure } => failure,
        Outcome::Ok => panic!("expected a failed hook"),
    }
}

/// The charm error's message (panics on another failure).
pub fn charm_error(o: &Outcome) -> &str {
    match failure(o) {
        Failure::CharmError(m) => m,
        other => panic!("expected a charm error, got {other:?}"),
    }
}

/// A directory holding the misbehave component under metadata that
/// declares a `workload` container (its own charmcraft.yaml does not, so
/// that the simulator's tests see no pebble-ready hooks).
pub fn with_container() -> PathBuf {
    let src = built(RUST);
    let dir = target_tmp("faults-budget");
    let yaml = std::fs::read_to_string(src.join("charmcraft.yaml")).unwrap()
        + "\ncontainers:\n  workload:\n    resource: workload-image\n\
           resources:\n  workload-image:\n    type: oci-image\n";
    std::fs::write(dir.join("charmcraft.yaml"), yaml).unwrap();
    std::fs::copy(src.join("misbehave.wasm"), dir.join("misbehave.wasm")).unwrap();
    dir
}

fn open(rt: &Runtime, dir: &Path) -> Charm {
    let meta = CharmMeta::load_dir(dir).expect("metadata");
    Charm {
        meta: Arc::new(meta),
        component: rt.load(&dir.join("misbehave.wasm")).expect("component"),
        dir: dir.to_path_buf(),
    }
}

/// The host is alive: the same runtime and component run a good event.
pub fn still_serves(rt: &Runtime, charm: &Charm) {
    let input = if charm.meta.containers.is_empty() {
        flood("ok", 0, 0)
    } else {
        flood_in_container("ok", 0, 0)
    };
    let (_, report) = run(rt, charm, input, "start");
    assert_eq!(report.outcome, Outcome::Ok);
}

/// Write `state` to a temporary file for a child `charmbox run`.
pub fn state_file(name: &str, s: &State) -> PathBuf {
    let p = target_tmp("faults-states").join(format!("{name}.json"));
    std::fs::write(&p, s.to_json()).unwrap();
    p
}

#[test]
fn a_log_flood_is_refused_at_the_log_budget() {
    let rt = runtime();
    let charm = charm(&rt, RUST);
    let input = flood("log-flood", 10_000, 1);
    let t = Instant::now();
    let (out, report) = run(&rt, &charm, input.clone(), "start");
    println!("log flood: {:.2} s", t.elapsed().as_secs_f64());
    let m = charm_error(&report.outcome);
    assert!(
        m.contains("--max-log-mib") && m.starts_with("juju-log #"),
        "{m}"
    );
    let logged: usize = report.logs.iter().map(|l| l.message.len()).sum();
    assert!(logged <= DEFAULT_LOG_BYTES, "{logged}");
    assert!(report.logs.len() >= 15, "the first lines were logged");
    assert_eq!(
        (out.relations, out.unit_state),
        (input.relations, input.unit_state)
    );
    still_serves(&rt, &charm);
}

#[test]
fn a_push_flood_is_refused_when_the_container_filesystem_is_full() {
    let rt = runtime();
    let dir = with_container();
    let charm = open(&rt, &dir);
    let input = flood_in_container("push-flood", 10_000, 1);
    let t = Instant::now();
    let (out, report) = run(&rt, &charm, input.clone(), "start");
    println!("push flood: {:.2} s", t.elapsed().as_secs_f64());
    let m = charm_error(&report.outcome);
    assert!(m.contains("no space left on device"), "{m}");
    assert!(m.contains("--max-pebble-fs-mib"), "{m}");
    // The files pushed before are the workload's (Pebble is not part of the
    // hook's transaction), within the limit; the model data is untouched.
    let held = out.containers[0].files.len();
    assert!(
        held > 1 && held <= DEFAULT_PEBBLE_FS_BYTES >> 20,
        "{held} files"
    );
    assert_eq!(out.relations, input.relations);
    still_serves(&rt, &charm);
}

#[test]
fn a_huge_relation_value_is_refused_by_the_data_budget() {
    let rt = runtime();
    let charm = charm(&rt, RUST);
    let input = flood("huge-relation", 1, 64);
    let (out, report) = run(&rt, &charm, input.clone(), "start");
    let m = charm_error(&report.outcome);
    assert!(
        m.contains("--max-data-mib") && m.contains("unit's data"),
        "{m}"
    );
    assert_eq!(out.relations, input.relations);
    // Within the limit, the same value is accepted.
    let limits = HostLimits {
        data_bytes: 128 << 20,
        ..HostLimits::default()
    };
    let roomy = runtime_limited(2_000_000_000, 256 << 20, limits);
    let charm = common_charm(&roomy);
    let (out, report) = run(&roomy, &charm, input, "start");
    assert_eq!(report.outcome, Outcome::Ok);
    assert_eq!(
        out.relation(7).unwrap().local_unit_data["huge"].len(),
        64 << 20
    );
}

fn common_charm(rt: &Runtime) -> Charm {
    charm(rt, RUST)
}

#[test]
fn a_huge_secret_gets_jujus_own_error() {
    let rt = runtime();
    let charm = charm(&rt, RUST);
    let input = flood("huge-secret", 1, 2);
    let (out, report) = run(&rt, &charm, input.clone(), "start");
    let m = charm_error(&report.outcome);
    assert!(
        m.contains("base64 encoded secret content for key \"password\" too large: 2796204 bytes"),
        "{m}"
    );
    assert_eq!(out.secrets, input.secrets);
}

#[test]
fn bytes_through_host_calls_are_bounded_per_event() {
    // A 16 MiB status read back again and again: the I/O budget refuses the
    // 33rd read (512 MiB), long before the fuel would run out.
    let rt = runtime_with(100_000_000_000, 256 << 20);
    let charm = charm(&rt, RUST);
    let input = flood("status-get-loop", 1000, 16);
    let (out, report) = run(&rt, &charm, input.clone(), "start");
    let m = charm_error(&report.outcome);
    assert!(m.contains("--max-io-mib"), "{m}");
    println!(
        "status-get loop: {} MiB through host calls, {} fuel for host work",
        report.stats.io_bytes >> 20,
        report.stats.host_fuel
    );
    assert!(report.stats.io_bytes <= charmbox::limits::DEFAULT_IO_BYTES);
    assert_eq!(out.relations, input.relations);
}

#[test]
fn a_guest_asking_for_its_environment_in_a_loop_is_stopped_by_the_io_budget() {
    // Each `event.environment()` reply is charged to the I/O budget: with a
    // 1 MiB budget the loop is stopped long before its millionth call, and
    // by the budget, not the fuel.
    let limits = HostLimits {
        io_bytes: 1 << 20,
        ..HostLimits::default()
    };
    let rt = runtime_limited(100_000_000_000, 256 << 20, limits);
    let charm = charm(&rt, RUST);
    let input = flood("env-loop", 1_000_000, 0);
    let (out, report) = run(&rt, &charm, input.clone(), "start");
    println!(
        "environment loop: {} KiB through host calls, {} fuel ({} for host work)",
        report.stats.io_bytes >> 10,
        report.stats.fuel_used,
        report.stats.host_fuel
    );
    match failure(&report.outcome) {
        Failure::Trap(m) => assert!(m.contains("--max-io-mib"), "{m}"),
        other => panic!("expected the I/O budget to stop the guest, got {other:?}"),
    }
    assert!(report.stats.io_bytes <= 1 << 20);
    assert_eq!(out.relations, input.relations);
    assert_eq!(out.unit_status, input.unit_status);
    still_serves(&rt, &charm);
}

/// The dispatch environment is built only when the guest asks for it
/// (most events never do), and then it is Juju's list for the event.
#[test]
fn the_dispatch_environment_is_built_only_when_the_guest_asks_for_it() {
    use charmbox::backend::unit::UnitBackend;
    use charmbox::engine::{DispatchOptions, wasi_grants};
    let rt = runtime();
    let charm = charm(&rt, RUST);
    let dispatch = |calls: u64| {
        let state = flood("env-loop", calls, 0);
        let resolved = EventSpec::named("start")
            .resolve(&charm.meta, &state)
            .expect("start resolves");
        let grants = wasi_grants(
            &state,
            &resolved.event,
            resolved.env.clone(),
            Some(&charm.dir),
            &charm.meta,
        );
        let backend = UnitBackend::new(charm.meta.clone(), state, &resolved).expect("backend");
        let opts = DispatchOptions { grants, fuel: None };
        let (_, outcome, _) = charm
            .component
            .dispatch(&rt, backend, &resolved.event, &opts);
        assert!(outcome.is_ok(), "{outcome:?}");
        resolved.env
    };
    assert!(!dispatch(0).is_built(), "built though never asked for");
    let asked = dispatch(3);
    assert!(asked.is_built(), "asked for, yet not built");
    let get = |k: &str| {
        asked
            .list()
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(get("JUJU_DISPATCH_PATH").as_deref(), Some("hooks/start"));
    assert_eq!(get("JUJU_HOOK_NAME").as_deref(), Some("start"));
}

#[test]
fn a_python_charm_filling_tmp_gets_enospc_at_the_unit_directory_quota() {
    let rt = runtime();
    let charm = charm(&rt, PY);
    let unit_dir = target_tmp("faults-units").join("tmp-flood");
    let _ = std::fs::remove_dir_all(&unit_dir);
    let input = state(json!({
        "leader": true,
        "config": {"mode": "tmp-flood", "calls": 1536},
        "relations": [{"id": 7, "endpoint": "peers", "local_unit_data": {"u": "1"}}]
    }));
    let t = Instant::now();
    let (out, report) = run_event_with(
        &rt,
        &charm,
        input.clone(),
        &EventSpec::named("start"),
        RunOptions::default().unit_dir(Some(&unit_dir)),
    )
    .expect("event runs");
    println!("python /tmp flood: {:.2} s", t.elapsed().as_secs_f64());
    // Python's libc reports a refused stream write as EIO (it does not ask
    // for the filesystem error code, ENOSPC): the host notes its reason.
    let m = charm_error(&report.outcome);
    assert!(m.contains("OSError: [Errno"), "{m}");
    assert!(
        m.contains("[host refused: the unit's writable directories would take"),
        "the host's reason is noted: {m}"
    );
    assert!(m.contains("--max-unit-dir-mib"), "{m}");
    let flood = std::fs::metadata(unit_dir.join("tmp/flood")).map_or(0, |m| m.len());
    println!(
        "python /tmp flood: {} MiB written before the refusal",
        flood >> 20
    );
    assert!(flood <= charmbox::limits::DEFAULT_UNIT_DIR_BYTES, "{flood}");
    assert_eq!(out.relations, input.relations);
    std::fs::remove_dir_all(&unit_dir).unwrap();
}

#[test]
fn a_python_charm_making_tools_write_files_meets_the_same_quota() {
    let rt = runtime();
    let charm = charm(&rt, PY);
    let input = state(json!({
        "leader": true,
        "config": {"mode": "output-flood", "calls": 1000, "target": "x".repeat(512 << 10)},
        "relations": [{"id": 7, "endpoint": "peers", "local_unit_data": {"u": "1"}}]
    }));
    let (out, report) = run(&rt, &charm, input.clone(), "start");
    let m = charm_error(&report.outcome);
    assert!(m.contains("RuntimeError: config-get #"), "{m}");
    assert!(
        m.contains("no space left on device") && m.contains("--max-unit-dir-mib"),
        "{m}"
    );
    assert_eq!(out.relations, input.relations);
}

#[test]
fn the_worst_floods_keep_the_host_process_small() {
    // Child processes, one flood each, their peak memory printed.
    let dir = with_container();
    let cases: [(&str, &str, u64, u64); 3] = [
        ("juju-log 10,000 x 1 MiB", "log-flood", 10_000, 1),
        ("push 10,000 x 1 MiB", "push-flood", 10_000, 1),
        ("relation value 64 MiB", "huge-relation", 1, 64),
    ];
    for (label, mode, calls, size) in cases {
        let input = state_file(mode, &flood_in_container(mode, calls, size));
        let (code, err) = measured(
            label,
            &[
                "run",
                "--charm",
                dir.to_str().unwrap(),
                "--event",
                "start",
                "--state",
                input.to_str().unwrap(),
            ],
        );
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("start: hook failed:"), "{err}");
        std::fs::remove_file(input).unwrap();
    }
}
