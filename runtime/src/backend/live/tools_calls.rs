//! Compiled only under #[cfg(test)] (declared from tools.rs): the typed
//! calls the conformance test makes, every variant of `HookCall` with its
//! successes and failures, for each kind of hook.

use super::conformance::{map, options, port};
use crate::backend::HookCall;
use crate::bindings::types::{
    LogLevel, PortProtocol, SecretOptions, SecretOwner, SecretReadMode, SecretRevokeTarget,
    SecretRotatePolicy, StatusKind,
};

pub(super) const APP: &str = "secret:0123456789abcdefghij";
pub(super) const UNIT: &str = "secret:9m4e2mr0ui3e8a215n4g";
pub(super) const CONSUMED: &str = "secret:abcdefghij0123456789";
pub(super) const MISSING: &str = "secret:aaaaaaaaaaaaaaaaaaaa";

/// What the sequence depends on: the hook's relation, whether the hook
/// runs an action, whether the unit leads.
#[derive(Debug, Clone, Copy)]
pub(super) struct Hook {
    pub relation: Option<u32>,
    pub action: bool,
    pub leader: bool,
}

/// The reads; `after` the writes, without those a removed secret makes
/// differ (secret-info-get names a missing secret by its bare id).
fn reads(after: bool) -> Vec<HookCall> {
    use HookCall as C;
    let s = |x: &str| x.to_string();
    let mut v = Vec::new();
    for key in [
        "name", "port", "ratio", "whole", "debug", "password", "unset", "nope", "",
    ] {
        v.push(C::ConfigGet { key: s(key) });
    }
    v.push(C::ConfigGetAll { all: false });
    v.push(C::ConfigGetAll { all: true });
    for setting in ["private-address", "public-address", "", "bogus"] {
        v.push(C::UnitGet {
            setting: s(setting),
        });
    }
    for (binding, relation) in [
        ("db", None),
        ("website", None),
        ("nope", None),
        ("db", Some(3)),
        ("db", Some(99)),
        ("demo-peers", Some(1)),
    ] {
        v.push(C::NetworkGet {
            binding: s(binding),
            relation,
        });
    }
    v.extend([C::GoalState, C::CredentialGet]);
    for name in ["blob", "missing", ""] {
        v.push(C::ResourceGet { name: s(name) });
    }
    v.extend([
        C::StatusGet,
        C::ApplicationStatusGet,
        C::IsLeader,
        C::LeaderGet,
    ]);
    for endpoint in ["db", "demo-peers", "website", "nope", ""] {
        v.push(C::RelationIds {
            endpoint: s(endpoint),
        });
    }
    for relation in [1, 3, 7, 10, 99] {
        v.push(C::RelationEndpoint { relation });
    }
    v.push(C::HookRelation);
    for relation in [None, Some(1), Some(3), Some(99)] {
        v.push(C::RelationList { relation });
        v.push(C::RelationRemoteApp { relation });
        v.push(C::RelationModelGet { relation });
    }
    v.push(C::RelationRemoteApp { relation: Some(7) });
    v.push(C::RelationModelGet { relation: Some(7) });
    for (relation, target, app) in [
        (Some(3), Some("pg/0"), false),
        (Some(3), Some("pg"), true),
        (Some(3), Some("pg/1"), true),
        (Some(3), None, false),
        (None, None, false),
        (None, None, true),
        (Some(3), Some("demo/0"), false),
        (Some(1), Some("demo"), true),
        (Some(1), Some("demo/1"), false),
        (Some(3), Some("demo"), true),
        (Some(3), Some("pg"), false),
        (Some(3), Some("pg/7"), false),
        (Some(3), Some("other"), true),
        (Some(3), Some("bad name"), false),
        (Some(99), Some("pg/0"), false),
        (Some(7), None, true),
    ] {
        v.push(C::RelationGet {
            relation,
            target: target.map(s),
            app,
        });
    }
    v.extend([C::StateGet, C::OpenedPorts]);
    for id in [
        None,
        Some("data/1"),
        Some("data/9"),
        Some("cache/0"),
        Some("bogus"),
    ] {
        v.push(C::StorageGet {
            storage_id: id.map(s),
        });
    }
    for name in [None, Some("data"), Some(""), Some("nope")] {
        v.push(C::StorageList { name: name.map(s) });
    }
    use SecretReadMode::*;
    for (id, label, mode) in [
        (Some(APP), None, Tracked),
        (None, Some("mine"), Peek),
        (Some(CONSUMED), None, Tracked),
        (Some(CONSUMED), None, Peek),
        (Some(MISSING), None, Tracked),
        (None, None, Tracked),
        (None, Some("nolabel"), Tracked),
    ] {
        v.push(C::SecretGet {
            id: id.map(s),
            label: label.map(s),
            mode,
        });
    }
    for (id, label) in [
        (None, Some("mine")),
        (Some(APP), None),
        (Some(UNIT), None),
        (Some(APP), Some("mine")),
        (None, None),
        (None, Some("nolabel")),
    ] {
        if after && id.is_some() {
            continue;
        }
        v.push(C::SecretInfoGet {
            id: id.map(s),
            label: label.map(s),
        });
    }
    v.extend([C::SecretIds, C::ActionGet]);
    v
}

fn writes(hook: Hook) -> Vec<HookCall> {
    use HookCall as C;
    let s = |x: &str| x.to_string();
    let mut v = Vec::new();
    for version in ["2.0-beta", "", "-dash"] {
        v.push(C::ApplicationVersionSet {
            version: s(version),
        });
    }
    v.extend([C::JujuReboot { now: false }, C::JujuReboot { now: true }]);
    use LogLevel::*;
    for (level, message) in [
        (Trace, "hello"),
        (Debug, "multi\nline"),
        (Info, "-x"),
        (Warning, ""),
        (Error, "a -- b"),
        (Critical, "crit"),
        (Warning, "Specified log level of \"x\" is not valid"),
    ] {
        v.push(C::JujuLog {
            level,
            message: s(message),
        });
    }
    for (application, status, message) in [
        (false, StatusKind::Maintenance, "working -- hard"),
        (true, StatusKind::Active, ""),
        (false, StatusKind::Blocked, "-x"),
        (true, StatusKind::Waiting, "w2"),
    ] {
        v.push(C::StatusSet {
            application,
            status,
            message: s(message),
        });
    }
    v.push(C::LeaderSet {
        settings: map(&[("new", "v"), ("l", ""), ("new", "v2")]),
    });
    v.push(C::LeaderSet { settings: vec![] });
    let long = "k".repeat(1500);
    let ctl = "\u{1}\u{7f}\u{85}\u{2028}\u{feff}\u{e9}\u{1f600}\t\r\n";
    for (relation, app, settings) in [
        (
            Some(3),
            false,
            map(&[("k", "v \"q\" \\ b"), ("ctl", ctl), ("mine", "")]),
        ),
        (
            Some(1),
            true,
            map(&[("a", "c"), ("yes", "no"), ("num", "1.10")]),
        ),
        (Some(3), true, map(&[("app", "y"), ("null", "~")])),
        (Some(99), false, map(&[("k", "v")])),
        (None, false, map(&[("hook", "v")])),
        (
            Some(7),
            false,
            map(&[
                (long.as_str(), "v"),
                ("-dash", "yes: no"),
                ("", "empty key"),
            ]),
        ),
        (Some(3), false, vec![]),
    ] {
        v.push(C::RelationSet {
            relation,
            app,
            settings,
        });
    }
    let big_key = "q".repeat(257);
    for settings in [
        map(&[
            ("s2", "v"),
            ("yaml", "{not: parsed}"),
            ("num", "1.10"),
            ("ctl", ctl),
        ]),
        map(&[(big_key.as_str(), "v")]),
        map(&[(long.as_str(), "v")]),
        vec![],
    ] {
        v.push(C::StateSet { settings });
    }
    for key in ["s", "missing", "-dash"] {
        v.push(C::StateDelete { key: s(key) });
    }
    use PortProtocol::*;
    for (range, endpoints) in [
        (port(Tcp, 443, 443), vec![]),
        (port(Udp, 9000, 9100), vec![s("db")]),
        (port(Icmp, 0, 0), vec![]),
        (port(Tcp, 90, 80), vec![]),
        (port(Tcp, 444, 444), vec![s("nope")]),
        (port(Udp, 8050, 8050), vec![]),
        (port(Tcp, 22, 22), vec![s("db"), s("website")]),
    ] {
        v.push(C::OpenPort { range, endpoints });
    }
    v.push(C::ClosePort {
        range: port(Tcp, 80, 80),
        endpoints: vec![],
    });
    v.push(C::ClosePort {
        range: port(Icmp, 0, 0),
        endpoints: vec![],
    });
    v.push(C::ClosePort {
        range: port(Tcp, 81, 81),
        endpoints: vec![s("nope")],
    });
    for directives in [vec![(s("data"), 2)], vec![(s("nope"), 1)], vec![]] {
        v.push(C::StorageAdd { directives });
    }
    let full = SecretOptions {
        owner: Some(SecretOwner::Unit),
        label: Some(s("new-label")),
        description: Some(s("d -- e")),
        expire: Some(s("2026-02-01T00:00:00Z")),
        rotate: Some(SecretRotatePolicy::Weekly),
    };
    let unit_owned = SecretOptions {
        owner: Some(SecretOwner::Unit),
        ..options()
    };
    let dup = SecretOptions {
        label: Some(s("mine")),
        ..unit_owned.clone()
    };
    for (content, options) in [
        (
            map(&[
                ("password", "pw"),
                ("multi", "line\nvalue -x"),
                ("ctl", ctl),
            ]),
            full,
        ),
        (map(&[("token", "t")]), options()),
        (map(&[("token", "t")]), dup),
        (vec![], unit_owned.clone()),
        (map(&[("key", "")]), unit_owned.clone()),
    ] {
        v.push(C::SecretAdd { content, options });
    }
    let described = SecretOptions {
        description: Some(s("new")),
        ..options()
    };
    let relabel = SecretOptions {
        label: Some(s("renamed")),
        ..options()
    };
    let monthly = SecretOptions {
        rotate: Some(SecretRotatePolicy::Monthly),
        ..options()
    };
    for (id, content, options) in [
        (APP, Some(map(&[("password", "pw3")])), described),
        (APP, None, relabel),
        (MISSING, Some(map(&[("password", "x")])), options()),
        (CONSUMED, Some(map(&[("token", "x")])), options()),
        (UNIT, Some(map(&[("token", "c")])), monthly),
    ] {
        v.push(C::SecretSet {
            id: s(id),
            content,
            options,
        });
    }
    let mut grants = vec![
        (APP, 3, Some("pg/1")),
        (APP, 3, None),
        (MISSING, 3, None),
        (CONSUMED, 3, None),
        (UNIT, 7, None),
    ];
    // A minion's grant of an application secret fails two ways at once:
    // the tool checks its arguments first (Juju's Init), the backend the
    // owner first. Only a leader's shows the argument errors alone.
    if hook.leader {
        grants.push((APP, 3, Some("web/0")));
        grants.push((APP, 99, None));
    }
    for (id, relation, unit) in grants {
        v.push(C::SecretGrant {
            id: s(id),
            relation,
            unit: unit.map(s),
        });
    }
    let target =
        |relation: Option<u32>, app: Option<&str>, unit: Option<&str>| SecretRevokeTarget {
            relation,
            app: app.map(s),
            unit: unit.map(s),
        };
    let mut revokes = vec![
        (APP, target(Some(3), None, None)),
        (APP, target(None, None, Some("pg/1"))),
        (APP, target(Some(3), Some("pg"), None)),
        (MISSING, target(Some(3), None, None)),
    ];
    // In a relation hook `-r` defaults to the hook's relation, so a
    // revoke by application alone, or by nothing, is another request there.
    if hook.relation.is_none() {
        revokes.push((UNIT, target(None, Some("web"), None)));
        revokes.push((APP, target(None, None, None)));
    }
    for (id, target) in revokes {
        v.push(C::SecretRevoke { id: s(id), target });
    }
    for (id, revision) in [
        (UNIT, Some(1)),
        (UNIT, Some(9)),
        (APP, None),
        (MISSING, None),
    ] {
        v.push(C::SecretRemove {
            id: s(id),
            revision,
        });
    }
    let mut results = vec![map(&[
        ("result", "ok"),
        ("nested.key", "v=w"),
        ("nested.other", "-"),
    ])];
    // Outside an action a bad key fails two ways: the tool checks keys
    // first, the backend the action first.
    if hook.action {
        results.push(map(&[("Bad", "x")]));
        results.push(map(&[("stdout", "x")]));
    }
    for results in results {
        v.push(C::ActionSet { results });
    }
    for message in ["progress -x", ""] {
        v.push(C::ActionLog {
            message: s(message),
        });
    }
    v
}

/// Every read, every write (each kind of success and failure), every read
/// again (reading the hook's own writes), then action-fail.
pub(super) fn sequence(hook: Hook) -> Vec<HookCall> {
    let mut v = reads(false);
    v.extend(writes(hook));
    v.extend(reads(true));
    v.push(HookCall::ActionFail {
        message: Some("because -x".into()),
    });
    v.push(HookCall::ActionFail { message: None });
    v
}

/// The index of a call's variant: a new variant fails to compile here,
/// so the coverage check below cannot miss one.
pub(super) fn variant(c: &HookCall) -> usize {
    use HookCall::*;
    match c {
        ConfigGet { .. } => 0,
        ConfigGetAll { .. } => 1,
        UnitGet { .. } => 2,
        NetworkGet { .. } => 3,
        GoalState => 4,
        CredentialGet => 5,
        ApplicationVersionSet { .. } => 6,
        ResourceGet { .. } => 7,
        JujuReboot { .. } => 8,
        JujuLog { .. } => 9,
        StatusGet => 10,
        ApplicationStatusGet => 11,
        StatusSet { .. } => 12,
        IsLeader => 13,
        LeaderGet => 14,
        LeaderSet { .. } => 15,
        RelationIds { .. } => 16,
        RelationEndpoint { .. } => 17,
        HookRelation => 18,
        RelationList { .. } => 19,
        RelationRemoteApp { .. } => 20,
        RelationGet { .. } => 21,
        RelationSet { .. } => 22,
        RelationModelGet { .. } => 23,
        StateGet => 24,
        StateSet { .. } => 25,
        StateDelete { .. } => 26,
        OpenPort { .. } => 27,
        ClosePort { .. } => 28,
        OpenedPorts => 29,
        StorageGet { .. } => 30,
        StorageList { .. } => 31,
        StorageAdd { .. } => 32,
        SecretAdd { .. } => 33,
        SecretSet { .. } => 34,
        SecretGet { .. } => 35,
        SecretInfoGet { .. } => 36,
        SecretIds => 37,
        SecretGrant { .. } => 38,
        SecretRevoke { .. } => 39,
        SecretRemove { .. } => 40,
        ActionGet => 41,
        ActionSet { .. } => 42,
        ActionLog { .. } => 43,
        ActionFail { .. } => 44,
    }
}

/// How many variants [`variant`] knows.
pub(super) const VARIANTS: usize = 45;
