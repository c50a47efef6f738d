//! The simulator's workload, resource, storage and machine operations of
//! issue 21 (`charmbox model restart-container|pebble-notify|pebble-check|
//! attach-resource|add-storage|detach-storage|reboot`, their scenario steps
//! and Rust API), each checked against the hooks Juju's uniter runs (the
//! Juju source is named at each test).

use charmbox::sim::Simulator;
use charmbox::sim::ops::DeployOptions;

use super::sim_ops::{PING, hooks, ok, refused, since};
use super::{PEER, built, sim, tmp};

/// Juju 3.x `internal/worker/uniter/pebblepoller.go`: a new Pebble boot id
/// in a workload container queues its pebble-ready again.
#[test]
fn cli_restart_container_runs_pebble_ready_again() {
    let db = tmp("container.db");
    let charm = built(PING);
    ok(&db, &["new", "--seed", "10"]);
    ok(
        &db,
        &["deploy", charm.to_str().unwrap(), "-n", "2", "--settle"],
    );
    let n = hooks(&db).len();
    ok(
        &db,
        &["restart-container", "ping-pong/1", "table", "--settle"],
    );
    assert_eq!(since(&db, n), ["ping-pong/1 table-pebble-ready"]);
    let log = ok(&db, &["log", "--unit", "ping-pong/1"]);
    assert_eq!(log.matches("table is ready").count(), 2, "{log}");
    let err = refused(&db, &["restart-container", "ping-pong/1", "nope"]);
    assert!(err.contains("has no container \"nope\""), "{err}");
    let m = tmp("container-machine.db");
    ok(&m, &["new", "--machine"]);
    ok(&m, &["deploy", charm.to_str().unwrap()]);
    let err = refused(&m, &["restart-container", "ping-pong/0", "table"]);
    assert!(err.contains("for Kubernetes models"), "{err}");
}

/// Juju 3.x `internal/worker/uniter/pebblenotices.go`: a custom notice
/// becomes `<container>-pebble-custom-notice` (a repeated key is the same
/// notice, occurring again).
#[test]
fn cli_pebble_notify() {
    let db = tmp("notify.db");
    let charm = built(PING);
    ok(&db, &["new", "--seed", "11"]);
    ok(&db, &["deploy", charm.to_str().unwrap(), "--settle"]);
    let n = hooks(&db).len();
    let unit = "ping-pong/0";
    let out = ok(
        &db,
        &["pebble-notify", unit, "table", "example.com/db", "--settle"],
    );
    assert!(out.starts_with("notice 1\n"), "{out}");
    let out = ok(&db, &["pebble-notify", unit, "table", "example.com/other"]);
    assert!(out.starts_with("notice 2\n"), "{out}");
    let out = ok(
        &db,
        &["pebble-notify", unit, "table", "example.com/db", "--settle"],
    );
    assert!(out.starts_with("notice 1\n"), "the same key: {out}");
    let ran = since(&db, n);
    assert_eq!(ran, ["ping-pong/0 table-pebble-custom-notice"; 3]);
    let details = ok(&db, &["log", "--hooks", "--tail", "3"]);
    let order: Vec<&str> = details
        .lines()
        .map(|l| l.split('(').nth(1).unwrap().split(')').next().unwrap())
        .collect();
    assert_eq!(order, ["notice 1", "notice 2", "notice 1"], "{details}");
    let err = refused(&db, &["pebble-notify", unit, "table", "db"]);
    assert!(err.contains("invalid custom notice key"), "{err}");
    let err = refused(&db, &["pebble-check", unit, "table", "alive", "failed"]);
    assert!(err.contains("has no check \"alive\""), "{err}");
    let err = refused(&db, &["pebble-check", unit, "table", "alive", "sideways"]);
    assert!(err.contains("invalid value"), "{err}");
}

/// `pebblenotices.go`: a `perform-check` change in error is
/// `<container>-pebble-check-failed`, a `recover-check` change done
/// `-recovered`; the scenario gives the container a plan with a check.
#[test]
fn scenario_pebble_checks_and_notices() {
    let ping = built(PING);
    let file = tmp("checks.yaml");
    std::fs::write(
        &file,
        format!(
            "model: {{seed: 5}}\nsteps:\n  \
             - deploy:\n      \
                 charm: {ping}\n      \
                 units: 2\n      \
                 containers:\n        \
                   - name: table\n          \
                     can_connect: true\n          \
                     layers:\n            \
                       - label: base\n              \
                         yaml: \"checks:\\n  alive:\\n    override: replace\\n    exec:\\n      command: 'true'\\n\"\n  \
             - settle:\n  \
             - pebble-check: {{unit: ping-pong/1, container: table, check: alive, change: failed}}\n  \
             - pebble-notify: {{unit: ping-pong/1, container: table, key: example.com/x}}\n  \
             - pebble-check: {{unit: ping-pong/1, container: table, check: alive, change: recovered}}\n  \
             - settle:\n  \
             - expect:\n      \
                 events:\n        \
                   - {{unit: ping-pong/1, last: [table-pebble-check-failed, table-pebble-custom-notice, table-pebble-check-recovered]}}\n        \
                   - {{unit: ping-pong/0, count: {{table-pebble-check-failed: 0}}}}\n",
            ping = ping.display()
        ),
    )
    .unwrap();
    let text = super::sim_file(&file);
    // Pebble numbers notices of every type in one sequence (its own
    // change-update notices come first here).
    assert!(
        text.contains("pebble-notify ping-pong/1 table example.com/x (notice "),
        "{text}"
    );
    // A check fails only when up and recovers only when down.
    use charmbox::sim::ops::CheckChange::{Failed, Recovered};
    let table: charmbox::state::ContainerState = serde_json::from_value(serde_json::json!({
        "name": "table",
        "can_connect": true,
        "layers": [{"label": "base", "layer": {"checks": {"alive": {
            "override": "replace", "exec": {"command": "true"}}}}}]
    }))
    .unwrap();
    let mut s = sim(5);
    s.deploy(
        &ping,
        DeployOptions {
            containers: vec![table],
            ..Default::default()
        },
    )
    .unwrap();
    s.settle().unwrap();
    let check = |s: &mut Simulator, c| s.pebble_check("ping-pong/0", "table", "alive", c);
    let err = check(&mut s, Recovered).unwrap_err();
    assert!(err.to_string().contains("is not down"), "{err}");
    check(&mut s, Failed).unwrap();
    let err = check(&mut s, Failed).unwrap_err();
    assert!(err.to_string().contains("already down"), "{err}");
    let ran = s.settle_steps(5).unwrap();
    let names: Vec<&str> = ran.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names, ["table-pebble-check-failed"]);
    let err = s
        .pebble_check("ping-pong/0", "table", "ready", Failed)
        .unwrap_err();
    assert!(err.to_string().contains("no check \"ready\""), "{err}");
}

/// A resource's new revision moves the charm-modified version: Juju 3.x
/// `internal/worker/uniter/resolver.go` `charmModified` upgrades; a k8s
/// sidecar unit first gets a new pod (`remotestate/watcher.go`
/// `applicationChanged`), as on a refresh.
#[test]
fn attach_resource_upgrades_every_unit_in_a_new_pod() {
    let db = tmp("resource.db");
    let charm = built("examples/pause");
    ok(&db, &["new", "--seed", "12"]);
    ok(&db, &["deploy", charm.to_str().unwrap(), "--settle"]);
    let n = hooks(&db).len();
    ok(
        &db,
        &[
            "attach-resource",
            "pause",
            "pause-image=./image.tar",
            "--settle",
        ],
    );
    assert_eq!(
        since(&db, n),
        [
            "pause/0 stop",
            "pause/0 upgrade-charm",
            "pause/0 config-changed",
            "pause/0 start",
            "pause/0 pause-pebble-ready"
        ]
    );
    let err = refused(&db, &["attach-resource", "pause", "nope=x"]);
    assert!(err.contains("has no resource \"nope\""), "{err}");
    let file = tmp("resource.yaml");
    std::fs::write(
        &file,
        format!(
            "steps:\n  - deploy: {{charm: {}}}\n  - settle:\n  \
             - attach-resource: {{app: pause, resource: pause-image}}\n  - settle:\n  \
             - expect:\n      \
                 events: [{{unit: pause/0, last: [stop, upgrade-charm, config-changed, start, pause-pebble-ready]}}]\n",
            charm.display()
        ),
    )
    .unwrap();
    let text = super::sim_file(&file);
    assert!(text.contains("attach-resource pause pause-image"), "{text}");
}

/// Juju 3.x `internal/worker/uniter/storage/resolver.go`: an attachment not
/// yet attached runs storage-attached, a dying one storage-detaching.
#[test]
fn cli_add_and_detach_storage_on_a_machine() {
    let db = tmp("storage.db");
    let charm = built(PING);
    ok(&db, &["new", "--machine", "--seed", "13"]);
    ok(&db, &["deploy", charm.to_str().unwrap(), "--settle"]);
    let n = hooks(&db).len();
    let out = ok(&db, &["add-storage", "ping-pong/0", "logs=2", "--settle"]);
    assert!(out.starts_with("logs/0\nlogs/1\n"), "{out}");
    assert_eq!(
        since(&db, n),
        [
            "ping-pong/0 logs-storage-attached",
            "ping-pong/0 logs-storage-attached"
        ]
    );
    let err = refused(&db, &["add-storage", "ping-pong/0", "logs"]);
    assert!(
        err.contains("would exceed the charm's maximum of 2"),
        "{err}"
    );
    let err = refused(&db, &["add-storage", "ping-pong/0", "data"]);
    assert!(err.contains("charm has no storage \"data\""), "{err}");
    let n = hooks(&db).len();
    ok(&db, &["detach-storage", "logs/0", "--settle"]);
    assert_eq!(since(&db, n), ["ping-pong/0 logs-storage-detaching"]);
    let err = refused(&db, &["detach-storage", "logs/0"]);
    assert!(err.contains("storage \"logs/0\" not found"), "{err}");
    // Room again: the next instance takes the next model-wide number.
    let out = ok(&db, &["add-storage", "ping-pong/0", "logs"]);
    assert_eq!(out.trim(), "logs/2");
    let k8s = tmp("storage-k8s.db");
    ok(&k8s, &["new"]);
    ok(&k8s, &["deploy", charm.to_str().unwrap()]);
    let err = refused(&k8s, &["add-storage", "ping-pong/0", "logs"]);
    assert!(err.contains("machine models only"), "{err}");
    let file = tmp("storage.yaml");
    std::fs::write(
        &file,
        format!(
            "model: {{type: machine}}\nsteps:\n  - deploy: {{charm: {}}}\n  - settle:\n  \
             - add-storage: {{unit: ping-pong/0, storage: logs}}\n  - settle:\n  \
             - detach-storage: logs/0\n  - settle:\n  \
             - expect:\n      \
                 events: [{{unit: ping-pong/0, last: [logs-storage-attached, logs-storage-detaching]}}]\n  \
             - reboot: ping-pong/0\n  - settle:\n  \
             - expect:\n      \
                 events: [{{unit: ping-pong/0, last: [logs-storage-detaching, start], count: {{start: 2}}}}]\n",
            charm.display()
        ),
    )
    .unwrap();
    let text = super::sim_file(&file);
    assert!(text.contains("add-storage ping-pong/0 logs/0"), "{text}");
}

/// Juju 3.x `internal/worker/uniter/reboot/resolver.go`: after a reboot a
/// started unit runs `start` before anything else; its agent restarted, a
/// non-leader then runs leader-settings-changed (`uniter.go`).
#[test]
fn cli_reboot_runs_start_first() {
    let db = tmp("reboot.db");
    let charm = built(PEER);
    ok(&db, &["new", "--machine", "--seed", "14"]);
    ok(
        &db,
        &["deploy", charm.to_str().unwrap(), "-n", "2", "--settle"],
    );
    let n = hooks(&db).len();
    let out = ok(&db, &["reboot", "peer-counter/1", "--settle"]);
    assert!(out.contains("rebooted peer-counter/1"), "{out}");
    assert_eq!(
        since(&db, n),
        [
            "peer-counter/1 start",
            "peer-counter/1 leader-settings-changed"
        ]
    );
    let n = hooks(&db).len();
    ok(&db, &["reboot", "peer-counter/0", "--settle"]);
    let mine: Vec<String> = since(&db, n)
        .into_iter()
        .filter(|h| h.starts_with("peer-counter/0 "))
        .collect();
    assert_eq!(mine, ["peer-counter/0 start"], "the leader: start only");
    let k8s = tmp("reboot-k8s.db");
    ok(&k8s, &["new"]);
    ok(&k8s, &["deploy", charm.to_str().unwrap()]);
    let err = refused(&k8s, &["reboot", "peer-counter/0"]);
    assert!(err.contains("for machine models"), "{err}");
}

/// A machine (or k8s, `kind`) model of misbehave with `mode`, settled.
fn misbehave(mode: &str, kind: charmbox::sim::model::Substrate) -> Simulator {
    let mut s = Simulator::in_memory(
        super::runtime(),
        charmbox::sim::ModelOptions {
            kind,
            seed: 21,
            ..Default::default()
        },
    );
    s.set_paranoid(true);
    let mut config = std::collections::BTreeMap::new();
    config.insert("mode".to_string(), serde_json::json!(mode));
    let opts = DeployOptions {
        config,
        ..Default::default()
    };
    s.deploy(&built(super::MISBEHAVE), opts).unwrap();
    s.settle().unwrap();
    s
}

/// `juju-reboot` from a hook (Juju 3.x `runner/context` `handleReboot`,
/// `operation/runhook.go` Execute, `reboot/resolver.go`): without `--now`
/// the hook commits and the machine reboots after it, so a started unit
/// runs `start` again; with `--now` the hook stops there, its buffered
/// writes are lost (its status, immediate, stays), and it runs again first
/// after the reboot — the unit had not started, so no extra `start`. On
/// Kubernetes there is no machine: Juju's request fails, and the hook.
#[test]
fn juju_reboot_from_a_hook_reboots_the_machine_after_it_or_now() {
    use charmbox::sim::model::Substrate;
    let tail = |s: &Simulator| {
        let ev = s.unit_events("misbehave/0").unwrap();
        ev[ev.iter().position(|e| e == "config-changed").unwrap()..].to_vec()
    };
    let unit = |s: &Simulator| s.model().units.values().next().unwrap().clone();

    let s = misbehave("reboot", Substrate::Machine);
    assert_eq!(tail(&s), ["config-changed", "start", "start"]);
    let u = unit(&s);
    assert_eq!(u.status().message, "rebooted");
    assert_eq!(
        u.unit_state.get("reboot-asked").map(String::as_str),
        Some("true")
    );

    let s = misbehave("reboot-now", Substrate::Machine);
    assert_eq!(tail(&s), ["config-changed", "start", "start"]);
    let outcomes: Vec<String> = (s.events().unwrap().into_iter())
        .filter(|e| e.event == "start")
        .map(|e| e.outcome)
        .collect();
    assert_eq!(outcomes, ["requeued: juju-reboot --now", "ok"]);
    let u = unit(&s);
    assert_eq!(u.status().message, "back after reboot");
    assert!(u.agent.started && u.agent.error.is_none());
    assert!(!u.unit_state.contains_key("lost"), "{:?}", u.unit_state);

    let s = misbehave("reboot", Substrate::Kubernetes);
    let u = unit(&s);
    let e = u.agent.error.expect("the hook failed");
    assert_eq!(
        e.message,
        "hook failed: \"start\": juju-reboot: unit misbehave/0 is not assigned to a machine"
    );
}

/// `juju upgrade-machine` (Juju 3.x `upgradeseries/resolver.go` and the
/// machine's upgrade-series worker): prepare runs pre-series-upgrade on
/// every unit of the machine, then their agents stop — nothing runs, not
/// even update-status — until complete starts them again, fresh: a
/// non-leader's leader-settings-changed (leadership resolves before the
/// optional resolvers), then post-series-upgrade; then the lock goes.
#[test]
fn cli_upgrade_machine_prepares_stops_and_completes() {
    let db = tmp("upgrade-machine.db");
    let charm = built(PEER);
    ok(&db, &["new", "--machine", "--seed", "31"]);
    ok(
        &db,
        &["deploy", charm.to_str().unwrap(), "-n", "2", "--settle"],
    );
    let err = refused(&db, &["upgrade-machine", "peer-counter/1", "complete"]);
    assert!(err.contains("is not prepared"), "{err}");
    let err = refused(
        &db,
        &[
            "upgrade-machine",
            "peer-counter/1",
            "prepare",
            "ubuntu@21.04",
        ],
    );
    assert!(err.contains("unknown Ubuntu release"), "{err}");
    let n = hooks(&db).len();
    ok(
        &db,
        &[
            "upgrade-machine",
            "peer-counter/1",
            "prepare",
            "ubuntu@24.04",
            "--settle",
        ],
    );
    assert_eq!(since(&db, n), ["peer-counter/1 pre-series-upgrade"]);
    let err = refused(
        &db,
        &[
            "upgrade-machine",
            "peer-counter/1",
            "prepare",
            "ubuntu@24.04",
        ],
    );
    assert!(
        err.contains("already being upgraded to ubuntu@24.04"),
        "{err}"
    );
    let n = hooks(&db).len();
    ok(&db, &["advance", "30m"]);
    let ran = since(&db, n);
    assert!(
        ran.iter().all(|h| h.starts_with("peer-counter/0")),
        "{ran:?}"
    );
    assert!(!ran.is_empty(), "the other machine's unit goes on");
    let n = hooks(&db).len();
    ok(
        &db,
        &["upgrade-machine", "peer-counter/1", "complete", "--settle"],
    );
    assert_eq!(
        since(&db, n),
        [
            "peer-counter/1 leader-settings-changed",
            "peer-counter/1 post-series-upgrade"
        ]
    );
    // The lock is gone: the machine can be upgraded again.
    ok(
        &db,
        &[
            "upgrade-machine",
            "peer-counter/1",
            "prepare",
            "ubuntu@24.04",
        ],
    );
    let k8s = tmp("upgrade-machine-k8s.db");
    ok(&k8s, &["new"]);
    ok(&k8s, &["deploy", charm.to_str().unwrap()]);
    let err = refused(
        &k8s,
        &[
            "upgrade-machine",
            "peer-counter/0",
            "prepare",
            "ubuntu@24.04",
        ],
    );
    assert!(err.contains("for machine models"), "{err}");
}

/// The scenario forms of upgrade-machine and of forced removals (the same
/// operations as the CLI tests above, through a scenario file).
#[test]
fn scenario_upgrade_machine_and_forced_removal_steps() {
    let charm = built(PEER);
    let file = tmp("upgrade-force.yaml");
    std::fs::write(
        &file,
        format!(
            "model: {{type: machine, seed: 33}}\nsteps:\n  \
             - deploy: {{charm: {c}, units: 2}}\n  - settle:\n  \
             - upgrade-machine: {{unit: peer-counter/1, prepare: ubuntu@24.04}}\n  - settle:\n  \
             - expect:\n      \
                 events: [{{unit: peer-counter/1, last: [pre-series-upgrade]}}]\n  \
             - upgrade-machine: {{unit: peer-counter/1, complete: true}}\n  - settle:\n  \
             - expect:\n      \
                 events: [{{unit: peer-counter/1, last: [leader-settings-changed, post-series-upgrade]}}]\n  \
             - remove-unit: {{unit: peer-counter/1, force: true, no-wait: true}}\n  - settle:\n  \
             - expect:\n      \
                 events: [{{unit: peer-counter/0, last: [fastapi-peer-relation-departed]}}]\n  \
             - remove-application: {{app: peer-counter, force: true}}\n  - settle:\n",
            c = charm.display()
        ),
    )
    .unwrap();
    let text = super::sim_file(&file);
    assert!(
        text.contains("upgrade-machine peer-counter/1 complete"),
        "{text}"
    );
    assert!(
        text.contains("remove-unit peer-counter/1 --force --no-wait"),
        "{text}"
    );
    assert!(
        text.contains("remove-application peer-counter --force"),
        "{text}"
    );
    let bad = tmp("no-wait-alone.yaml");
    std::fs::write(
        &bad,
        format!(
            "model: {{type: machine}}\nsteps:\n  - deploy: {{charm: {}}}\n  \
             - remove-unit: {{unit: peer-counter/0, no-wait: true}}\n",
            charm.display()
        ),
    )
    .unwrap();
    let out = std::process::Command::new(super::charmbox_bin())
        .arg("sim")
        .arg(&bad)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("no-wait needs force"),
        "{err}"
    );
}

/// A deployed application's workload answers HTTP on each unit's loopback
/// (`deploy`'s `loopback_http`): the charm's start reads the version from
/// it; the scenario step takes the same answers.
#[test]
fn the_workloads_loopback_answers_reach_every_unit() {
    let mut s = sim(22);
    let mut config = std::collections::BTreeMap::new();
    config.insert("mode".to_string(), serde_json::json!("workload-http"));
    let answers = serde_json::json!([
        {"port": 8000, "path": "/version", "body": "4.5.6",
         "headers": {"Content-Type": "text/plain"}}
    ]);
    let opts = DeployOptions {
        config,
        units: Some(2),
        loopback_http: serde_json::from_value(answers).unwrap(),
        ..Default::default()
    };
    s.deploy(&built(super::MISBEHAVE), opts).unwrap();
    s.settle().unwrap();
    for n in 0..2 {
        let name = charmbox::sim::names::UnitName::new("misbehave", n);
        let unit = s.model().unit(&name).unwrap();
        assert_eq!(unit.workload_version, "4.5.6");
        assert!(
            unit.status()
                .message
                .ends_with("nothing listens on loopback port 9999 (the State's loopback_http has no answer on it)"),
            "{:?}",
            unit.status()
        );
    }
    let file = tmp("loopback.yaml");
    std::fs::write(
        &file,
        format!(
            "steps:\n  - deploy: {{charm: {}, config: {{mode: workload-http}}, \
             loopback-http: [{{port: 8000, path: /version, body: \"7.8.9\"}}]}}\n  - settle:\n  \
             - expect: {{agent: {{misbehave/0: idle}}}}\n",
            built(super::MISBEHAVE).display()
        ),
    )
    .unwrap();
    super::sim_file(&file);
}
