//! Machine charms: commands on the unit's machine, declared by the charm,
//! granted by the run, answered by the simulated machine, recorded in
//! traces and replayed (docs/machine.md).

use crate::common;

use std::path::{Path, PathBuf};

use charmbox::engine::Outcome;
use common::*;

const SOURCES: &str =
    r#"{"openssh-server": {"version": "1:9.6p1-3ubuntu13", "services": ["ssh"]}}"#;

fn with_machine(granted: &[&str]) -> charmbox::state::State {
    let available: serde_json::Value = serde_json::from_str(SOURCES).unwrap();
    state(serde_json::json!({"machine": {"granted": granted, "available": available}}))
}

fn failure(outcome: &Outcome) -> String {
    format!("{outcome:?}")
}

#[test]
fn granted_commands_install_and_start_on_the_simulated_machine() {
    let rt = runtime();
    let charm = charm(&rt, "examples/openssh");
    let (s1, r1) = run(
        &rt,
        &charm,
        with_machine(&["apt-get", "systemctl"]),
        "install",
    );
    assert_eq!(r1.outcome, Outcome::Ok, "{:?}", r1.logs);
    assert_eq!(s1.machine.packages["openssh-server"], "1:9.6p1-3ubuntu13");
    let (s2, r2) = run(&rt, &charm, s1, "start");
    assert_eq!(r2.outcome, Outcome::Ok, "{:?}", r2.logs);
    assert_eq!(s2.unit_status.status, "active");
    let ran: Vec<String> = s2
        .machine
        .commands
        .iter()
        .map(|c| c.command.join(" "))
        .collect();
    assert_eq!(
        ran,
        [
            "apt-get install -y openssh-server",
            "systemctl enable --now ssh"
        ]
    );
}

#[test]
fn a_declared_command_not_granted_fails_the_hook_saying_how_to_grant_it() {
    let rt = runtime();
    let charm = charm(&rt, "examples/openssh");
    let (s, r) = run(&rt, &charm, with_machine(&["apt-get"]), "start");
    let why = failure(&r.outcome);
    assert!(
        why.contains("\\\"systemctl\\\" is declared by the charm but not granted"),
        "{why}"
    );
    assert!(why.contains("--grant-command systemctl"), "{why}");
    assert!(s.machine.commands.is_empty(), "nothing ran");
}

/// A copy of the openssh example whose charmcraft.yaml declares only
/// apt-get: systemctl is refused as not declared, even when granted.
fn declaring_only_apt_get() -> PathBuf {
    let src = built("examples/openssh");
    let dir = target_tmp("machine-apt-get");
    let yaml = std::fs::read_to_string(src.join("charmcraft.yaml")).unwrap();
    let yaml = yaml.replace("[apt-get, systemctl]", "[apt-get]");
    assert!(yaml.contains("machine-commands: [apt-get]\n"));
    std::fs::write(dir.join("charmcraft.yaml"), yaml).unwrap();
    std::fs::copy(src.join("openssh.wasm"), dir.join("openssh.wasm")).unwrap();
    dir
}

#[test]
fn an_undeclared_command_is_refused_even_when_granted() {
    let rt = runtime();
    let dir = declaring_only_apt_get();
    let charm = charmbox::engine::Charm::open(&rt, &dir).expect("open");
    let (_, r) = run(
        &rt,
        &charm,
        with_machine(&["apt-get", "systemctl"]),
        "start",
    );
    let why = failure(&r.outcome);
    assert!(why.contains("\\\"systemctl\\\" is not declared"), "{why}");
    assert!(why.contains("machine-commands"), "{why}");
    // apt-get, declared and granted, still runs.
    let (s, r) = run(
        &rt,
        &charm,
        with_machine(&["apt-get", "systemctl"]),
        "install",
    );
    assert_eq!(r.outcome, Outcome::Ok, "{:?}", r.logs);
    assert!(s.machine.packages.contains_key("openssh-server"));
}

#[test]
fn a_malformed_declaration_is_refused_naming_the_section() {
    for (bad, says) in [
        (
            "machine-commands: [/usr/bin/apt-get]",
            "is not a program name",
        ),
        (
            "machine-command: [apt-get]",
            "unknown field `machine-command`",
        ),
    ] {
        let yaml = format!("name: x\ncharmbox:\n  {bad}\n");
        let e = charmbox::charm::CharmMeta::parse(&yaml, "charmcraft.yaml").unwrap_err();
        assert!(e.to_string().contains(says), "{bad}: {e}");
    }
}

fn record(charm: &Path, dir: &Path, events: &[&str]) -> PathBuf {
    let input = dir.join("in.json");
    std::fs::write(&input, with_machine(&["apt-get", "systemctl"]).to_json()).unwrap();
    let trace = dir.join("t.jsonl");
    let _ = std::fs::remove_file(&trace);
    let mut args = vec!["run", "--charm", charm.to_str().unwrap()];
    args.extend(["--state", input.to_str().unwrap()]);
    for e in events {
        args.extend(["--event", e]);
    }
    args.extend(["--out", "/dev/null", "--trace", trace.to_str().unwrap()]);
    let (code, _, err) = charmbox(&args);
    assert_eq!(code, 0, "{err}");
    trace
}

#[test]
fn machine_commands_are_recorded_and_replay_identically() {
    let charm = built("examples/openssh").join("openssh.wasm");
    let dir = Scratch::new("charmbox-machine-trace", "t");
    let trace = record(&charm, &dir, &["install", "start", "config-changed"]);
    let text = std::fs::read_to_string(&trace).unwrap();
    assert!(
        text.contains(r#""machine""#),
        "the trace holds the commands"
    );
    let (code, out, err) = charmbox(&[
        "replay",
        trace.to_str().unwrap(),
        "--component",
        charm.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("replayed 3 dispatches"), "{out}");
    assert!(out.contains(": identical"), "{out}");
}

#[test]
fn a_machine_expectation_that_does_not_hold_fails_the_scenario() {
    let dir = built("examples/openssh").join("scenarios");
    let text = std::fs::read_to_string(dir.join("upgrade.yaml")).unwrap();
    let wrong = text.replace(
        "packages: {openssh-server: \"1:9.6p1-3ubuntu13.5\"}\n          services",
        "packages: {openssh-server: \"1:9.6p1-3ubuntu13\"}\n          services",
    );
    assert_ne!(wrong, text);
    let file = dir.join("wrong.yaml.tmp");
    std::fs::write(&file, wrong).unwrap();
    let (code, out, err) = charmbox(&["sim", file.to_str().unwrap()]);
    let _ = std::fs::remove_file(&file);
    assert_ne!(code, 0, "{out}");
    assert!(
        format!("{out}{err}")
            .contains("openssh/0: package openssh-server is Some(\"1:9.6p1-3ubuntu13.5\")"),
        "{out}{err}"
    );
}

const DROP_IN: &str = "/etc/ssh/sshd_config.d/50-charm.conf";

/// openssh-py installed and running, its `port` at `port`, its machine
/// holding `files`.
fn sshd_running(port: i64, files: serde_json::Value) -> serde_json::Value {
    let available: serde_json::Value = serde_json::from_str(SOURCES).unwrap();
    serde_json::json!({
        "config": {"port": port},
        "machine": {
            "granted": ["apt-get", "systemctl"],
            "available": available,
            "packages": {"openssh-server": "1:9.6p1-3ubuntu13"},
            "services": {"ssh": {"enabled": true, "active": "active"}},
            "files": files,
        }
    })
}

fn last_command(s: &charmbox::state::State) -> String {
    s.machine.commands.last().unwrap().command.join(" ")
}

#[test]
fn a_python_charm_writes_its_machine_directory_and_the_files_come_back() {
    use charmbox::state::machine::MachineFile;
    let rt = runtime();
    let charm = charm(&rt, "examples/openssh-py");
    let (s1, r1) = run(
        &rt,
        &charm,
        state(sshd_running(2222, serde_json::json!({}))),
        "config-changed",
    );
    assert_eq!(r1.outcome, Outcome::Ok, "{:?}", r1.logs);
    let want = "# Written by the openssh-py charm.\nPort 2222\n";
    assert_eq!(s1.machine.files[DROP_IN], MachineFile::Text(want.into()));
    assert_eq!(last_command(&s1), "systemctl restart ssh");
    // The file the charm reads back is the one it wrote: no restart.
    let (s2, r2) = run(&rt, &charm, s1, "config-changed");
    assert_eq!(r2.outcome, Outcome::Ok, "{:?}", r2.logs);
    assert_eq!(last_command(&s2), "systemctl is-active --quiet ssh");
    assert_eq!(s2.machine.files.len(), 1);
}

#[test]
fn machine_files_outside_the_declared_directories_are_refused_naming_the_field() {
    let rt = runtime();
    let charm = charm(&rt, "examples/openssh-py");
    let s = state(sshd_running(
        22,
        serde_json::json!({"/etc/passwd": "root:x:0:0"}),
    ));
    let e = charmbox::run::run_event(
        &rt,
        &charm,
        s,
        &charmbox::event::EventSpec::named("start"),
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("machine.files[\"/etc/passwd\"]") && e.contains("/etc/ssh/sshd_config.d"),
        "{e}"
    );
    let bad = serde_json::json!({DROP_IN: {"base64": "!!"}});
    let s = state(sshd_running(22, bad));
    let start = charmbox::event::EventSpec::named("start");
    let e = charmbox::run::run_event(&rt, &charm, s, &start, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("not base64"), "{e}");
}

#[test]
fn a_trace_of_a_charm_reading_its_machine_files_replays_identically() {
    let charm = built("examples/openssh-py").join("openssh-py.wasm");
    let dir = Scratch::new("charmbox-machine-files", "t");
    let input = dir.join("in.json");
    // The drop-in holds another port: the charm reads it, rewrites it and
    // restarts sshd; a replay sees the same file from the trace's State.
    let files = serde_json::json!({DROP_IN: "Port 2200\n"});
    std::fs::write(&input, state(sshd_running(22, files)).to_json()).unwrap();
    let trace = dir.join("t.jsonl");
    let c = charm.to_str().unwrap();
    let (code, _, err) = charmbox(&[
        "run",
        "--charm",
        c,
        "--state",
        input.to_str().unwrap(),
        "--event",
        "config-changed",
        "--event",
        "config-changed",
        "--out",
        "/dev/null",
        "--trace",
        trace.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = charmbox(&["replay", trace.to_str().unwrap(), "--component", c]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("replayed 2 dispatches"), "{out}");
    assert!(out.contains(": identical"), "{out}");
}
