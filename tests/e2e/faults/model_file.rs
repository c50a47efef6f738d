//! Class 6: concurrent commands on one model file. Real `charmbox model`
//! processes race; every one ends with exit 0 or the "is busy" message,
//! and the model is consistent afterwards: distinct application indexes,
//! unit addresses and relation ids, and nothing another command committed
//! lost.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use charmbox::sim::lock::ModelLock;
use charmbox::sim::{ModelOptions, Simulator};
use charmbox::state::RelationKind;

use crate::common::{built, charmbox, charmbox_bin, runtime, target_tmp};

const CHARM: &str = "tests/charms/misbehave";

fn tmp(name: &str) -> PathBuf {
    let dir = target_tmp("faults-model");
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

/// Start `charmbox model -m <db> <args>` without waiting for it.
fn spawn(db: &Path, args: &[&str]) -> Child {
    Command::new(charmbox_bin())
        .arg("model")
        .arg("-m")
        .arg(db)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("charmbox runs")
}

/// Wait for every command: each exits 0, or 2 saying the model is busy.
/// Returns how many succeeded.
fn all_ok_or_busy(children: Vec<(String, Child)>) -> usize {
    let mut ok = 0;
    for (what, c) in children {
        let out = c.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        match out.status.code() {
            Some(0) => ok += 1,
            Some(2) if stderr.contains("is busy") => {}
            code => panic!(
                "{what}: exit {code:?}\n{}\n{stderr}",
                String::from_utf8_lossy(&out.stdout)
            ),
        }
        assert!(!stderr.contains("UNIQUE constraint"), "{what}: {stderr}");
    }
    ok
}

/// The invariants a model file must keep whatever commands raced on it.
fn assert_consistent(db: &Path, apps: &[&str]) {
    let sim = Simulator::open(runtime(), db).expect("the model opens");
    assert_eq!(sim.integrity().unwrap().as_deref(), Some("ok"));
    let m = sim.model();
    let indexes: BTreeSet<u32> = m.apps.values().map(|a| a.index).collect();
    assert_eq!(
        indexes.len(),
        m.apps.len(),
        "two applications share an index"
    );
    let addresses: BTreeSet<&str> = m.units.values().map(|u| u.address.as_str()).collect();
    assert_eq!(addresses.len(), m.units.len(), "two units share an address");
    for app in apps {
        let a = m
            .app(app)
            .unwrap_or_else(|| panic!("application {app} lost"));
        assert!(m.units_of(app).count() > 0, "{app} has no units");
        let peers: Vec<u32> = m
            .relations
            .values()
            .filter(|r| r.kind == RelationKind::Peer && r.end_of(&a.name).is_some())
            .map(|r| r.id)
            .collect();
        assert_eq!(peers.len(), 1, "{app}'s peer relation: {peers:?}");
    }
    // Relation ids are the map's keys; each relation names itself.
    for (id, r) in &m.relations {
        assert_eq!(*id, r.id);
    }
    println!(
        "{} applications, {} units, {} relations, {} hooks",
        m.apps.len(),
        m.units.len(),
        m.relations.len(),
        sim.events().unwrap().len()
    );
}

#[test]
fn racing_deploys_into_one_new_file_keep_every_application_apart() {
    let charm = built(CHARM);
    let charm = charm.to_str().unwrap();
    let db = tmp("deploys.db");
    let apps = ["a", "b", "c", "d"];
    let children: Vec<(String, Child)> = apps
        .iter()
        .map(|a| {
            (
                format!("deploy {a}"),
                spawn(&db, &["deploy", charm, a, "-n", "2"]),
            )
        })
        .collect();
    let ok = all_ok_or_busy(children);
    assert_eq!(
        ok,
        apps.len(),
        "with the default wait, every deploy gets its turn"
    );
    assert_consistent(&db, &apps);
    // And the model still runs.
    let (code, out, err) = charmbox(&["model", "-m", db.to_str().unwrap(), "settle"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_consistent(&db, &apps);
}

#[test]
fn deploys_during_a_settle_never_reuse_a_relation_id() {
    let charm = built(CHARM);
    let charm = charm.to_str().unwrap();
    let db = tmp("settle.db");
    let (code, out, err) = charmbox(&[
        "model",
        "-m",
        db.to_str().unwrap(),
        "deploy",
        charm,
        "first",
        "-n",
        "4",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let mut children = vec![("settle".to_string(), spawn(&db, &["settle"]))];
    for a in ["second", "third", "fourth"] {
        children.push((
            format!("deploy {a}"),
            spawn(&db, &["deploy", charm, a, "-n", "2"]),
        ));
    }
    children.push(("settle again".to_string(), spawn(&db, &["settle"])));
    let ok = all_ok_or_busy(children);
    assert_eq!(ok, 5);
    assert_consistent(&db, &["first", "second", "third", "fourth"]);
}

#[test]
fn racing_settles_take_turns() {
    let charm = built(CHARM);
    let charm = charm.to_str().unwrap();
    let db = tmp("settles.db");
    let (code, out, err) = charmbox(&[
        "model",
        "-m",
        db.to_str().unwrap(),
        "deploy",
        charm,
        "app",
        "-n",
        "3",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let children = (0..3)
        .map(|i| (format!("settle {i}"), spawn(&db, &["settle"])))
        .collect();
    assert_eq!(all_ok_or_busy(children), 3);
    assert_consistent(&db, &["app"]);
}

#[test]
fn a_held_model_is_busy_at_once_with_no_wait_and_waited_for_otherwise() {
    let charm = built(CHARM);
    let db = tmp("held.db");
    let mut sim = Simulator::create(runtime(), &db, ModelOptions::default()).unwrap();
    sim.deploy(&charm, Default::default()).unwrap();
    let db_arg = db.to_str().unwrap();
    // The simulator holds the lock while it lives.
    let (code, _, err) = charmbox(&["model", "-m", db_arg, "status", "--wait", "0s"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("model {db_arg} is busy")),
        "the error names the model: {err}"
    );
    // A command that waits gets its turn once the holder lets go.
    let waiter = spawn(&db, &["status", "--wait", "1m"]);
    std::thread::sleep(Duration::from_millis(300));
    drop(sim);
    let out = waiter.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("waiting for model"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("misbehave"));
}

#[test]
fn the_same_file_by_a_symlink_shares_its_lock() {
    let charm = built(CHARM);
    let db = tmp("linked.db");
    let mut sim = Simulator::create(runtime(), &db, ModelOptions::default()).unwrap();
    sim.deploy(&charm, Default::default()).unwrap();
    let link = tmp("linked-too.db");
    std::os::unix::fs::symlink(&db, &link).unwrap();
    let link_arg = link.to_str().unwrap();
    let (code, _, err) = charmbox(&[
        "model",
        "-m",
        link_arg,
        "deploy",
        charm.to_str().unwrap(),
        "other",
        "--wait",
        "0s",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is busy"), "{err}");
    drop(sim);
    let (code, _, err) = charmbox(&[
        "model",
        "-m",
        link_arg,
        "deploy",
        charm.to_str().unwrap(),
        "other",
        "--wait",
        "0s",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_consistent(&db, &["misbehave", "other"]);
}

#[test]
fn a_lock_file_that_cannot_be_made_is_named() {
    let db = Path::new("/nonexistent-dir-for-charmbox/m.db");
    let err = ModelLock::acquire(db, Duration::ZERO, &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("cannot lock"), "{err}");
}
