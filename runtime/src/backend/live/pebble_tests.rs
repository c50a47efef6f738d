//! Conformance in-process: [`LivePebble`](super::LivePebble) over the
//! simulated Pebble HTTP API against the typed calls on an identical State
//! backend (`pebble_harness.rs`). Every [`PebbleCall`] variant, with its
//! error cases, must get the same reply, and both containers' States must
//! end the same.

use super::PebbleTransport;
use super::harness::{
    ALL, Pair, SimTransport, api_status, backend, exec, exec_with, names, opts, text,
};
use crate::backend::Backend;
use crate::backend::pebble::{PebbleBackend, PebbleCall, PebbleReply};
use crate::bindings::pebble::{ChangeSelect, CheckLevel, NoticesFilter, PebbleError};

/// Layers, plan and services, changes and waits.
fn services_and_changes<T: PebbleTransport>(p: &mut Pair<T>) {
    use PebbleCall as C;
    assert_eq!(p.ok("web", C::Open), PebbleReply::Done);
    assert_eq!(p.ok("web", C::CanConnect), PebbleReply::Bool(true));
    assert!(text(p.ok("web", C::SystemInfo)).contains("\"version\""));
    assert!(text(p.ok("web", C::GetPlan)).contains("/bin/worker --flag"));
    let layer = |label: &str, yaml: &str, combine: bool| C::AddLayer {
        label: label.into(),
        layer_yaml: yaml.into(),
        combine,
    };
    p.ok(
        "web",
        layer(
            "extra",
            "services:\n  db:\n    override: replace\n    command: /bin/db\n    after: [app]\n",
            false,
        ),
    );
    p.ok(
        "web",
        layer(
            "extra",
            "services:\n  db:\n    override: merge\n    environment: {A: '1'}\n",
            true,
        ),
    );
    // Bad layers: YAML, schema, plan validation, label.
    assert_eq!(
        api_status(&p.err("web", layer("bad", "services: [", false))),
        400
    );
    p.err(
        "web",
        layer("bad", "services:\n  x: {command: /x}\n", false),
    );
    p.err(
        "web",
        layer(
            "bad",
            "services:\n  x: {override: replace, command: /x, requires: [ghost]}\n",
            false,
        ),
    );
    p.err("web", layer("pebble-x", "summary: s\n", false));
    p.err("web", layer("", "summary: s\n", false));
    assert!(text(p.ok("web", C::GetPlan)).contains("db:"));

    p.ok("web", C::GetServices { names: vec![] });
    p.ok(
        "web",
        C::GetServices {
            names: names(&["app", "nope"]),
        },
    );
    let start = text(p.ok(
        "web",
        C::Start {
            services: names(&["app"]),
        },
    ));
    let change = p.ok(
        "web",
        C::WaitChange {
            id: start.clone(),
            timeout_ms: None,
        },
    );
    assert!(
        matches!(&change, PebbleReply::Change(c) if c.status == "Done"),
        "{change:?}"
    );
    p.ok("web", C::GetChange { id: start.clone() });
    assert_eq!(
        api_status(&p.err("web", C::GetChange { id: "999".into() })),
        404
    );
    p.err("web", C::GetChange { id: "a b#%".into() });
    // Unknown services.
    assert_eq!(
        api_status(&p.err(
            "web",
            C::Start {
                services: names(&["nope"])
            }
        )),
        400
    );
    p.err(
        "web",
        C::Stop {
            services: names(&["nope"]),
        },
    );
    p.err("web", C::Restart { services: vec![] });

    // A wait shorter than the okay delay, then the rest of it.
    let restart = text(p.ok(
        "web",
        C::Restart {
            services: names(&["app"]),
        },
    ));
    let e = p.err(
        "web",
        C::WaitChange {
            id: restart.clone(),
            timeout_ms: Some(500),
        },
    );
    assert!(
        matches!(&e, PebbleError::Timeout(m) if m.ends_with("after 500ms")),
        "{e:?}"
    );
    p.ok(
        "web",
        C::WaitChange {
            id: restart,
            timeout_ms: Some(10_000),
        },
    );
    p.err(
        "web",
        C::WaitChange {
            id: "999".into(),
            timeout_ms: None,
        },
    );

    // The worker dies after 3 s and goes to backoff.
    let worker = text(p.ok(
        "web",
        C::Start {
            services: names(&["worker"]),
        },
    ));
    p.ok(
        "web",
        C::WaitChange {
            id: worker,
            timeout_ms: Some(2_000),
        },
    );
    p.ok(
        "web",
        C::SendSignal {
            signal: "SIGHUP".into(),
            services: names(&["app"]),
        },
    );
    p.err(
        "web",
        C::SendSignal {
            signal: "SIGHUP".into(),
            services: names(&["db"]),
        },
    );
    p.err(
        "web",
        C::SendSignal {
            signal: "SIGNOPE".into(),
            services: names(&["app"]),
        },
    );

    // Abort a start in its okay delay; a ready change cannot be aborted.
    let db = text(p.ok(
        "web",
        C::Start {
            services: names(&["db"]),
        },
    ));
    p.ok("web", C::AbortChange { id: db.clone() });
    p.ok(
        "web",
        C::WaitChange {
            id: db.clone(),
            timeout_ms: Some(0),
        },
    );
    p.err("web", C::AbortChange { id: db });
    p.err("web", C::AbortChange { id: "999".into() });

    let stop = text(p.ok(
        "web",
        C::Stop {
            services: names(&["app"]),
        },
    ));
    p.ok(
        "web",
        C::WaitChange {
            id: stop,
            timeout_ms: None,
        },
    );
    let replan = text(p.ok("web", C::Replan));
    p.ok(
        "web",
        C::WaitChange {
            id: replan,
            timeout_ms: Some(60_000),
        },
    );
    let autostart = text(p.ok("web", C::Autostart));
    p.ok(
        "web",
        C::WaitChange {
            id: autostart,
            timeout_ms: Some(0),
        },
    );

    for select in [
        ChangeSelect::All,
        ChangeSelect::Ready,
        ChangeSelect::InProgress,
    ] {
        p.ok(
            "web",
            C::GetChanges {
                select,
                service: None,
            },
        );
    }
    p.ok(
        "web",
        C::GetChanges {
            select: ChangeSelect::All,
            service: Some("app".into()),
        },
    );
    // The check's change never ends: a long wait, in slices over HTTP.
    let PebbleReply::Changes(open) = p.ok(
        "web",
        C::GetChanges {
            select: ChangeSelect::InProgress,
            service: None,
        },
    ) else {
        panic!("changes")
    };
    let check = open
        .iter()
        .find(|c| c.kind == "perform-check")
        .expect("a perform-check change")
        .id
        .clone();
    let e = p.err(
        "web",
        C::WaitChange {
            id: check.clone(),
            timeout_ms: Some(45_000),
        },
    );
    assert!(
        matches!(&e, PebbleError::Timeout(m) if m.ends_with("after 45s")),
        "{e:?}"
    );
    p.err(
        "web",
        C::WaitChange {
            id: check,
            timeout_ms: Some(0),
        },
    );
    p.ok("web", C::GetServices { names: vec![] });
}

/// Checks, files, exec, notices, identities, raw requests.
fn checks_files_exec<T: PebbleTransport>(p: &mut Pair<T>) {
    use PebbleCall as C;
    p.ok(
        "web",
        C::GetChecks {
            level: CheckLevel::Unset,
            names: vec![],
        },
    );
    p.ok(
        "web",
        C::GetChecks {
            level: CheckLevel::Alive,
            names: names(&["up"]),
        },
    );
    p.ok(
        "web",
        C::GetChecks {
            level: CheckLevel::Ready,
            names: vec![],
        },
    );
    assert_eq!(
        p.ok(
            "web",
            C::StopChecks {
                names: names(&["up"])
            }
        ),
        PebbleReply::Texts(names(&["up"]))
    );
    assert_eq!(
        p.ok(
            "web",
            C::StopChecks {
                names: names(&["up"])
            }
        ),
        PebbleReply::Texts(vec![])
    );
    p.ok(
        "web",
        C::StartChecks {
            names: names(&["up"]),
        },
    );
    p.err(
        "web",
        C::StartChecks {
            names: names(&["nope"]),
        },
    );

    // Files.
    let pull = |path: &str| C::Pull { path: path.into() };
    assert_eq!(
        p.ok("web", pull("/etc/app.conf")),
        PebbleReply::Bytes(b"x=1\n".to_vec())
    );
    assert_eq!(
        p.ok("web", pull("/srv/data/b.bin")),
        PebbleReply::Bytes(vec![0, 1, 2])
    );
    let e = p.err("web", pull("/missing"));
    assert!(
        matches!(&e, PebbleError::Path(pe) if pe.kind == "not-found"),
        "{e:?}"
    );
    p.err("web", pull("/etc"));
    p.err("web", pull("relative"));
    // Content with CRLF and delimiter-like bytes, owner and mode.
    let data = b"line\r\n--boundary\r\n\x00\xff end".to_vec();
    let mut o = opts();
    o.make_dirs = true;
    o.permissions = Some(0o640);
    o.user = Some("app".into());
    p.ok(
        "web",
        C::Push {
            path: "/srv/new/dir/f \"q\".txt".into(),
            data: data.clone(),
            options: o,
        },
    );
    assert_eq!(
        p.ok("web", pull("/srv/new/dir/f \"q\".txt")),
        PebbleReply::Bytes(data)
    );
    let mut o = opts();
    o.user_id = Some(1000);
    o.group = Some("app".into());
    p.ok(
        "web",
        C::Push {
            path: "/srv/owned".into(),
            data: vec![],
            options: o,
        },
    );
    p.err(
        "web",
        C::Push {
            path: "/nodir/f".into(),
            data: b"x".to_vec(),
            options: opts(),
        },
    );
    let mut o = opts();
    o.user = Some("nobody-here".into());
    p.err(
        "web",
        C::Push {
            path: "/srv/x".into(),
            data: b"x".to_vec(),
            options: o,
        },
    );
    let list = |path: &str, pattern: Option<&str>, itself: bool| C::ListFiles {
        path: path.into(),
        pattern: pattern.map(String::from),
        itself,
    };
    p.ok("web", list("/srv", None, false));
    p.ok("web", list("/srv/data", Some("*.txt"), false));
    p.ok("web", list("/srv/data", Some(""), false));
    p.ok("web", list("/etc", None, true));
    p.ok("web", list("/etc/app.conf", None, false));
    p.err("web", list("relative", None, false));
    p.err("web", list("/nope", None, false));
    let mut o = opts();
    o.make_dirs = true;
    o.permissions = Some(0o750);
    p.ok(
        "web",
        C::MakeDir {
            path: "/srv/x/y".into(),
            options: o,
        },
    );
    p.err(
        "web",
        C::MakeDir {
            path: "/srv/x/y".into(),
            options: opts(),
        },
    );
    p.err(
        "web",
        C::MakeDir {
            path: "/q/r".into(),
            options: opts(),
        },
    );
    p.err(
        "web",
        C::RemovePath {
            path: "/srv/data".into(),
            recursive: false,
        },
    );
    p.ok(
        "web",
        C::RemovePath {
            path: "/srv/x".into(),
            recursive: true,
        },
    );
    p.ok(
        "web",
        C::RemovePath {
            path: "/srv/data/a.txt".into(),
            recursive: false,
        },
    );
    p.err(
        "web",
        C::RemovePath {
            path: "/srv/gone".into(),
            recursive: false,
        },
    );

    // Exec.
    let out = p.ok("web", exec(&["echo", "a"]));
    assert!(
        matches!(&out, PebbleReply::Exec(o) if o.stdout == b"hi\n" && o.stderr == b"warn\n"),
        "{out:?}"
    );
    let out = p.ok("web", exec_with(&["echo"], |r| r.split_stderr = false));
    assert!(
        matches!(&out, PebbleReply::Exec(o) if o.stdout == b"hi\nwarn\n"),
        "{out:?}"
    );
    assert!(matches!(p.ok("web", exec(&["false"])), PebbleReply::Exec(o) if o.exit_code == 1));
    p.ok(
        "web",
        exec_with(&["echo"], |r| {
            r.environment = vec![("A".into(), "1".into()), ("B".into(), "2".into())];
            r.working_dir = Some("/srv".into());
            r.user = Some("app".into());
            r.timeout_ms = Some(5_000);
        }),
    );
    p.ok(
        "web",
        exec_with(&["echo"], |r| r.service_context = Some("worker".into())),
    );
    p.ok(
        "web",
        exec_with(&["sleep", "1"], |r| r.timeout_ms = Some(20_000)),
    );
    let e = p.err("web", exec_with(&["sleep"], |r| r.timeout_ms = Some(1_500)));
    assert!(
        matches!(&e, PebbleError::Timeout(m) if m.starts_with("timed out after 1.5s")),
        "{e:?}"
    );
    assert_eq!(api_status(&p.err("web", exec(&["nope"]))), 400);
    p.err("web", exec(&[]));
    p.err(
        "web",
        exec_with(&["echo"], |r| r.working_dir = Some("/nowhere".into())),
    );
    p.err(
        "web",
        exec_with(&["echo"], |r| r.service_context = Some("nope".into())),
    );
    p.err("web", exec_with(&["echo"], |r| r.user_id = Some(4242)));

    // Notices.
    let notify = |key: &str, data: &[(&str, &str)], repeat: Option<&str>| C::Notify {
        key: key.into(),
        data: data
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        repeat_after: repeat.map(String::from),
    };
    let id = text(p.ok(
        "web",
        notify("example.com/a", &[("z", "1"), ("a", "2")], None),
    ));
    p.ok("web", notify("example.com/a", &[], Some("1h")));
    p.ok("web", notify("example.com/b", &[], Some("")));
    p.err("web", notify("bad key", &[], None));
    p.err("web", notify("example.com/c", &[], Some("soon")));
    p.ok("web", C::GetNotice { id });
    assert_eq!(
        api_status(&p.err("web", C::GetNotice { id: "999".into() })),
        404
    );
    let filter = |types: &[&str], keys: &[&str], after: Option<&str>| C::GetNotices {
        filter: NoticesFilter {
            types: names(types),
            keys: names(keys),
            after: after.map(String::from),
        },
    };
    p.ok("web", filter(&[], &[], None));
    p.ok(
        "web",
        filter(&["custom"], &["example.com/a", "example.com/seed"], None),
    );
    p.ok(
        "web",
        filter(&["change-update"], &[], Some("2020-01-01T00:00:00Z")),
    );
    p.err("web", filter(&[], &[], Some("yesterday")));

    // Identities.
    p.ok("web", C::GetIdentities);
    p.ok(
        "web",
        C::ReplaceIdentities {
            identities_json: r#"{"alice": {"access": "admin", "local": {"user-id": 1000}},
                                 "bob": {"access": "read", "basic": {"password": "$6$x"}}}"#
                .into(),
        },
    );
    p.ok("web", C::GetIdentities);
    p.ok(
        "web",
        C::ReplaceIdentities {
            identities_json: r#"{"bob": null}"#.into(),
        },
    );
    p.err(
        "web",
        C::ReplaceIdentities {
            identities_json: "not json".into(),
        },
    );
    p.err(
        "web",
        C::ReplaceIdentities {
            identities_json: r#"{"x": {"access": "root"}}"#.into(),
        },
    );
    p.ok("web", C::GetIdentities);

    // Raw requests, answered as they are.
    let raw = |method: &str, path: &str, query: &[(&str, &str)], body: &str| C::Request {
        method: method.into(),
        path: path.into(),
        query: query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        headers: vec![("Accept".into(), "application/json".into())],
        body: body.as_bytes().to_vec(),
    };
    let r = p.ok("web", raw("GET", "/v1/services", &[("names", "app")], ""));
    assert!(
        matches!(&r, PebbleReply::Http(h) if h.status == 200),
        "{r:?}"
    );
    let r = p.ok("web", raw("POST", "/v1/layers", &[], "{}"));
    assert!(
        matches!(&r, PebbleReply::Http(h) if h.status == 400),
        "{r:?}"
    );
    p.ok("web", raw("GET", "/v1/nope", &[], ""));
    p.ok("web", raw("DELETE", "/v1/plan", &[], ""));
    p.ok("web", raw("GET", "/v1/health", &[("level", "alive")], ""));
}

/// Containers whose Pebble cannot be reached.
fn unreachable<T: PebbleTransport>(p: &mut Pair<T>) {
    use PebbleCall as C;
    for c in ["down", "ghost"] {
        assert_eq!(p.ok(c, C::Open), PebbleReply::Done);
        assert_eq!(p.ok(c, C::CanConnect), PebbleReply::Bool(false));
        for call in [
            C::GetPlan,
            exec(&["echo"]),
            C::Pull {
                path: "/etc/app.conf".into(),
            },
        ] {
            let e = p.err(c, call);
            assert!(
                matches!(&e, PebbleError::Connection(m)
                if m.contains(&format!("/charm/containers/{c}/pebble.socket"))),
                "{e:?}"
            );
        }
    }
}

#[test]
fn every_call_over_the_simulated_http_api_answers_as_the_typed_call() {
    let mut p = Pair::new(SimTransport { backend: backend() });
    services_and_changes(&mut p);
    checks_files_exec(&mut p);
    unreachable(&mut p);
    let missing: Vec<_> = ALL.iter().filter(|v| !p.covered().contains(*v)).collect();
    assert!(missing.is_empty(), "not exercised: {missing:?}");

    // The workload ends the same: containers (files, layers, services,
    // changes, exec history, notices, identities) and the rest.
    let typed = p.finish_typed();
    let live = &mut p.live.transport.backend;
    live.finish(true).expect("finish");
    assert_eq!(
        serde_json::to_value(&typed.containers).unwrap(),
        serde_json::to_value(&live.state().containers).unwrap()
    );
    assert_eq!(&typed, live.state());
}

#[test]
fn exec_stdin_is_sent_but_the_simulated_http_exec_does_not_record_it() {
    // The simulated Pebble runs a command when it is posted, before its
    // websockets: stdin sent on `stdio` cannot reach it. The typed call
    // records it in the exec history; the output is the same.
    let mut p = Pair::new(SimTransport { backend: backend() });
    let call = exec_with(&["echo"], |r| r.stdin = b"input".to_vec());
    let typed = p.typed.pebble("web", call.clone()).unwrap();
    let live = p.live.call("web", call).unwrap();
    assert_eq!(typed, live);
    let typed = p.finish_typed();
    let live = &mut p.live.transport.backend;
    live.finish(true).unwrap();
    assert_eq!(typed.containers[0].exec_history[0].stdin, "input");
    assert_eq!(live.state().containers[0].exec_history[0].stdin, "");
}
