//! The simulator's operations of issue 21, each through the Rust API, the
//! CLI (`charmbox model …`, with the `model_cli` helper) and scenario
//! files: a partial settle, leadership moving, model config, trust, a new
//! address, an agent restart, relations suspended and resumed (the
//! workload, storage and machine ones are in `sim_workload.rs`). Each checks the hooks in the order
//! Juju's uniter runs them (the Juju source is named at each test).

use std::path::Path;
use std::process::Command;

use charmbox::sim::model::Substrate;
use charmbox::sim::ops::DeployOptions;
use charmbox::sim::{ModelOptions, Simulator};

use super::{PEER, built, charmbox_bin, deploy3, model_cli, runtime, sim, tmp};

pub(super) const PING: &str = "examples/ping-pong";

/// `charmbox model ARGS…` that must succeed: its stdout.
pub(super) fn ok(db: &Path, args: &[&str]) -> String {
    let (ok, out, err) = model_cli(db, args);
    assert!(ok, "{args:?}: {out}{err}");
    out
}

/// `charmbox model ARGS…` that must fail: its stderr.
pub(super) fn refused(db: &Path, args: &[&str]) -> String {
    let (ok, out, err) = model_cli(db, args);
    assert!(!ok, "{args:?} succeeded: {out}");
    err
}

/// The hooks run so far, as (unit, hook), from `log --hooks`.
pub(super) fn hooks(db: &Path) -> Vec<(String, String)> {
    ok(db, &["log", "--hooks"])
        .lines()
        .map(|l| {
            let mut w = l.split_whitespace().skip(2);
            let unit = w.next().unwrap().to_string();
            let hook = w.next().unwrap().trim_end_matches(':').to_string();
            (unit, hook)
        })
        .collect()
}

/// The hooks run after the first `from`, as "unit hook".
pub(super) fn since(db: &Path, from: usize) -> Vec<String> {
    hooks(db)[from..]
        .iter()
        .map(|(u, h)| format!("{u} {h}"))
        .collect()
}

/// A one-unit machine model of ping-pong, settled.
fn machine_ping(seed: u64) -> Simulator {
    let mut s = Simulator::in_memory(
        runtime(),
        ModelOptions {
            kind: Substrate::Machine,
            seed,
            ..Default::default()
        },
    );
    s.set_paranoid(true);
    s.deploy(&built(PING), DeployOptions::default()).unwrap();
    s.settle().unwrap();
    s
}

/// Juju 3.x `internal/worker/uniter/operation/runhook.go` `Commit` queues
/// config-changed when upgrade-charm commits and `resolver.go` `NextOp`
/// runs a queued hook first: an action queued between the two waits.
#[test]
fn a_partial_settle_leaves_the_rest_queued_and_nothing_jumps_a_queued_hook() {
    let mut s = machine_ping(1);
    s.refresh("ping-pong", None).unwrap();
    assert!(s.settle_steps(0).unwrap().is_empty());
    let ran = s.settle_steps(1).unwrap();
    let names: Vec<&str> = ran.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names, ["upgrade-charm"]);
    assert_eq!(
        s.due(),
        [("ping-pong/0".to_string(), "config-changed".to_string())]
    );
    let id = s
        .queue_action("ping-pong/0", "serve", Default::default())
        .unwrap();
    let ran = s.settle_steps(5).unwrap();
    let names: Vec<&str> = ran.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names, ["config-changed", "serve"]);
    assert_eq!(format!("{:?}", s.model().actions[&id].status), "Completed");
    assert!(s.due().is_empty());
    assert_eq!(s.next_hook_of("ping-pong/0").unwrap(), None);
    assert!(s.next_hook_of("ping-pong/7").is_err());
}

#[test]
fn cli_settle_steps_and_a_background_action() {
    let db = tmp("steps.db");
    let charm = built(PING);
    ok(&db, &["new", "--machine", "--seed", "2"]);
    ok(&db, &["deploy", charm.to_str().unwrap(), "--settle"]);
    ok(&db, &["refresh", "ping-pong"]);
    let out = ok(&db, &["settle", "--steps", "1"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("ran #") && lines[0].ends_with("ping-pong/0 upgrade-charm: ok"),
        "{out}"
    );
    assert_eq!(lines[1], "due ping-pong/0 config-changed");
    let out = ok(&db, &["run-action", "ping-pong/0", "serve", "--background"]);
    assert!(out.contains("queued on ping-pong/0"), "{out}");
    let out = ok(&db, &["settle", "--steps", "1"]);
    assert!(out.contains("ping-pong/0 config-changed: ok"), "{out}");
    assert!(out.contains("due ping-pong/0 serve"), "{out}");
    assert!(ok(&db, &["settle"]).contains("settled: 1 hooks"));
    let err = refused(&db, &["settle", "--steps", "x"]);
    assert!(err.contains("invalid value"), "{err}");
}

/// Juju 3.x `internal/worker/uniter/operation/leader.go`: resigning runs
/// no hook; `leadership/resolver.go`: the new leader accepts (leader-elected),
/// a non-leader runs leader-settings-changed when the version differs from
/// the one it last ran it at — the old leader never ran it (its agent's
/// `LocalState` starts at 0, `uniter.go`), the other non-leader did.
#[test]
fn the_lease_moving_elects_the_new_leader_and_the_old_one_catches_up() {
    let mut s = sim(12);
    deploy3(&mut s, false);
    let before = s.events().unwrap().len();
    s.elect_leader("peer-counter/1").unwrap();
    s.settle().unwrap();
    let ran: Vec<String> = s.events().unwrap()[before..]
        .iter()
        .map(|e| format!("{} {}", e.unit, e.event))
        .collect();
    let mut sorted = ran.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "peer-counter/0 leader-settings-changed",
            "peer-counter/1 leader-elected"
        ],
        "{ran:?}"
    );
    let st = s.status();
    assert_eq!(st.applications[0].leader.as_deref(), Some("peer-counter/1"));
    // Back to unit 0: it accepts again; unit 1 resigns and, having run
    // leader-settings-changed at the current version, runs nothing.
    let before = s.events().unwrap().len();
    s.elect_leader("peer-counter/0").unwrap();
    s.settle().unwrap();
    let ran: Vec<String> = s.events().unwrap()[before..]
        .iter()
        .map(|e| format!("{} {}", e.unit, e.event))
        .collect();
    assert_eq!(ran, ["peer-counter/0 leader-elected"]);
    let err = s.elect_leader("peer-counter/0").unwrap_err();
    assert!(err.to_string().contains("already the leader"), "{err}");
    s.remove_unit("peer-counter/2").unwrap();
    let err = s.elect_leader("peer-counter/2").unwrap_err();
    assert!(err.to_string().contains("being removed"), "{err}");
}

#[test]
fn cli_leader() {
    let db = tmp("leader.db");
    let charm = built(PEER);
    ok(&db, &["new", "--seed", "4"]);
    ok(
        &db,
        &["deploy", charm.to_str().unwrap(), "-n", "3", "--settle"],
    );
    let n = hooks(&db).len();
    let out = ok(&db, &["leader", "peer-counter/2", "--settle"]);
    assert!(out.contains("peer-counter/2 is the leader"), "{out}");
    let mut ran = since(&db, n);
    ran.sort();
    assert_eq!(
        ran,
        [
            "peer-counter/0 leader-settings-changed",
            "peer-counter/2 leader-elected"
        ]
    );
    assert!(ok(&db, &["status"]).contains("peer-counter/2*"));
    let err = refused(&db, &["leader", "peer-counter/2"]);
    assert!(err.contains("already the leader"), "{err}");
    let err = refused(&db, &["leader", "peer-counter/9"]);
    assert!(err.contains("unit \"peer-counter/9\" not found"), "{err}");
}

/// Juju 3.x `internal/worker/uniter/remotestate/watcher.go` restarts the
/// update-status timer when `update-status-hook-interval` changes;
/// `environs/config/config.go` bounds it to 1m–60m.
#[test]
fn cli_model_config_moves_update_status_and_checks_juju_bounds() {
    let db = tmp("model-config.db");
    let charm = built(PEER);
    ok(&db, &["new", "--seed", "5"]);
    ok(
        &db,
        &["deploy", charm.to_str().unwrap(), "-n", "2", "--settle"],
    );
    let shown = ok(&db, &["model-config"]);
    assert!(shown.contains("update-status-hook-interval: 5m"), "{shown}");
    assert!(shown.contains("automatically-retry-hooks: true"), "{shown}");
    ok(&db, &["model-config", "update-status-hook-interval=60m"]);
    let n = hooks(&db).len();
    // With the default 5 min, 30 minutes would run update-status ~6 times
    // per unit; the new timers are due in 48–72 min.
    ok(&db, &["advance", "30m"]);
    assert_eq!(since(&db, n), Vec::<String>::new());
    ok(&db, &["advance", "45m"]);
    let ran = since(&db, n);
    assert_eq!(ran.len(), 2, "{ran:?}");
    assert!(ran.iter().all(|h| h.ends_with(" update-status")), "{ran:?}");
    for (arg, says) in [
        ("update-status-hook-interval=30s", "cannot be less than 1m"),
        (
            "update-status-hook-interval=2h",
            "cannot be greater than 60m",
        ),
        (
            "update-status-hook-interval=soon",
            "update-status-hook-interval",
        ),
        ("automatically-retry-hooks=maybe", "expected true or false"),
        ("logging-config=x", "not modelled by the simulator"),
        ("novalue", "expected key=value"),
    ] {
        let err = refused(&db, &["model-config", arg]);
        assert!(err.contains(says), "{arg}: {err}");
    }
}

/// The retry strategy worker bounces on a change and the uniter with it
/// (`internal/worker/retrystrategy/worker.go`,
/// `cmd/jujud/agent/unit/manifolds.go`): a fresh uniter runs
/// leader-settings-changed on non-leaders; a hook in error is no longer
/// retried.
#[test]
fn turning_hook_retries_off_restarts_the_agents_and_stops_the_retries() {
    let mut s = sim(6);
    let mut config = std::collections::BTreeMap::new();
    config.insert("mode".to_string(), serde_json::json!("panic"));
    s.deploy(
        &built("tests/charms/misbehave"),
        DeployOptions {
            units: Some(2),
            config,
            ..Default::default()
        },
    )
    .unwrap();
    s.settle().unwrap();
    let failed = |s: &Simulator| {
        s.events()
            .unwrap()
            .iter()
            .filter(|e| e.outcome != "ok")
            .count()
    };
    let first = failed(&s);
    assert!(first >= 1, "the charm fails");
    let set = |k: &str, v: &str| -> std::collections::BTreeMap<String, String> {
        [(k.to_string(), v.to_string())].into_iter().collect()
    };
    s.set_model_config(&set("automatically-retry-hooks", "false"))
        .unwrap();
    s.advance(std::time::Duration::from_secs(3600)).unwrap();
    assert_eq!(failed(&s), first, "no retry once retries are off");
    s.set_model_config(&set("automatically-retry-hooks", "true"))
        .unwrap();
    s.advance(std::time::Duration::from_secs(6)).unwrap();
    assert!(
        failed(&s) > first,
        "retried within 5 s ±3 % of turning them on"
    );
}

/// Juju 3.x `internal/worker/uniter/resolver.go` runs config-changed when
/// `TrustHash` or `AddressesHash` differ from those seen at the last one.
#[test]
fn cli_trust_and_address_run_config_changed() {
    let db = tmp("trust.db");
    let charm = built(PEER);
    ok(&db, &["new", "--seed", "7"]);
    ok(
        &db,
        &["deploy", charm.to_str().unwrap(), "-n", "2", "--settle"],
    );
    let n = hooks(&db).len();
    ok(&db, &["trust", "peer-counter", "--settle"]);
    let mut ran = since(&db, n);
    ran.sort();
    assert_eq!(
        ran,
        [
            "peer-counter/0 config-changed",
            "peer-counter/1 config-changed"
        ]
    );
    let out = ok(&db, &["trust", "peer-counter", "--settle"]);
    assert!(out.contains("settled: 0 hooks"), "the same trust: {out}");
    let n = hooks(&db).len();
    ok(&db, &["trust", "peer-counter", "--remove", "--settle"]);
    assert_eq!(since(&db, n).len(), 2);
    let err = refused(&db, &["trust", "nope"]);
    assert!(err.contains("application \"nope\" not found"), "{err}");

    let n = hooks(&db).len();
    ok(&db, &["address", "peer-counter/1", "10.9.9.9", "--settle"]);
    assert_eq!(since(&db, n), ["peer-counter/1 config-changed"]);
    let status = ok(&db, &["status"]);
    assert!(status.contains("10.9.9.9"), "{status}");
    let err = refused(&db, &["address", "peer-counter/1", "ten.nine"]);
    assert!(err.contains("not an IP address"), "{err}");
    let err = refused(&db, &["address", "peer-counter/5", "10.1.1.1"]);
    assert!(err.contains("not found"), "{err}");
}

/// `uniter.go` starts every uniter with a fresh `LocalState`: after an
/// agent restart a non-leader runs leader-settings-changed, the leader
/// (its `Leader` kept in the state file) nothing.
#[test]
fn cli_restart_agent() {
    let db = tmp("restart.db");
    let charm = built(PEER);
    ok(&db, &["new", "--seed", "8"]);
    ok(
        &db,
        &["deploy", charm.to_str().unwrap(), "-n", "2", "--settle"],
    );
    let n = hooks(&db).len();
    ok(&db, &["restart-agent", "peer-counter/1", "--settle"]);
    assert_eq!(since(&db, n), ["peer-counter/1 leader-settings-changed"]);
    let n = hooks(&db).len();
    ok(&db, &["restart-agent", "peer-counter/0", "--settle"]);
    assert_eq!(since(&db, n), Vec::<String>::new());
    let err = refused(&db, &["restart-agent", "peer-counter/3"]);
    assert!(err.contains("not found"), "{err}");
}

/// Every new step in one scenario file, run by `charmbox sim`.
#[test]
fn scenario_steps_for_the_new_operations() {
    let peer = built(PEER);
    let ping = built(PING);
    let file = tmp("ops.yaml");
    std::fs::write(
        &file,
        format!(
            "model: {{type: machine, seed: 3}}\nsteps:\n  \
             - deploy: {{charm: {ping}, units: 1}}\n  \
             - deploy: {{charm: {peer}, units: 2}}\n  \
             - settle:\n  \
             - refresh: ping-pong\n  \
             - settle: {{steps: 1}}\n  \
             - expect:\n      \
                 events: [{{unit: ping-pong/0, last: [upgrade-charm]}}]\n      \
                 next: {{ping-pong/0: config-changed}}\n  \
             - run-action: {{unit: ping-pong/0, action: serve, background: true}}\n  \
             - settle: {{steps: 1}}\n  \
             - expect:\n      \
                 events: [{{unit: ping-pong/0, last: [upgrade-charm, config-changed]}}]\n      \
                 next: {{ping-pong/0: serve}}\n  \
             - settle:\n  \
             - expect:\n      \
                 next: {{ping-pong/0: none}}\n  \
             - leader: peer-counter/1\n  \
             - settle:\n  \
             - expect:\n      \
                 leader: {{peer-counter: peer-counter/1}}\n      \
                 events:\n        \
                   - {{unit: peer-counter/1, last: [leader-elected], count: {{leader-elected: 1}}}}\n        \
                   - {{unit: peer-counter/0, last: [leader-settings-changed]}}\n  \
             - model-config: {{update-status-hook-interval: 20m, automatically-retry-hooks: true}}\n  \
             - advance: 10m\n  \
             - expect:\n      \
                 events: [{{unit: peer-counter/0, count: {{update-status: 0}}}}]\n  \
             - trust: peer-counter\n  \
             - address: {{unit: ping-pong/0, address: 10.5.5.5}}\n  \
             - restart-agent: peer-counter/0\n  \
             - settle:\n  \
             - expect:\n      \
                 events:\n        \
                   - {{unit: peer-counter/1, last: [config-changed]}}\n        \
                   - {{unit: peer-counter/0, count: {{config-changed: 2, leader-settings-changed: 2}}}}\n        \
                   - {{unit: ping-pong/0, count: {{config-changed: 3}}}}\n  \
             - trust: {{app: peer-counter, remove: true}}\n  \
             - settle: {{steps: 1}}\n",
            ping = ping.display(),
            peer = peer.display()
        ),
    )
    .unwrap();
    let text = super::sim_file(&file);
    assert!(
        text.contains("settle 1 steps: ping-pong/0 upgrade-charm"),
        "{text}"
    );
    assert!(
        text.contains("run-action ping-pong/0 serve: queued as"),
        "{text}"
    );
    assert!(text.contains("leader peer-counter/1"), "{text}");
    assert!(text.contains("trust peer-counter --remove"), "{text}");
    // A bad step is a clear error naming it.
    let bad = tmp("bad-ops.yaml");
    std::fs::write(
        &bad,
        format!(
            "steps:\n  - deploy: {{charm: {}, units: 1}}\n  - settle: {{stpes: 1}}\n",
            peer.display()
        ),
    )
    .unwrap();
    let out = Command::new(charmbox_bin())
        .arg("sim")
        .arg(&bad)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("stpes"), "{err}");
}

/// Juju 3.x `internal/worker/uniter/relation/resolver.go` breaks a
/// suspended relation as a dying one (departed for each member, then
/// broken); resumed, `statetracker.go` `SynchronizeScopes` joins it again
/// as a relation the unit does not know (relation-created, joined, changed).
#[test]
fn cli_suspend_and_resume_a_relation() {
    let db = tmp("suspend.db");
    let charm = built(PING);
    let charm = charm.to_str().unwrap();
    ok(&db, &["new", "--seed", "9"]);
    ok(&db, &["deploy", charm, "a", "-n", "2"]);
    ok(&db, &["deploy", charm, "b", "-n", "1"]);
    let out = ok(&db, &["integrate", "a:ping", "b:pong", "--settle"]);
    let id = out
        .strip_prefix("relation ")
        .and_then(|r| r.split(':').next())
        .unwrap()
        .to_string();
    let of = |ran: &[String], unit: &str| -> Vec<String> {
        ran.iter()
            .filter_map(|h| h.strip_prefix(&format!("{unit} ")).map(str::to_string))
            .collect()
    };
    // Refused halfway: a unit has not broken it yet.
    let n = hooks(&db).len();
    let out = ok(&db, &["suspend-relation", &id]);
    assert_eq!(out.trim(), format!("relation {id} suspended"));
    ok(&db, &["settle", "--steps", "1"]);
    let err = refused(&db, &["resume-relation", &id]);
    assert!(err.contains("still being suspended"), "{err}");
    ok(&db, &["settle"]);
    let ran = since(&db, n);
    for u in ["a/0", "a/1"] {
        assert_eq!(
            of(&ran, u),
            ["ping-relation-departed", "ping-relation-broken"],
            "{ran:?}"
        );
    }
    assert_eq!(
        of(&ran, "b/0"),
        [
            "pong-relation-departed",
            "pong-relation-departed",
            "pong-relation-broken"
        ]
    );
    assert!(ok(&db, &["status"]).contains("suspended"));
    let err = refused(&db, &["suspend-relation", "a:ping", "b:pong"]);
    assert!(err.contains("already suspended"), "{err}");
    let err = refused(&db, &["suspend-relation", "a:players"]);
    assert!(err.contains("not a regular relation"), "{err}");

    let n = hooks(&db).len();
    let out = ok(&db, &["resume-relation", "a:ping", "b:pong", "--settle"]);
    assert!(out.contains(&format!("relation {id} resumed")), "{out}");
    let ran = since(&db, n);
    let a0 = of(&ran, "a/0");
    assert_eq!(a0[0], "ping-relation-created", "{ran:?}");
    assert_eq!(a0[1..3], ["ping-relation-joined", "ping-relation-changed"]);
    let b0 = of(&ran, "b/0");
    assert_eq!(b0[0], "pong-relation-created", "{ran:?}");
    assert_eq!(
        b0.iter().filter(|h| *h == "pong-relation-joined").count(),
        2,
        "{b0:?}"
    );
    assert!(!ran.iter().any(|h| h.contains("broken")), "{ran:?}");
    assert!(!ok(&db, &["status"]).contains("suspended"));
    let err = refused(&db, &["resume-relation", &id]);
    assert!(err.contains("is not suspended"), "{err}");
}

#[test]
fn scenario_suspend_and_resume_steps() {
    let ping = built(PING);
    let file = tmp("suspend.yaml");
    std::fs::write(
        &file,
        format!(
            "model: {{seed: 4}}\nsteps:\n  \
             - deploy: {{charm: {ping}, app: a, units: 1}}\n  \
             - deploy: {{charm: {ping}, app: b, units: 1}}\n  \
             - integrate: [a:ping, b:pong]\n  \
             - settle:\n  \
             - suspend-relation: [a:ping, b:pong]\n  \
             - settle:\n  \
             - expect:\n      \
                 events:\n        \
                   - {{unit: a/0, last: [ping-relation-departed, ping-relation-broken]}}\n        \
                   - {{unit: b/0, last: [pong-relation-departed, pong-relation-broken]}}\n  \
             - resume-relation: [a:ping, b:pong]\n  \
             - settle:\n  \
             - expect:\n      \
                 relations: {{a: 2}}\n      \
                 events:\n        \
                   - {{unit: a/0, count: {{ping-relation-created: 2, ping-relation-broken: 1}}}}\n        \
                   - {{unit: b/0, count: {{pong-relation-created: 2, pong-relation-joined: 2}}}}\n  \
             - restart-container: {{unit: a/0, container: table}}\n  \
             - settle:\n  \
             - expect:\n      \
                 events: [{{unit: a/0, last: [table-pebble-ready], count: {{table-pebble-ready: 2}}}}]\n",
            ping = ping.display()
        ),
    )
    .unwrap();
    let text = super::sim_file(&file);
    assert!(text.contains("suspend-relation 2"), "{text}");
    assert!(text.contains("restart-container a/0 table"), "{text}");
}

/// `juju remove-unit --force --no-wait` (Juju 3.x `DestroyWithForce` with
/// `MaxWait` 0, `apiserver/common/remove.go`): the unit goes at once and
/// runs no teardown hook; leaving its relations' scopes, it departs from
/// the others, which run relation-departed for it.
#[test]
fn a_forced_removal_without_wait_runs_no_teardown_and_the_others_see_it_depart() {
    let db = tmp("force-nowait.db");
    let charm = built(PEER);
    ok(&db, &["new", "--seed", "5"]);
    ok(
        &db,
        &["deploy", charm.to_str().unwrap(), "-n", "3", "--settle"],
    );
    let err = refused(&db, &["remove-unit", "peer-counter/2", "--no-wait"]);
    assert!(err.contains("--force"), "{err}");
    let n = hooks(&db).len();
    ok(
        &db,
        &[
            "remove-unit",
            "peer-counter/2",
            "--force",
            "--no-wait",
            "--settle",
        ],
    );
    let mut ran = since(&db, n);
    ran.sort();
    assert_eq!(
        ran,
        [
            "peer-counter/0 fastapi-peer-relation-departed",
            "peer-counter/1 fastapi-peer-relation-departed"
        ]
    );
    let status = ok(&db, &["status"]);
    assert!(!status.contains("peer-counter/2"), "{status}");
}

/// `juju remove-unit --force` (Juju's default max wait, 1 minute): a unit
/// stuck in error keeps retrying its hook while it is dying, and the
/// controller removes it when the minute is up, its teardown never run.
/// Without `--force` it would stay.
#[test]
fn a_forced_removal_takes_a_unit_in_error_after_the_max_wait() {
    use std::time::Duration;
    let mut s = sim(6);
    s.set_settings(|st| st.fuel = Some(20_000_000)).unwrap();
    let mut config = std::collections::BTreeMap::new();
    config.insert("mode".to_string(), serde_json::json!("loop"));
    let opts = DeployOptions {
        units: Some(2),
        config,
        ..Default::default()
    };
    s.deploy(&built(super::MISBEHAVE), opts).unwrap();
    s.settle().unwrap();
    s.remove_unit("misbehave/0").unwrap();
    s.remove_unit_forced("misbehave/1", charmbox::sim::ops::FORCE_MAX_WAIT)
        .unwrap();
    s.settle().unwrap();
    s.advance(Duration::from_secs(59)).unwrap();
    let units =
        |s: &Simulator| -> Vec<String> { s.model().units.keys().map(|u| u.to_string()).collect() };
    assert_eq!(units(&s), ["misbehave/0", "misbehave/1"]);
    s.advance(Duration::from_secs(2)).unwrap();
    assert_eq!(units(&s), ["misbehave/0"], "forced out after the minute");
    let ran = s.unit_events("misbehave/1").unwrap();
    let teardown = [
        "stop",
        "remove",
        "peers-relation-departed",
        "peers-relation-broken",
    ];
    assert!(
        ran.iter().all(|h| !teardown.contains(&h.as_str())),
        "{ran:?}"
    );
    assert_eq!(ran.last().map(String::as_str), Some("start"), "{ran:?}");
    s.advance(Duration::from_secs(600)).unwrap();
    assert_eq!(units(&s), ["misbehave/0"], "unforced, it stays in error");
}
