//! Concurrent hooks (`concurrent-hooks`, `sim/batch.rs`): the example
//! scenarios still pass with batches of hooks run against one state of the
//! model, every settled model has no notification lost, and the same seed
//! gives the same model and traces whatever the number of threads.

use std::path::Path;

use charmbox::sim::model::{BagOwner, Model};
use charmbox::sim::scenario::{self, Scenario, Step};
use charmbox::sim::{ModelOptions, Simulator};

use super::{build_for, example_scenarios};
use crate::common::*;

/// A settled model's agents have seen every version there is: a relation
/// bag or application bag written by a hook of the same batch as the
/// reader's relation-changed must have left that reader another hook.
fn nothing_unseen(m: &Model) -> Result<(), String> {
    for ((unit, rel), view) in m.views_iter() {
        for (member, seen) in &view.members {
            let now = m.bag_version(rel, &BagOwner::Unit(member.clone()));
            if *seen != Some(now) {
                return Err(format!(
                    "{unit} saw {member}'s bag in relation {rel} at {seen:?}, it is at {now}"
                ));
            }
        }
        let remote = m.relations.get(&rel).and_then(|r| r.other_app(&unit.app));
        if let Some(remote) = remote {
            let now = m.bag_version(rel, &BagOwner::App(remote.to_string()));
            if view.app_seen != now && !view.members.is_empty() {
                return Err(format!(
                    "{unit} saw {remote}'s bag in relation {rel} at {}, it is at {now}",
                    view.app_seen
                ));
            }
        }
    }
    Ok(())
}

/// Drop the expected leader after a unit was removed: Juju gives the lease
/// to whichever agent claims it first, which the simulator draws from the
/// seed, and batches take other draws than one hook at a time.
fn unseed_leaders(sc: &mut Scenario) {
    let mut removed = false;
    for step in &mut sc.steps {
        match step {
            Step::RemoveUnit(_) => removed = true,
            Step::Expect(e) if removed => e.leader.clear(),
            _ => {}
        }
    }
}

/// Run `file` with `concurrent` hooks at a time on `threads` threads,
/// paranoid (each projection and the ready set checked after every hook).
fn run(file: &Path, concurrent: u32, threads: usize, traces: Option<&Path>) -> Simulator {
    let mut sc = Scenario::load(file).unwrap();
    if concurrent > 1 {
        unseed_leaders(&mut sc);
    }
    let mut opts: ModelOptions = sc.options().unwrap();
    opts.settings.concurrent_hooks = concurrent;
    let mut s = Simulator::in_memory(runtime(), opts);
    s.set_paranoid(true);
    s.set_threads(threads);
    if let Some(dir) = traces {
        std::fs::create_dir_all(dir).unwrap();
        s.trace_to(dir).unwrap();
    }
    let mut out = Vec::new();
    scenario::run(&mut s, &sc, file.parent().unwrap(), &mut out).unwrap_or_else(|e| {
        panic!(
            "{} with {concurrent} concurrent hooks: {e}\n{}",
            file.display(),
            String::from_utf8_lossy(&out)
        )
    });
    s
}

#[test]
fn every_example_scenario_passes_with_concurrent_hooks() {
    let files = example_scenarios();
    assert!(
        files.len() >= 6,
        "peer-counter, ping-pong and openssh have scenarios"
    );
    for file in &files {
        build_for(file);
        for concurrent in [3, 32] {
            let s = run(file, concurrent, 2, None);
            if s.ready_units().is_empty() {
                nothing_unseen(s.model()).unwrap_or_else(|e| {
                    panic!("{} with {concurrent} concurrent hooks: {e}", file.display())
                });
            }
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_model_and_traces_on_any_number_of_threads() {
    built("examples/ping-pong");
    let file = root().join("tests/e2e/scenarios/long.yaml");
    let dir = fresh_target_tmp("sim_batch_traces");
    let (one, two) = (dir.join("one"), dir.join("two"));
    let serial = run(&file, 1, 1, None);
    let a = run(&file, 64, 2, None);
    let b = run(&file, 64, 1, Some(&one));
    let c = run(&file, 64, 2, Some(&two));
    assert!(
        a.hooks_on_threads() > 1000,
        "{} hooks on threads",
        a.hooks_on_threads()
    );
    assert_eq!(b.hooks_on_threads(), 0, "traced: on the simulating thread");
    let events = |s: &Simulator| -> Vec<String> {
        (s.events().unwrap().iter())
            .map(|e| format!("{} {} {} {}", e.unit, e.event, e.detail, e.outcome))
            .collect()
    };
    assert_eq!(a.fingerprint(), b.fingerprint(), "one thread or two");
    assert_eq!(a.fingerprint(), c.fingerprint(), "traced or not");
    assert_eq!(events(&a), events(&b));
    drop((b, c)); // the trace writers flush
    for app in ["a", "b", "c"] {
        let name = format!("{app}.trace.jsonl");
        let (x, y) = (
            std::fs::read(one.join(&name)).unwrap(),
            std::fs::read(two.join(&name)).unwrap(),
        );
        assert!(!x.is_empty());
        assert!(x == y, "{name} differs between two runs of one seed");
    }
    assert_ne!(
        events(&serial),
        events(&a),
        "batches interleave the hooks otherwise than one at a time"
    );
    nothing_unseen(a.model()).unwrap();
    nothing_unseen(serial.model()).unwrap();
}

#[test]
fn a_batch_width_out_of_bounds_is_refused_by_name() {
    let dir = fresh_target_tmp("sim_batch_bounds");
    for bad in [0, 257, 100_000] {
        let file = dir.join(format!("{bad}.yaml"));
        let text = format!("model: {{seed: 1, concurrent-hooks: {bad}}}\nsteps: []\n");
        std::fs::write(&file, text).unwrap();
        let Err(err) = Scenario::load(&file).unwrap().options() else {
            panic!("concurrent-hooks {bad} was accepted");
        };
        assert!(
            err.to_string().contains(&format!("concurrent-hooks {bad}")),
            "{err}"
        );
    }
    let mut s = Simulator::in_memory(runtime(), ModelOptions::default());
    let err = s.set_concurrent_hooks(0).unwrap_err();
    assert!(err.to_string().contains("expected 1 to 256"), "{err}");
    s.set_concurrent_hooks(256).unwrap();
    assert_eq!(s.model().meta.settings.concurrent_hooks, 256);
}

/// A model file is as hostile as any input: a batch width far past the
/// bound (here the largest `u32`) is held to 256 when the model runs.
#[test]
fn a_model_file_asking_for_huge_batches_runs_them_bounded() {
    use charmbox::sim::ops::DeployOptions;
    let pp = built("examples/ping-pong");
    let db = fresh_target_tmp("sim_batch_file").join("huge.db");
    let mut s = Simulator::create(runtime(), &db, ModelOptions::default()).unwrap();
    for app in ["a", "b"] {
        let opts = DeployOptions {
            app: Some(app.into()),
            units: Some(10),
            ..Default::default()
        };
        s.deploy(&pp, opts).unwrap();
    }
    s.integrate("a:ping", "b:pong").unwrap();
    drop(s);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let meta: String = conn
        .query_row("SELECT value FROM meta WHERE key = 'model'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let mut meta: serde_json::Value = serde_json::from_str(&meta).unwrap();
    meta["settings"]["concurrent_hooks"] = u32::MAX.into();
    conn.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'model'",
        [meta.to_string()],
    )
    .unwrap();
    drop(conn);
    let mut s = Simulator::open(runtime(), &db).unwrap();
    assert_eq!(s.model().meta.settings.concurrent_hooks, u32::MAX);
    s.set_paranoid(true);
    assert!(s.settle().unwrap() > 100);
    assert!(
        s.hooks_on_threads() > 0,
        "batches of the 20 units ran on threads"
    );
    nothing_unseen(s.model()).unwrap();
}
