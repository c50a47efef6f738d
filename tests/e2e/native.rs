//! Native charms across the process boundary (docs/native.md): a shell charm
//! (tests/charms/shell-tools) calls hook tools through `charmbox-jujuc` and
//! the agent socket, and Pebble over its unix socket, in a private mount
//! namespace. Its tools must print byte for byte what the same calls print
//! in-process, make the same backend calls, and leave the same State; its
//! failures end as Juju words them; the sockets refuse what Juju refuses.

use crate::common;

use std::path::Path;
use std::time::{Duration, Instant};

use charmbox::backend::Backend;
use charmbox::backend::unit::UnitBackend;
use charmbox::engine::{Failure, Outcome};
use charmbox::event::EventSpec;
use charmbox::limits::HostLimits;
use charmbox::native::NativeCharm;
use charmbox::run::{RunOptions, RunReport, run_on};
use charmbox::state::State;
use charmbox::trace::format::{CallRecord, HostCall};
use charmbox::trace::{Header, Recorder, TraceWriter, read_trace};
use common::{fresh_target_tmp, root, state};
use serde_json::json;

const CHARM: &str = "tests/charms/shell-tools";

fn shell_state(mode: &str) -> State {
    state(json!({
        "leader": true,
        "config": {"mode": mode},
        "relations": [{
            "id": 1, "endpoint": "db", "remote_app": "db",
            "remote_units_data": {"0": {"host": "10.0.0.9"}},
            "remote_app_data": {"db": "main"}
        }],
        "containers": [{"name": "work", "can_connect": true}]
    }))
}

fn open(limits: HostLimits) -> NativeCharm {
    NativeCharm::open(&root().join(CHARM))
        .expect("the shell charm opens")
        .with_limits(limits)
}

fn run_native(
    charm: &NativeCharm,
    s: State,
    unit_dir: Option<&Path>,
    trace: Option<&Path>,
) -> (State, RunReport) {
    let mut writer = trace.map(|p| {
        let f = std::fs::File::create(p).unwrap();
        TraceWriter::new(Box::new(f), Header::for_native("shell-tools", s.seed)).unwrap()
    });
    let opts = RunOptions::default()
        .trace(writer.as_mut())
        .unit_dir(unit_dir);
    let out = run_on(charm, s, &EventSpec::named("install"), opts).expect("the event runs");
    if let Some(w) = writer.as_mut() {
        w.close().unwrap();
    }
    out
}

fn stdout(report: &RunReport) -> &str {
    &report
        .output
        .as_ref()
        .expect("a native run has output")
        .stdout
}

/// One step of the transcript: the tool's argv and what it printed.
#[derive(Debug, PartialEq)]
struct Step {
    argv: Vec<String>,
    output: String,
    code: i32,
}

/// Read the transcript the charm's `step` function prints.
fn transcript(text: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut rest = text;
    while let Some(after) = rest.strip_prefix("== ") {
        let (count, after) = after.split_once('\n').expect("a count line");
        let n: usize = count.parse().expect("an argument count");
        let mut after = after;
        let mut argv = Vec::new();
        for _ in 0..n {
            let (arg, more) = after.split_once('\n').expect("an argument line");
            argv.push(arg.to_string());
            after = more;
        }
        let end = after.find("\n== exit ").expect("an exit line");
        let output = after[..end].to_string();
        let (code, more) = after[end + 9..].split_once('\n').expect("an exit code");
        steps.push(Step {
            argv,
            output,
            code: code.parse().expect("a number"),
        });
        rest = more;
    }
    assert!(rest.is_empty(), "unparsed transcript: {rest:?}");
    steps
}

fn tool_calls(calls: &[CallRecord]) -> Vec<&CallRecord> {
    calls
        .iter()
        .filter(|c| matches!(c.call, HostCall::HookTools { .. }))
        .collect()
}

#[test]
fn tools_across_the_boundary_print_call_and_commit_as_in_process() {
    let charm = open(HostLimits::default());
    let dir = tempdir("tools");
    let trace = dir.join("native.jsonl");
    let (native_out, report) = run_native(&charm, shell_state("tools"), None, Some(&trace));
    assert_eq!(report.outcome, Outcome::Ok, "{report:?}");
    let steps = transcript(stdout(&report));
    assert!(steps.len() >= 25, "{steps:?}");

    // The same calls in-process, on a backend for the same State and event.
    let s = shell_state("tools");
    let resolved = EventSpec::named("install")
        .resolve(&charm.meta, &s)
        .unwrap();
    let backend = UnitBackend::new(charm.meta.clone(), s, &resolved).unwrap();
    let mut rec = Recorder::new(backend);
    let argv = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    charmbox::jujuc::run(&mut rec, &argv(&["config-get", "mode"]), b"").unwrap();
    for step in &steps {
        let stdin: &[u8] = if step.argv.ends_with(&["--file".into(), "-".into()]) {
            b"shell: yes\nnum: 1.10\n"
        } else {
            b""
        };
        let out = charmbox::jujuc::run(&mut rec, &step.argv, stdin).unwrap();
        let mut printed = out.stdout.clone();
        printed.extend_from_slice(&out.stderr);
        assert_eq!(
            (String::from_utf8_lossy(&printed).as_ref(), out.code),
            (step.output.as_str(), step.code),
            "{:?}",
            step.argv
        );
    }
    // Errors went through too, with Juju's exit codes.
    assert!(steps.iter().any(|s| s.code == 2), "{steps:?}");
    assert!(steps.iter().any(|s| s.code == 1), "{steps:?}");

    // The same backend calls, in the same order, with the same answers.
    let recorded = read_trace(&trace).unwrap();
    let (mut backend, calls) = rec.into_parts();
    assert_eq!(
        tool_calls(&recorded.dispatches[0].calls),
        tool_calls(&calls),
        "the native trace's calls"
    );
    // And the same State committed.
    backend.finish(true).unwrap();
    assert_eq!(native_out.to_json(), backend.into_state().to_json());
}

fn failure(report: &RunReport) -> &Failure {
    match &report.outcome {
        Outcome::Failed { failure } => failure,
        Outcome::Ok => panic!("expected a failure: {report:?}"),
    }
}

#[test]
fn failed_and_killed_hooks_end_in_gos_words_and_roll_back() {
    let charm = open(HostLimits::default());
    let before = shell_state("fail");
    let (out, report) = run_native(&charm, before.clone(), None, None);
    assert_eq!(
        failure(&report),
        &Failure::CharmError("exit status 3".into())
    );
    assert!(
        report
            .output
            .as_ref()
            .unwrap()
            .stderr
            .contains("failing on purpose")
    );
    // relation-set and state-set are rolled back (status-set is not
    // transactional in Juju).
    assert_eq!(out.relations, before.relations);
    assert!(out.unit_state.is_empty(), "{:?}", out.unit_state);
    assert_eq!(out.unit_status.status, "maintenance");

    let (_, report) = run_native(&charm, shell_state("signal"), None, None);
    assert_eq!(
        failure(&report),
        &Failure::CharmError("signal: killed".into())
    );
}

#[test]
fn a_hook_past_its_deadline_is_killed_and_a_flood_is_bounded() {
    let limits = HostLimits {
        deadline: Duration::from_secs(2),
        log_bytes: 4096,
        ..HostLimits::default()
    };
    let charm = open(limits);
    let t = Instant::now();
    let (_, report) = run_native(&charm, shell_state("hang"), None, None);
    assert!(
        matches!(failure(&report), Failure::DeadlineExceeded(m) if m.contains("2s")),
        "{report:?}"
    );
    // The hook (sleep 600) was killed, not waited for.
    assert!(t.elapsed() < Duration::from_secs(60), "{:?}", t.elapsed());

    let (out, report) = run_native(&charm, shell_state("flood"), None, None);
    assert_eq!(report.outcome, Outcome::Ok, "{report:?}");
    let output = report.output.as_ref().unwrap();
    assert_eq!(output.stdout.len(), 4096);
    assert_eq!(output.dropped, 50_000_000 - 4096);
    assert_eq!(out.unit_status.message, "flooded");
}

#[test]
fn sockets_are_private_and_forged_or_late_calls_are_refused() {
    let charm = open(HostLimits::default());
    let (_, report) = run_native(&charm, shell_state("perms"), None, None);
    assert_eq!(stdout(&report), "600\n700\n");

    let (out, report) = run_native(&charm, shell_state("wrong-context"), None, None);
    assert_eq!(stdout(&report), "exit 1\n", "{:?}", report.output);
    assert_eq!(
        report.output.as_ref().unwrap().stderr,
        "ERROR bad request: wrong context ID; got \"forged\"\n"
    );
    assert_eq!(out.unit_status.message, "genuine");

    let unit = tempdir("late");
    let (out, report) = run_native(&charm, shell_state("background"), Some(&unit), None);
    assert_eq!(report.outcome, Outcome::Ok, "{report:?}");
    assert_eq!(out.unit_status.message, "left a child");
    let late = unit.join("native/upper/late.txt");
    let deadline = Instant::now() + Duration::from_secs(30);
    let text = loop {
        match std::fs::read_to_string(&late) {
            Ok(t) if t.contains("exit ") => break t,
            _ if Instant::now() > deadline => panic!("the left-behind process never wrote"),
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    assert!(text.starts_with("ERROR dial unix "), "{text}");
    assert!(text.ends_with("exit 1\n"), "{text}");
}

#[test]
fn pebble_answers_on_the_containers_socket() {
    let charm = open(HostLimits::default());
    let (_, report) = run_native(&charm, shell_state("pebble"), None, None);
    assert_eq!(report.outcome, Outcome::Ok, "{report:?}");
    let steps = transcript(stdout(&report));
    assert_eq!(steps[0].code, 0, "{steps:?}");
    assert!(steps[0].output.starts_with("200 "), "{steps:?}");

    // A container whose Pebble cannot be reached closes the connection.
    let mut s = shell_state("pebble");
    s.containers[0].can_connect = false;
    let (_, report) = run_native(&charm, s, None, None);
    let steps = transcript(stdout(&report));
    assert_eq!(steps[0].code, 1, "{steps:?}");
    assert!(
        steps[0].output.contains("RemoteDisconnected")
            || steps[0].output.contains("ConnectionResetError"),
        "{steps:?}"
    );
}

/// A hook holding hundreds of idle connections to its Pebble socket: the
/// host serves a bounded number at once (the rest wait in the backlog),
/// and its hook tools, served apart, still answer at once.
#[test]
fn idle_pebble_connections_do_not_stop_the_tools() {
    // A deadline shorter than the 30 s an idle connection may wait for its
    // request: tools queued behind the idle connections would miss it.
    let charm = open(HostLimits {
        deadline: Duration::from_secs(20),
        ..HostLimits::default()
    });
    let (out, report) = run_native(&charm, shell_state("conn-flood"), None, None);
    assert_eq!(report.outcome, Outcome::Ok, "{report:?}");
    let held: usize = out
        .unit_status
        .message
        .strip_prefix("tools answer with ")
        .and_then(|m| m.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{:?}", out.unit_status));
    assert!(held > 256, "more than the host serves at once: {held}");
}

#[test]
fn the_charm_directory_keeps_what_a_hook_wrote_in_the_unit_directory() {
    let charm = open(HostLimits::default());
    let unit = tempdir("files");
    let (_, first) = run_native(&charm, shell_state("files"), Some(&unit), None);
    assert!(!stdout(&first).contains("kept"), "{first:?}");
    let (_, second) = run_native(&charm, shell_state("files"), Some(&unit), None);
    assert!(stdout(&second).ends_with("kept\n"), "{second:?}");
    // The charm's source directory is untouched.
    assert!(!root().join(CHARM).join("note.txt").exists());
    assert!(unit.join("native/upper/note.txt").is_file());
}

fn tempdir(name: &str) -> std::path::PathBuf {
    fresh_target_tmp(&format!("native-{name}"))
}
