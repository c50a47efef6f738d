//! Compiled only under #[cfg(test)] (declared from tools.rs): the live
//! tools against charmbox's own tools. Juju's side is `jujuc::run_with`
//! (charmbox's byte-exact reimplementation of Juju's hook tools) over a
//! `UnitBackend`; every typed call through [`LiveTools`] over it must get
//! the very reply (or error kind and message) that `UnitBackend::call` gives
//! on an identical fresh backend, and after the sequence both backends must
//! hold the same State, logs and action report.

use std::sync::Arc;

use super::calls::{Hook, VARIANTS, sequence, variant};
use super::*;
use crate::backend::Backend;
use crate::backend::unit::UnitBackend;
use crate::bindings::types::{PortProtocol, PortRange, SecretOptions, StringMap};
use crate::charm::CharmMeta;
use crate::event::{EventSpec, ResolvedEvent};
use crate::jujuc::{FileError, ToolHost};
use crate::state::State;

pub(super) const CHARM: &str = r#"
name: demo
peers:
  demo-peers: {interface: demo_peers}
requires:
  db: {interface: pgsql}
provides:
  website: {interface: http}
storage:
  data: {type: filesystem, multiple: {range: 0-4}}
  cache: {type: block}
resources:
  blob: {type: file}
config:
  options:
    name: {type: string, default: demo}
    port: {type: int, default: 8080}
    ratio: {type: float, default: 0.5}
    whole: {type: float}
    debug: {type: boolean, default: false}
    password: {type: secret}
    unset: {type: string}
actions:
  backup:
    params:
      compress: {type: boolean, default: true}
      count: {type: integer, default: 3}
      target: {type: string, default: s3}
      whole: {type: number}
      zeta: {type: object}
"#;

pub(super) const STATE: &str = r#"{
  "leader": true,
  "config": {"name": "\u00fcn\u00efcode <&> \"q\"\n", "port": 9007199254740993,
             "ratio": 0.1, "whole": 2.0, "password": "secret:abcdefghij0123456789"},
  "relations": [
    {"id": 1, "endpoint": "demo-peers", "remote_units_data": {"1": {"k": "v"}, "2": {}},
     "local_app_data": {"a": "b", "peer": "p"}, "local_unit_data": {"x": "y"}},
    {"id": 3, "endpoint": "db", "remote_app": "pg",
     "remote_app_data": {"host": "h", "port": "5432"},
     "remote_units_data": {"0": {"user": "u", "weird": "tab\there"}, "1": {}},
     "remote_units_status": {"0": {"status": "active", "message": "", "since": "2026-01-01T06:00:00Z"}},
     "local_unit_data": {"mine": "1"}, "local_app_data": {"app": "x"}},
    {"id": 10, "endpoint": "db", "remote_app": "pg2"},
    {"id": 7, "endpoint": "website", "remote_app": "web",
     "remote_model_uuid": "11111111-2222-4333-8444-555555555555"}
  ],
  "unit_status": {"status": "active", "message": "ready", "since": "2026-01-01T07:00:00Z"},
  "app_status": {"status": "waiting", "message": "w"},
  "peer_unit_statuses": {"demo/1": {"status": "blocked", "message": "b"}},
  "dying_units": ["demo/2"],
  "planned_units": 3,
  "workload_version": "1.0",
  "unit_state": {"s": "t", "k2": "v2"},
  "leader_settings": {"l": "m"},
  "secrets": [
    {"id": "secret:0123456789abcdefghij", "owner": "application", "label": "mine",
     "description": "app secret", "expire": "2026-06-01T00:00:00Z", "rotate": "daily",
     "grants": {"3": []},
     "revisions": [{"revision": 1, "content": {"password": "pw"}},
                   {"revision": 2, "content": {"password": "pw2"}}]},
    {"id": "secret:9m4e2mr0ui3e8a215n4g", "owner": "unit", "label": "unit-one",
     "revisions": [{"revision": 1, "content": {"token": "a"}},
                   {"revision": 2, "content": {"token": "b"}}]},
    {"id": "secret:abcdefghij0123456789", "tracked": 1,
     "revisions": [{"revision": 1, "content": {"token": "t1"}},
                   {"revision": 2, "content": {"token": "t2"}}]}
  ],
  "opened_ports": [{"protocol": "tcp", "port": 80},
                   {"protocol": "udp", "port": 8000, "to_port": 8080, "endpoints": ["db", "website"]},
                   {"protocol": "icmp"}],
  "storages": [{"name": "data", "index": 0}, {"name": "data", "index": 1, "location": "/srv/data1"},
               {"name": "cache", "index": 0}],
  "networks": {"db": {"interface_name": "ens5", "mac_address": "00:11:22:33:44:55",
                      "addresses": ["10.0.0.5", "10.0.0.6"], "cidr": "10.0.0.0/24",
                      "ingress_addresses": ["203.0.113.9"],
                      "egress_subnets": ["10.0.0.0/24", "10.1.0.0/16"]},
               "website": {"addresses": [], "ingress_addresses": [], "egress_subnets": []}},
  "model": {"name": "m", "uuid": "00000000-0000-4000-8000-000000000000", "type": "lxd",
            "juju_version": "3.6.14"},
  "resources": {"blob": "/var/lib/juju/resources/blob/blob.tgz"},
  "trusted": true
}"#;

/// Secret content files staged by [`LiveTools`], read from the host's disk
/// as Juju's agent reads them.
struct HostFiles;

impl ToolHost for HostFiles {
    fn read_file(&mut self, path: &str, limit: u64) -> Result<Vec<u8>, FileError> {
        let fail = |e: std::io::Error| FileError::Path {
            op: "open",
            path: path.to_string(),
            reason: e.to_string(),
        };
        let size = std::fs::metadata(path).map_err(fail)?.len();
        if size > limit {
            return Err(FileError::TooLarge {
                path: path.to_string(),
                size,
                limit,
            });
        }
        std::fs::read(path).map_err(fail)
    }
}

/// Juju's side: charmbox's tools over a State backend. `mutate` changes
/// each argv first (to show the comparison catches a wrong argv).
pub(super) struct Jujuc {
    pub backend: UnitBackend,
    pub argvs: Vec<Vec<String>>,
    pub mutate: Option<Mutation>,
}

impl ToolRunner for Jujuc {
    fn run(&mut self, argv: &[String], stdin: &[u8]) -> Result<ToolOutput, String> {
        let mut argv = argv.to_vec();
        if let Some(m) = self.mutate {
            m(&mut argv);
        }
        self.argvs.push(argv.clone());
        crate::jujuc::run_with(&mut self.backend, &mut HostFiles, &argv, stdin)
    }
}

/// A change made to each argv before it reaches the tools.
pub(super) type Mutation = fn(&mut Vec<String>);

/// A reply, a Juju error, or a fatal problem, comparable.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Outcome {
    Reply(Box<HookReply>),
    Hook(HookError),
    Fatal(String),
}

pub(super) fn outcome(r: ToolResult<HookReply>) -> Outcome {
    match r {
        Ok(r) => Outcome::Reply(Box::new(r)),
        Err(ToolError::Hook(e)) => Outcome::Hook(e),
        Err(ToolError::Fatal(m)) => Outcome::Fatal(m),
    }
}

/// One event of the test: its name, the spec and whether the unit leads.
pub(super) struct Case {
    pub name: &'static str,
    pub event: EventSpec,
    pub leader: bool,
}

pub(super) fn cases() -> Vec<Case> {
    let rel = |name: &str, id: u32, remote: Option<&str>| {
        let mut e = EventSpec::named(name);
        e.relation_id = Some(id);
        e.remote_unit = remote.map(str::to_string);
        e
    };
    let mut action = EventSpec::named("backup");
    action.action = true;
    action
        .params
        .insert("target".into(), serde_json::json!("gs"));
    action.params.insert(
        "zeta".into(),
        serde_json::json!({"a": 1, "b": [1.5, "x", null, 1e21, -2.5e-7], "c": {"d": "<&>"}}),
    );
    let mut storage = EventSpec::named("data-storage-attached");
    storage.storage_id = Some("data/0".into());
    let mut departed = rel("db-relation-departed", 3, Some("pg/1"));
    departed.departing_unit = Some("pg/1".into());
    let case = |name, event, leader| Case {
        name,
        event,
        leader,
    };
    vec![
        case("start", EventSpec::named("start"), true),
        case("start (minion)", EventSpec::named("start"), false),
        case(
            "relation-changed",
            rel("db-relation-changed", 3, Some("pg/0")),
            true,
        ),
        case(
            "relation-changed (minion)",
            rel("db-relation-changed", 3, Some("pg/0")),
            false,
        ),
        case(
            "peer relation-changed",
            rel("demo-peers-relation-changed", 1, Some("demo/1")),
            true,
        ),
        case("relation-departed", departed, true),
        case("relation-broken", rel("db-relation-broken", 10, None), true),
        case("action", action, true),
        case("storage-attached", storage, true),
    ]
}

pub(super) fn meta() -> Arc<CharmMeta> {
    Arc::new(CharmMeta::parse(CHARM, "test").expect("charm"))
}

/// A fresh State backend for `case`, and its resolved event.
pub(super) fn backend(case: &Case) -> (UnitBackend, ResolvedEvent) {
    let meta = meta();
    let mut state = State::from_json(STATE, "test").expect("state");
    state.leader = case.leader;
    let resolved = case.event.resolve(&meta, &state).expect("event");
    let b = UnitBackend::new(meta, state, &resolved).expect("backend");
    (b, resolved)
}

/// LiveTools over Juju's side for `case`, told what a unit agent's
/// environment and the charm's metadata tell.
pub(super) fn live(case: &Case, charm: bool, mutate: Option<Mutation>) -> LiveTools<Jujuc> {
    let (backend, resolved) = backend(case);
    let relation = resolved.event.context.relation.clone();
    let runner = Jujuc {
        backend,
        argvs: Vec::new(),
        mutate,
    };
    let mut t = LiveTools::new(runner, relation.as_ref().map(|r| r.id));
    if charm {
        t = t.with_charm(&meta());
    }
    if let Some(r) = relation {
        t = t.with_hook_endpoint(r.endpoint);
    }
    t
}

/// Run `calls` both ways; every difference, described.
pub(super) fn differences(
    case: &Case,
    calls: &[HookCall],
    charm: bool,
    mutate: Option<Mutation>,
) -> Vec<String> {
    let (mut typed, _) = backend(case);
    let mut tools = live(case, charm, mutate);
    let mut out = Vec::new();
    for call in calls {
        let want = outcome(typed.call(call.clone()));
        let got = outcome(tools.call(call.clone()));
        if want != got {
            out.push(format!(
                "{}: {call:?}\n  typed: {want:?}\n  live:  {got:?}\n  argv:  {:?}",
                case.name,
                tools.runner.argvs.last()
            ));
        }
    }
    let typed_commit = typed.finish(true);
    let live_commit = tools.runner.backend.finish(true);
    if typed_commit != live_commit {
        out.push(format!(
            "{}: commit {typed_commit:?} vs {live_commit:?}",
            case.name
        ));
    }
    let juju = &tools.runner.backend;
    if typed.state() != juju.state() {
        out.push(format!(
            "{}: states differ\n  typed: {:?}\n  live:  {:?}",
            case.name,
            typed.state(),
            juju.state()
        ));
    }
    if typed.logs() != juju.logs() {
        out.push(format!(
            "{}: logs {:?} vs {:?}",
            case.name,
            typed.logs(),
            juju.logs()
        ));
    }
    if typed.action_report() != juju.action_report() {
        out.push(format!(
            "{}: action reports {:?} vs {:?}",
            case.name,
            typed.action_report(),
            juju.action_report()
        ));
    }
    out
}

/// What the call sequence depends on, for `case`.
pub(super) fn hook_of(case: &Case, resolved: &ResolvedEvent) -> Hook {
    Hook {
        relation: resolved.event.context.relation.as_ref().map(|r| r.id),
        action: case.event.action,
        leader: case.leader,
    }
}

pub(super) fn map(pairs: &[(&str, &str)]) -> StringMap {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(super) fn options() -> SecretOptions {
    SecretOptions {
        owner: None,
        label: None,
        description: None,
        expire: None,
        rotate: None,
    }
}

pub(super) fn port(protocol: PortProtocol, from: u16, to: u16) -> PortRange {
    PortRange {
        protocol,
        from_port: from,
        to_port: to,
    }
}

#[test]
fn every_call_gets_the_state_backends_reply_through_the_live_tools() {
    let mut all = Vec::new();
    // Which variants answered Ok somewhere, and which failed somewhere.
    let (mut ok, mut failed) = ([false; VARIANTS], [false; VARIANTS]);
    let mut compared = 0;
    for case in cases() {
        let (mut probe, resolved) = backend(&case);
        let calls = sequence(hook_of(&case, &resolved));
        for c in &calls {
            match probe.call(c.clone()) {
                Ok(_) => ok[variant(c)] = true,
                Err(_) => failed[variant(c)] = true,
            }
        }
        compared += calls.len();
        all.extend(differences(&case, &calls, true, None));
    }
    assert!(compared > 2000, "{compared} calls compared");
    // The secret content above went through staged files, as ops sends it.
    let mut tools = live(&cases()[0], true, None);
    let add = HookCall::SecretAdd {
        content: map(&[("password", "pw")]),
        options: options(),
    };
    assert!(matches!(tools.call(add), Ok(HookReply::Text(_))));
    let argv = tools.runner.argvs.last().expect("secret-add ran");
    assert!(
        argv.iter().any(|a| a.starts_with("password#file=/")),
        "{argv:?}"
    );
    assert!(
        all.is_empty(),
        "{} differences:\n{}",
        all.len(),
        all.join("\n")
    );
    let missing: Vec<usize> = (0..VARIANTS).filter(|i| !ok[*i]).collect();
    assert!(missing.is_empty(), "variants never answered: {missing:?}");
    // Every variant that can fail was seen failing. These cannot here: reads
    // of the unit's own data, the hook relation, the credential of a
    // trusted application, and the writes only a host quota refuses.
    let infallible = [0, 1, 4, 5, 6, 9, 10, 13, 14, 18, 24, 26, 29, 31, 37];
    let unfailed: Vec<usize> = (0..VARIANTS)
        .filter(|i| !failed[*i] && !infallible.contains(i))
        .collect();
    assert!(
        unfailed.is_empty(),
        "variants never seen failing: {unfailed:?}"
    );
}

#[test]
fn a_wrong_argv_is_caught() {
    // Each mutation of what reaches the tools must show up as a difference.
    let mutations: [(&str, Mutation); 5] = [
        ("--app dropped", |a| a.retain(|x| x != "--app")),
        ("application flipped", |a| {
            for x in a.iter_mut() {
                if x == "--application=False" {
                    *x = "--application=True".into();
                }
            }
        }),
        ("yaml for json", |a| {
            for x in a.iter_mut() {
                if x == "--format=json" {
                    *x = "--format=yaml".into();
                }
            }
        }),
        ("relation 3 as 1", |a| {
            for x in a.iter_mut() {
                if x == "3" {
                    *x = "1".into();
                }
            }
        }),
        ("stdin ignored", |a| {
            if let Some(i) = a.iter().position(|x| x == "--file") {
                a.drain(i..i + 2);
            }
        }),
    ];
    for (what, m) in mutations {
        let found: usize = cases()
            .iter()
            .map(|case| {
                let calls = sequence(hook_of(case, &backend(case).1));
                differences(case, &calls, true, Some(m)).len()
            })
            .sum();
        assert!(found > 0, "{what}: no difference found");
    }
}
