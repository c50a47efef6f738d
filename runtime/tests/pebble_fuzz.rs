//! Property tests of the simulated Pebble. The layer parser never panics
//! on any text; a plan it renders reads back (with a YAML library) as
//! exactly the values it holds, so quoting can never change a value; and
//! random API sequences never panic nor move virtual time backwards.
//!
//! Cases per property: `PROPTEST_CASES` (default 256 here; the long runs
//! recorded in docs/pebble.md used more).

use charmbox::go::duration::Duration;
use charmbox::go::yaml::v3::Node;
use charmbox::pebble::Pebble;
use charmbox::pebble::accounts::Accounts;
use charmbox::pebble::exec::ExecRequest;
use charmbox::pebble::http;
use charmbox::pebble::layer::render;
use charmbox::pebble::plan::PlanManager;
use proptest::prelude::*;

const T0: i64 = 1_767_225_600_000_000_000;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Strings that stress YAML quoting: indicators, numbers, bools,
/// timestamps, spaces, line breaks, controls, astral characters.
fn tricky() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_./-]{0,12}",
        Just(String::new()),
        prop::sample::select(vec![
            "true",
            "y",
            "N",
            "off",
            "~",
            "null",
            "012",
            "0x1F",
            "1_000",
            "1.5",
            ".5",
            "1e3",
            "2024-01-02",
            "12:30",
            "- x",
            "a: b",
            "#c",
            "*x",
            "&y",
            "!t",
            "|",
            ">",
            "'q",
            "\"d",
            " lead",
            "trail ",
            "tab\there",
            "a\nb",
            "a\nb\n",
            "\n\nx",
            "x\n\n",
            "\u{1F600}",
            "caf\u{e9}",
            "\u{85}",
            "\u{2028}",
            "\u{feff}x",
            "[a]",
            "{a: b}",
            "---",
            "...",
            "@",
            "%x",
            "`x",
            "<<",
            ".inf",
            "-.inf",
            ".nan",
            "+1",
            "-1",
            "0o17",
            "0b101",
            "nan",
            "inf",
            "1:2:3",
            "?",
            "? x",
            ":",
            "a:",
            "a #b",
            "a# b",
        ])
        .prop_map(String::from),
        "\\PC{0,16}",
        prop::collection::vec(any::<char>(), 0..10).prop_map(|v| v.into_iter().collect()),
    ]
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,8}",
        prop::sample::select(vec!["svc", "db", "web", "pebble", "-x", "all", "Y", "1"])
            .prop_map(String::from),
        tricky(),
    ]
}

fn duration() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "1s", "500ms", "1m", "0", "0s", "-1s", "1h30m", "5", "x", ""
        ])
        .prop_map(String::from),
        (
            0u32..100000,
            prop::sample::select(vec!["ns", "us", "ms", "s", "m", "h"])
        )
            .prop_map(|(n, u)| format!("{n}{u}")),
    ]
}

/// A service definition as YAML-able JSON, valid or not.
fn service() -> impl Strategy<Value = serde_json::Value> {
    (
        prop::sample::select(vec!["replace", "merge", "", "bogus"]),
        prop::option::of(tricky()),
        prop::option::of(prop::sample::select(vec!["enabled", "disabled", "x"])),
        prop::collection::btree_map(name(), tricky(), 0..4),
        prop::collection::vec(name(), 0..3),
        prop::collection::vec(name(), 0..2),
        prop::option::of(duration()),
        prop::option::of(prop::sample::select(vec![
            "restart",
            "ignore",
            "shutdown",
            "success-shutdown",
            "failure-shutdown",
            "x",
        ])),
        prop::option::of(-1.0f64..10.0),
        prop::option::of(tricky()),
    )
        .prop_map(
            |(ovr, command, startup, env, after, requires, kill, action, factor, summary)| {
                let mut m = serde_json::Map::new();
                if !ovr.is_empty() {
                    m.insert("override".into(), ovr.into());
                }
                if let Some(c) = command {
                    m.insert("command".into(), c.into());
                }
                if let Some(s) = startup {
                    m.insert("startup".into(), s.into());
                }
                if !env.is_empty() {
                    m.insert("environment".into(), serde_json::to_value(env).unwrap());
                }
                if !after.is_empty() {
                    m.insert("after".into(), after.into());
                }
                if !requires.is_empty() {
                    m.insert("requires".into(), requires.into());
                }
                if let Some(k) = kill {
                    m.insert("kill-delay".into(), k.into());
                }
                if let Some(a) = action {
                    m.insert("on-failure".into(), a.into());
                }
                if let Some(f) = factor {
                    m.insert("backoff-factor".into(), f.into());
                }
                if let Some(s) = summary {
                    m.insert("description".into(), s.into());
                }
                serde_json::Value::Object(m)
            },
        )
}

fn check() -> impl Strategy<Value = serde_json::Value> {
    (
        prop::sample::select(vec!["replace", "merge", ""]),
        prop::option::of(prop::sample::select(vec!["alive", "ready", "x"])),
        prop::option::of(duration()),
        prop::option::of(0i64..5),
        0..4usize,
        tricky(),
    )
        .prop_map(|(ovr, level, period, threshold, kind, target)| {
            let mut m = serde_json::Map::new();
            if !ovr.is_empty() {
                m.insert("override".into(), ovr.into());
            }
            if let Some(l) = level {
                m.insert("level".into(), l.into());
            }
            if let Some(p) = period {
                m.insert("period".into(), p.into());
            }
            if let Some(t) = threshold {
                m.insert("threshold".into(), t.into());
            }
            match kind {
                0 => {
                    m.insert("http".into(), serde_json::json!({"url": target}));
                }
                1 => {
                    m.insert(
                        "tcp".into(),
                        serde_json::json!({"port": 8080, "host": target}),
                    );
                }
                2 => {
                    m.insert("exec".into(), serde_json::json!({"command": target}));
                }
                _ => {}
            }
            serde_json::Value::Object(m)
        })
}

/// Layer YAML built from a random structure (as block YAML, via a YAML
/// library), so it is mostly well formed.
fn layer_yaml() -> impl Strategy<Value = String> {
    (
        prop::collection::btree_map(name(), service(), 0..4),
        prop::collection::btree_map(name(), check(), 0..2),
        prop::option::of(tricky()),
    )
        .prop_map(|(services, checks, summary)| {
            let mut m = serde_json::Map::new();
            if let Some(s) = summary {
                m.insert("summary".into(), s.into());
            }
            if !services.is_empty() {
                m.insert("services".into(), serde_json::to_value(services).unwrap());
            }
            if !checks.is_empty() {
                m.insert("checks".into(), serde_json::to_value(checks).unwrap());
            }
            serde_norway::to_string(&serde_json::Value::Object(m)).unwrap()
        })
}

/// Any text: arbitrary strings, random YAML, or layers with bytes
/// inserted, deleted or replaced.
fn any_layer_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,200}",
        "[ a-z:\\-\\[\\]{}|>'\"#&*!%@,\n]{0,120}",
        layer_yaml(),
        (
            layer_yaml(),
            prop::collection::vec((any::<usize>(), any::<u8>(), 0..3u8), 1..6)
        )
            .prop_map(|(text, edits)| {
                let mut bytes = text.into_bytes();
                for (pos, b, kind) in edits {
                    if bytes.is_empty() {
                        bytes.push(b);
                        continue;
                    }
                    let i = pos % bytes.len();
                    match kind {
                        0 => bytes.insert(i, b),
                        1 => {
                            bytes.remove(i);
                        }
                        _ => bytes[i] = b,
                    }
                }
                String::from_utf8_lossy(&bytes).into_owned()
            }),
    ]
}

/// The YAML value a rendered node stands for.
fn expected(n: &Node) -> serde_norway::Value {
    use serde_norway::Value as V;
    match n {
        Node::Map(m) => V::Mapping(
            m.iter()
                .map(|(k, v)| (V::String(k.clone()), expected(v)))
                .collect(),
        ),
        Node::Seq(s) => V::Sequence(s.iter().map(expected).collect()),
        Node::Str(s) => V::String(s.clone()),
        Node::Raw(r) => charmbox::yaml::from_str(r).unwrap(),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_layer_parser_never_panics(text in any_layer_text(), combine in any::<bool>()) {
        let mut pm = PlanManager::default();
        let accounts = Accounts::default();
        let _ = pm.add_layer("base", &text, false, false, &accounts);
        let _ = pm.add_layer("base", &text, combine, false, &accounts);
        let _ = pm.plan_yaml();
    }

    #[test]
    fn a_rendered_plan_reads_back_as_itself(text in layer_yaml()) {
        let mut pm = PlanManager::default();
        if pm.add_layer("base", &text, false, false, &Accounts::default()).is_ok() {
            let yaml = pm.plan_yaml();
            let back: serde_norway::Value = charmbox::yaml::from_str(&yaml)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
            let want = expected(&render::plan_node(pm.plan()));
            prop_assert_eq!(back, want, "{}", yaml);
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Layer(String, bool),
    Action(String, Vec<String>),
    Wait(String, Option<i64>),
    Advance(i64),
    Signal(String, Vec<String>),
    Push(String, Vec<u8>, bool),
    Pull(String),
    List(String, Option<String>, bool),
    Mkdir(String, bool),
    Remove(String, bool),
    Exec(Vec<String>, Option<i64>),
    Notify(String),
    Checks(String, Vec<String>),
    Http(String, String, Vec<(String, String)>, Vec<u8>),
}

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        "(/[a-z]{1,3}){0,4}",
        "[a-z/.]{0,10}",
        prop::sample::select(vec![
            "/", "/etc", "/tmp/x", "//a//b/", "/a/../b", "relative", ""
        ])
        .prop_map(String::from),
    ]
}

fn small_layer() -> impl Strategy<Value = String> {
    prop_oneof![
        layer_yaml(),
        prop::sample::select(vec![
            "services:\n  a: {override: replace, command: a, startup: enabled}\n",
            "services:\n  b: {override: replace, command: b, requires: [a], after: [a]}\n",
            "services:\n  a: {override: merge, environment: {K: v}}\n",
            "checks:\n  up: {override: replace, period: 1s, threshold: 1, tcp: {port: 1}}\n",
            "services:\n  a: {override: replace, command: a, on-check-failure: {up: restart}}\n",
        ])
        .prop_map(String::from),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let names = prop::collection::vec(
        prop::sample::select(vec!["a", "b", "c", "ghost", ""]).prop_map(String::from),
        0..3,
    );
    prop_oneof![
        (small_layer(), any::<bool>()).prop_map(|(l, c)| Op::Layer(l, c)),
        (
            prop::sample::select(vec!["start", "stop", "restart", "replan", "autostart", "x"]),
            names.clone()
        )
            .prop_map(|(a, n)| Op::Action(a.into(), n)),
        ("[0-9]{1,2}", prop::option::of(-5i64..5_000)).prop_map(|(i, t)| Op::Wait(i, t)),
        (0i64..20_000).prop_map(Op::Advance),
        (
            prop::sample::select(vec!["SIGHUP", "SIGTERM", "SIGKILL", "BOGUS"]),
            names.clone()
        )
            .prop_map(|(s, n)| Op::Signal(s.into(), n)),
        (
            path(),
            prop::collection::vec(any::<u8>(), 0..8),
            any::<bool>()
        )
            .prop_map(|(p, d, m)| Op::Push(p, d, m)),
        path().prop_map(Op::Pull),
        (
            path(),
            prop::option::of("[a-z*?\\[\\]^-]{0,4}"),
            any::<bool>()
        )
            .prop_map(|(p, g, i)| Op::List(p, g, i)),
        (path(), any::<bool>()).prop_map(|(p, m)| Op::Mkdir(p, m)),
        (path(), any::<bool>()).prop_map(|(p, r)| Op::Remove(p, r)),
        (
            prop::collection::vec("[a-z]{0,3}", 0..3),
            prop::option::of(0i64..20_000)
        )
            .prop_map(|(c, t)| Op::Exec(c, t)),
        "[a-z./-]{0,20}".prop_map(Op::Notify),
        (prop::sample::select(vec!["start", "stop", "x"]), names)
            .prop_map(|(a, n)| Op::Checks(a.into(), n)),
        (
            prop::sample::select(vec!["GET", "POST", "PUT"]),
            prop::sample::select(vec![
                "/v1/system-info",
                "/v1/services",
                "/v1/changes",
                "/v1/changes/1",
                "/v1/changes/1/wait",
                "/v1/plan",
                "/v1/layers",
                "/v1/files",
                "/v1/exec",
                "/v1/checks",
                "/v1/notices",
                "/v1/notices/1",
                "/v1/identities",
                "/v1/health",
                "/v1/signals",
                "/v1/tasks/1/websocket/control",
                "/v2/x",
                "",
            ]),
            prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "format", "action", "path", "names", "timeout", "select"
                    ])
                    .prop_map(String::from),
                    "[a-z0-9./,]{0,8}"
                ),
                0..3
            ),
            prop_oneof![
                Just(b"{}".to_vec()),
                Just(br#"{"action":"start","services":["a"]}"#.to_vec()),
                Just(
                    br#"{"action":"add","label":"x","format":"yaml","layer":"services: {}"}"#
                        .to_vec()
                ),
                prop::collection::vec(any::<u8>(), 0..20),
            ]
        )
            .prop_map(|(m, p, q, b)| Op::Http(m.into(), p.into(), q, b)),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_api_sequences_never_panic(ops in prop::collection::vec(op(), 1..25)) {
        let mut p = Pebble::new(T0);
        let mut label = 0;
        let mut last = p.now();
        for op in ops {
            match op {
                Op::Layer(text, combine) => {
                    label += 1;
                    let l = if combine { "base".to_string() } else { format!("l{label}") };
                    let _ = p.add_layer(&l, &text, combine, false);
                }
                Op::Action(a, n) => { let _ = p.services_action(&a, &n); }
                Op::Wait(id, t) => { let _ = p.wait_change(&id, t.map(|ms| Duration(ms * 1_000_000))); }
                Op::Advance(ms) => p.advance(Duration(ms * 1_000_000)),
                Op::Signal(s, n) => { let _ = p.send_signal(&s, &n); }
                Op::Push(path, d, m) => {
                    let _ = p.push(&path, d, &charmbox::pebble::api::FileOptions { make_dirs: m, ..Default::default() });
                }
                Op::Pull(path) => { let _ = p.pull(&path); }
                Op::List(path, g, i) => { let _ = p.list_files(&path, g.as_deref(), i); }
                Op::Mkdir(path, m) => {
                    let _ = p.make_dir(&path, &charmbox::pebble::api::FileOptions { make_dirs: m, ..Default::default() });
                }
                Op::Remove(path, r) => { let _ = p.remove_path(&path, r); }
                Op::Exec(c, t) => {
                    let _ = p.exec(&ExecRequest {
                        command: c,
                        timeout: t.map(|ms| Duration(ms * 1_000_000)),
                        ..Default::default()
                    });
                }
                Op::Notify(key) => { let _ = p.notify("custom", &key, Default::default(), None); }
                Op::Checks(a, n) => { let _ = p.checks_action(&a, &n); }
                Op::Http(method, path, query, body) => {
                    let r = http::handle(&mut p, &http::Request { method, path, query, headers: vec![], body });
                    prop_assert!((200..600).contains(&r.status));
                }
            }
            prop_assert!(p.now() >= last, "time went backwards");
            last = p.now();
        }
        // Whatever happened, the State round trip holds.
        let mut c = charmbox::state::ContainerState { name: "w".into(), can_connect: true, ..Default::default() };
        charmbox::pebble::snapshot::save(&p, &mut c);
        let json = serde_json::to_string(&c).unwrap();
        let back: charmbox::state::ContainerState = serde_json::from_str(&json).unwrap();
        let q = charmbox::pebble::snapshot::load(&back, p.now())
            .map_err(|e| TestCaseError::fail(format!("reload: {e}\n{json}")))?;
        let mut c2 = back.clone();
        charmbox::pebble::snapshot::save(&q, &mut c2);
        prop_assert_eq!(serde_json::to_value(&c2).unwrap(), serde_json::to_value(&c).unwrap());
    }
}
