//! Class 1: guest file access. A Python guest (WASI) plants relative
//! symlinks in its writable directories leading to a host directory, then
//! hands them to every hook tool that takes a path. Each tool must be
//! refused with the reason named, the canary file outside must be neither
//! read into the State nor written, nothing new may appear beside it, and
//! the committed state must be what it was — in `charmbox run` (scratch and
//! kept unit directories) and in the simulator (a unit's disk).

use std::path::{Path, PathBuf};

use charmbox::engine::Outcome;
use charmbox::event::EventSpec;
use charmbox::run::{RunOptions, run_event_with};
use charmbox::sim::history::LogFilter;
use charmbox::sim::ops::DeployOptions;
use charmbox::sim::{ModelOptions, Simulator};
use charmbox::state::State;
use serde_json::json;

use super::common::*;

const CHARM: &str = "tests/charms/misbehave-py";
const CANARY: &str = "canary: leaked\n";
const SECRET_ID: &str = "secret:0123456789abcdefghij";

/// How many paths the `symlink-escape` mode hands to hook tools.
const CALLS: usize = 19;

/// A host directory outside every unit directory, holding the canary.
struct Canary(PathBuf);

impl Canary {
    fn new(name: &str) -> Canary {
        let dir = fresh_target_tmp(&format!("faults-canary-{name}"));
        std::fs::write(dir.join("secret.txt"), CANARY).unwrap();
        Canary(dir)
    }

    /// The canary is intact and nothing was written beside it.
    fn untouched(&self) {
        assert_eq!(
            std::fs::read_to_string(self.0.join("secret.txt")).unwrap(),
            CANARY
        );
        let names: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["secret.txt"], "nothing written outside");
    }
}

impl Drop for Canary {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn input(target: &Path) -> State {
    state(json!({
        "leader": true,
        "config": {"mode": "symlink-escape", "target": target.to_str().unwrap()},
        "unit_state": {"kept": "1"},
        "relations": [{
            "id": 7, "endpoint": "peers",
            "local_app_data": {"a": "1"},
            "local_unit_data": {"u": "1"},
            "remote_units_data": {"1": {"r": "1"}}
        }],
        "secrets": [{
            "id": SECRET_ID, "owner": "application",
            "revisions": [{"revision": 1, "content": {"password": "s3cret"}}],
            "tracked": 1
        }]
    }))
}

/// What each tool answered, as the guest logged it (`argv => code: stderr`).
fn answers<'a>(messages: impl Iterator<Item = &'a str>) -> Vec<String> {
    messages
        .filter_map(|m| m.strip_prefix("ESCAPE "))
        .map(str::to_string)
        .collect()
}

/// Every tool refused, naming why; none read the canary.
fn all_refused(answers: &[String]) {
    for a in answers {
        println!("{a}");
    }
    assert_eq!(answers.len(), CALLS, "{answers:#?}");
    for a in answers {
        let (argv, reply) = a.split_once(" => ").unwrap();
        assert!(!reply.starts_with("0:"), "{argv} succeeded: {reply}");
        assert!(
            reply.contains(": permission denied (the path leads outside /tmp)")
                || reply.contains(
                    ": permission denied (the path leads outside /var/lib/charmbox/state)"
                ),
            "{argv}: {reply}"
        );
        assert!(!reply.contains("leaked"), "{argv}: {reply}");
    }
    // A few in full: Juju's error shapes and exit codes are kept.
    let want = [
        "state-set --file /tmp/secret => 1: ERROR open /tmp/secret: \
         permission denied (the path leads outside /tmp)",
        "secret-add key#file=/tmp/secret => 2: ERROR reading content for secret key \
         \"key\": open /tmp/secret: permission denied (the path leads outside /tmp)",
        "config-get -o /tmp/new => 1: ERROR open /tmp/new: \
         permission denied (the path leads outside /tmp)",
    ];
    for w in want {
        assert!(
            answers.iter().any(|a| a == w),
            "missing {w:?} in {answers:#?}"
        );
    }
}

/// The committed state is the input's, but for the status the charm set.
fn unchanged(input: &State, out: &State) {
    let mut want = input.clone();
    want.unit_status = out.unit_status.clone();
    assert_eq!(out.to_json(), want.to_json());
    assert!(!out.to_json().contains("leaked"));
}

#[test]
fn symlinks_out_of_a_scratch_unit_dir_reach_no_host_file() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let canary = Canary::new("scratch");
    let input = input(&canary.0);
    let (out, report) = run(&rt, &charm, input.clone(), "start");
    assert!(
        matches!(report.outcome, Outcome::Ok),
        "{:?}",
        report.outcome
    );
    all_refused(&answers(report.logs.iter().map(|l| l.message.as_str())));
    canary.untouched();
    unchanged(&input, &out);
}

/// A file over the read limit is refused before it is read, with the
/// tool's error naming its size (secret files: Juju's own, smaller limit).
#[test]
fn a_file_over_the_read_limit_is_refused() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let mut input = input(Path::new("/nowhere"));
    input.config.insert("mode".into(), json!("big-file"));
    let (out, report) = run(&rt, &charm, input.clone(), "start");
    assert!(
        matches!(report.outcome, Outcome::Ok),
        "{:?}",
        report.outcome
    );
    let got: Vec<String> = report
        .logs
        .iter()
        .filter_map(|l| l.message.strip_prefix("BIGFILE "))
        .map(str::to_string)
        .collect();
    for a in &got {
        println!("{a}");
    }
    let size = charmbox::jujuc::MAX_TOOL_FILE_BYTES + 1;
    let too_large = format!(
        "ERROR read /tmp/big: file too large: {size} bytes (hook tools read at most {})",
        size - 1
    );
    let secret = format!("ERROR secret content in file \"/tmp/big\" too large: {size} bytes");
    assert_eq!(
        got,
        [
            format!("state-set --file /tmp/big => 1: {too_large}"),
            format!("relation-set -r 7 --file /tmp/big => 1: {too_large}"),
            format!("k8s-spec-set --file /tmp/big => 1: {too_large}"),
            format!("secret-add key#file=/tmp/big => 2: {secret}"),
            format!("secret-add --file /tmp/big => 2: {secret}"),
        ]
    );
    unchanged(&input, &out);
}

#[test]
fn symlinks_out_of_a_kept_unit_dir_reach_no_host_file() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let canary = Canary::new("kept");
    let unit_dir = target_tmp("faults-units").join("kept");
    let _ = std::fs::remove_dir_all(&unit_dir);
    let input = input(&canary.0);
    let start = |s: State| {
        run_event_with(
            &rt,
            &charm,
            s,
            &EventSpec::named("start"),
            RunOptions::default().unit_dir(Some(&unit_dir)),
        )
        .expect("event runs")
    };
    let (out, report) = start(input.clone());
    assert!(
        matches!(report.outcome, Outcome::Ok),
        "{:?}",
        report.outcome
    );
    all_refused(&answers(report.logs.iter().map(|l| l.message.as_str())));
    assert!(
        unit_dir.join("tmp/secret").is_symlink(),
        "the guest's links stay"
    );
    canary.untouched();
    unchanged(&input, &out);
    // The next event finds the links already planted (os.symlink then
    // fails: a charm error), and the host still reads nothing through them.
    let (again, report) = start(out.clone());
    assert!(matches!(report.outcome, Outcome::Failed { .. }));
    canary.untouched();
    assert!(!again.to_json().contains("leaked"));
    let _ = std::fs::remove_dir_all(&unit_dir);
}

#[test]
fn symlinks_out_of_a_simulated_units_disk_reach_no_host_file() {
    let canary = Canary::new("sim");
    let dir = fresh_target_tmp("faults-sim");
    let mut s =
        Simulator::create(runtime(), &dir.join("model.db"), ModelOptions::default()).unwrap();
    s.set_paranoid(true);
    s.deploy(
        &built(CHARM),
        DeployOptions {
            units: Some(2),
            config: [
                ("mode".to_string(), json!("symlink-escape")),
                ("target".to_string(), json!(canary.0.to_str().unwrap())),
            ]
            .into(),
            ..Default::default()
        },
    )
    .unwrap();
    s.settle().unwrap();
    let st = s.status();
    assert!(
        st.units.iter().all(|u| u.workload == "active"),
        "{}",
        s.status_table()
    );
    for unit in ["misbehave-py/0", "misbehave-py/1"] {
        let logs = s
            .logs(&LogFilter {
                unit: Some(unit.into()),
                ..Default::default()
            })
            .unwrap();
        all_refused(&answers(logs.iter().map(|l| l.message.as_str())));
    }
    canary.untouched();
    // Nothing of the canary in the model: bags, units' state, secrets.
    let model = format!("{:?}", s.model());
    assert!(!model.contains("leaked"), "{model}");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}
