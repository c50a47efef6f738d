//! The guard against hostile YAML: what it refuses, what it lets through,
//! and what it costs (printed, not asserted).

use std::time::Instant;

use super::*;

fn check(text: &str) -> Result<(), YamlError> {
    guard(text, &Limits::DEFAULT)
}

/// `n` aliases to a sequence of `n` scalars: O(n) text, O(n²) nodes.
pub(crate) fn quadratic_bomb(n: usize) -> String {
    let mut s = String::from("a: &a [");
    s.push_str(&vec!["x"; n].join(","));
    s.push_str("]\nb: [");
    s.push_str(&vec!["*a"; n].join(","));
    s.push_str("]\n");
    s
}

/// The billion laughs: ten levels of ten aliases each.
pub(crate) fn billion_laughs() -> String {
    let mut s = String::from("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let prev = format!("*l{}", i - 1);
        s.push_str(&format!("l{i}: &l{i} [{}]\n", vec![prev; 10].join(", ")));
    }
    s
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = f();
    println!("{what}: {:?}", t.elapsed());
    out
}

#[test]
fn legitimate_yaml_passes() {
    let text = "\
defaults: &defaults
  override: replace
  environment: {A: '1', B: \"2\"}
services:
  web:
    <<: *defaults
    command: web
    after: [db]
  db:
    <<: *defaults
    command: db
list:
  - - - - - - - - deep but fine
";
    check(text).unwrap();
    let v: serde_norway::Value = from_str(text).unwrap();
    assert_eq!(v["services"]["web"]["command"], "web");
    // Several documents; an anchor redefined; an anchor inside its own node
    // redefined before the alias.
    check("a: &x 1\n---\nb: &x [2]\nc: *x\n").unwrap();
    check("a: &x [&x 1, *x]\n").unwrap();
    check("").unwrap();
    // A big plain document under the limits.
    let big: String = (0..20_000)
        .map(|i| format!("key{i}: value number {i}\n"))
        .collect();
    check(&big).unwrap();
}

#[test]
fn alias_bombs_are_refused_before_expansion() {
    for (name, text) in [
        ("quadratic 140 KB", quadratic_bomb(35_000)),
        ("billion laughs", billion_laughs()),
    ] {
        let e = timed(&format!("guard, {name} ({} bytes)", text.len()), || {
            check(&text).unwrap_err()
        });
        assert!(
            matches!(e, YamlError::TooManyNodes { aliased: true, .. }),
            "{name}: {e}"
        );
        assert!(e.to_string().contains("aliases expand the document to more than charmbox's limit of 1000000 nodes (--yaml-max-nodes)"), "{e}");
        let e = from_str::<serde_norway::Value>(&text).unwrap_err();
        assert!(e.is_limit(), "{e}");
    }
    // Big scalars, few nodes.
    let big = "x".repeat(1 << 20);
    let text = format!("a: &a {big}\nb: [{}]\n", vec!["*a"; 20].join(","));
    let e = check(&text).unwrap_err();
    assert!(matches!(e, YamlError::TooMuchText { .. }), "{e}");
    // Many nodes without aliases.
    let text = format!("[{}]", vec!["1"; 1_000_001].join(","));
    let e = check(&text).unwrap_err();
    assert!(
        e.to_string()
            .contains("the document has more than charmbox's limit of 1000000 nodes"),
        "{e}"
    );
}

#[test]
fn deep_nesting_is_refused_in_linear_time() {
    let n = 400_000;
    let flow = format!("{}{}", "[".repeat(n), "]".repeat(n));
    let e = timed("guard, 400 KB of [", || check(&flow).unwrap_err());
    assert!(matches!(e, YamlError::TooDeep { limit: 64, .. }), "{e}");
    let e = timed("from_str, 400 KB of [", || {
        from_str::<serde_norway::Value>(&flow).unwrap_err()
    });
    assert!(
        e.to_string()
            .contains("nested deeper than charmbox's limit of 64 levels (--yaml-max-depth)"),
        "{e}"
    );
    let flow_map = format!("{}{}", "{a: ".repeat(n / 4), "}".repeat(n / 4));
    assert!(matches!(
        check(&flow_map).unwrap_err(),
        YamlError::TooDeep { .. }
    ));
    let block = "- ".repeat(n / 2) + "x\n";
    let e = timed("guard, 400 KB of block sequences", || {
        check(&block).unwrap_err()
    });
    assert!(matches!(e, YamlError::TooDeep { .. }), "{e}");
    // At the limit and just over it.
    let at = format!("{}x{}", "[".repeat(64), "]".repeat(64));
    check(&at).unwrap();
    let over = format!("{}x{}", "[".repeat(65), "]".repeat(65));
    assert!(matches!(
        check(&over).unwrap_err(),
        YamlError::TooDeep { line: 1, .. }
    ));
}

#[test]
fn aliases_count_towards_depth() {
    let deep = |d: usize| format!("{}x{}", "[".repeat(d), "]".repeat(d));
    let text = format!("a: &a {}\nb: {}\n", deep(40), deep(30).replace('x', "*a"));
    let e = check(&text).unwrap_err();
    assert!(matches!(e, YamlError::TooDeep { line: 2, .. }), "{e}");
    let ok = format!("a: &a {}\nb: {}\n", deep(30), deep(30).replace('x', "*a"));
    check(&ok).unwrap();
}

#[test]
fn recursive_aliases_and_sizes() {
    let e = check("a: &a [1, *a]\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "yaml: line 1: alias *a refers to a node that contains it"
    );
    let small = Limits {
        max_bytes: 10,
        ..Limits::DEFAULT
    };
    let e = guard("a: 12345678901", &small).unwrap_err();
    assert_eq!(
        e.to_string(),
        "yaml: the input is 14 bytes, more than charmbox's limit of 10 (--yaml-max-bytes)"
    );
    // Syntax errors are the real load's to report.
    check("a: [").unwrap();
    let e = from_str::<serde_norway::Value>("a: [").unwrap_err();
    assert!(!e.is_limit());
    // Unknown anchors too.
    check("a: *nope").unwrap();
    assert!(from_str::<serde_norway::Value>("a: *nope").is_err());
}

#[test]
fn files_over_the_limit_are_not_read_whole() {
    let dir = std::env::temp_dir().join(format!("charmbox-yaml-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("big.yaml");
    std::fs::write(&p, "a: b\n").unwrap();
    assert_eq!(read_file(&p).unwrap(), "a: b\n");
    let f = std::fs::File::create(&p).unwrap();
    f.set_len(DEFAULT_MAX_BYTES + 1).unwrap();
    let e = read_file(&p).unwrap_err();
    assert!(
        e.to_string().starts_with(&format!(
            "yaml: the input is {} bytes",
            DEFAULT_MAX_BYTES + 1
        )),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
