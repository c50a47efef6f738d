//! Property test: no argv or stdin makes `run` panic, every exit code is
//! 0, 1 or 2, failures print `ERROR ...` on stderr, and the hook can still
//! be committed afterwards. Scale with `JUJUC_FUZZ_CASES` (default 3000).

use std::sync::Arc;

use proptest::prelude::*;

use super::tools;
use crate::backend::Backend;
use crate::backend::unit::{REBOOT_NOW, UnitBackend};
use crate::charm::CharmMeta;
use crate::event::EventSpec;
use crate::state::State;

const CHARM: &str = r#"
name: demo
peers:
  demo-peers: {interface: demo_peers}
requires:
  db: {interface: pgsql}
provides:
  website: {interface: http}
containers:
  workload: {}
storage:
  data: {type: filesystem}
resources:
  blob: {type: file}
config:
  options:
    name: {type: string, default: demo}
    port: {type: int, default: 8080}
    ratio: {type: float}
    debug: {type: boolean, default: false}
actions:
  backup:
    params:
      target: {type: string, default: s3}
"#;

const STATE: &str = r#"{
  "leader": true,
  "config": {"name": "fuzz"},
  "relations": [
    {"id": 1, "endpoint": "demo-peers", "remote_units_data": {"1": {"k": "v"}},
     "local_app_data": {"a": "b"}, "local_unit_data": {"x": "y"}},
    {"id": 3, "endpoint": "db", "remote_app": "pg", "remote_app_data": {"host": "h"},
     "remote_units_data": {"0": {"user": "u"}, "1": {}}},
    {"id": 10, "endpoint": "db", "remote_app": "pg2"}
  ],
  "unit_state": {"s": "t"},
  "leader_settings": {"l": "m"},
  "secrets": [
    {"id": "secret:0123456789abcdefghij", "owner": "application", "label": "mine",
     "revisions": [{"revision": 1, "content": {"password": "pw"}}]},
    {"id": "secret:abcdefghij0123456789", "tracked": 1,
     "revisions": [{"revision": 1, "content": {"token": "t1"}}, {"revision": 2, "content": {"token": "t2"}}]}
  ],
  "opened_ports": [{"protocol": "tcp", "port": 80}],
  "storages": [{"name": "data", "index": 0}],
  "resources": {"blob": "/var/lib/juju/resources/blob"}
}"#;

fn backend(event: &EventSpec) -> UnitBackend {
    let meta = Arc::new(CharmMeta::parse(CHARM, "fuzz").expect("charm"));
    let state = State::from_json(STATE, "fuzz").expect("state");
    let resolved = event.resolve(&meta, &state).expect("event");
    UnitBackend::new(meta, state, &resolved).expect("backend")
}

fn events() -> Vec<EventSpec> {
    let mut changed = EventSpec::named("db-relation-changed");
    changed.relation_id = Some(3);
    changed.remote_unit = Some("pg/0".into());
    let mut action = EventSpec::named("backup");
    action.action = true;
    let mut storage = EventSpec::named("data-storage-attached");
    storage.storage_id = Some("data/0".into());
    vec![EventSpec::named("start"), changed, action, storage]
}

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "-r", "--relation", "1", "3", "db:3", "demo-peers:1", "99", "--app", "--app=False", "-",
            "--format", "json", "yaml", "smart", "--format=json", "-o", "--file", "--all", "-a",
            "key", "k", "a=b", "x=", "=y", "pg/0", "pg", "demo/0", "demo", "--strict", "--label",
            "mine", "secret:0123456789abcdefghij", "abcdefghij0123456789", "password#base64=cHc=",
            "--peek", "--refresh", "--owner", "unit", "--expire", "24h", "--rotate", "daily",
            "80/tcp", "8000-8080/udp", "icmp", "--endpoints", "website", "-s", "data/0", "data=2",
            "--include-data", "--application", "active", "blocked", "-l", "DEBUG", "--debug", "--",
            "--now", "--unit", "--revision", "2", "--bind-address", "--ingress-address",
            "--egress-subnets", "--primary-address", "private-address", "-h", "--help",
        ]).prop_map(str::to_string),
        2 => "[-a-z0-9=:#/._ ]{0,12}",
        1 => any::<String>(),
    ]
}

fn tool() -> impl Strategy<Value = String> {
    prop_oneof![
        9 => prop::sample::select(tools::names()).prop_map(str::to_string),
        1 => "[a-z-]{0,12}",
    ]
}

fn cases() -> u32 {
    std::env::var("JUJUC_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn run_never_panics(
        event in 0usize..4,
        calls in prop::collection::vec((tool(), prop::collection::vec(word(), 0..7),
            prop::collection::vec(any::<u8>(), 0..48)), 1..4),
        success in any::<bool>(),
    ) {
        let mut b = backend(&events()[event]);
        for (name, args, stdin) in calls {
            let mut argv = vec![name];
            argv.extend(args);
            let out = super::run(&mut b, &argv, &stdin);
            let out = match out {
                Ok(o) => o,
                // `juju-reboot --now` stops the hook by design: nothing
                // after it runs (Juju kills the hook's process).
                Err(stop) if stop == REBOOT_NOW && argv[0] == "juju-reboot" => break,
                Err(fatal) => return Err(TestCaseError::fail(format!("fatal for {argv:?}: {fatal}"))),
            };
            prop_assert!([0, 1, 2].contains(&out.code), "{argv:?} exited {}", out.code);
            if out.code != 0 {
                prop_assert!(out.stderr.ends_with(b"\n") && String::from_utf8_lossy(&out.stderr).contains("ERROR "),
                    "{argv:?}: {:?}", String::from_utf8_lossy(&out.stderr));
            }
        }
        let _ = b.finish(success);
    }
}
