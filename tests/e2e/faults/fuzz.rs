//! Fuzzing the host's entry points for hostile input: the raw hook tools'
//! argv and stdin, every YAML entry point (Pebble layers, `--file -` maps,
//! charmcraft.yaml, scenario files), State JSON, the trace reader and the
//! component loader.
//!
//! A small mutation fuzzer (no coverage feedback: cargo-fuzz needs a
//! nightly compiler, which this machine cannot fetch): each case takes a
//! valid seed, applies 1–8 mutations (mostly one or two) (bit flips, interesting bytes, a
//! dictionary token of the format — anchors, aliases, merge keys, brackets,
//! indentation —, deleted, duplicated or spliced ranges) and feeds the
//! result to the entry point, which must return (Ok or a clear error)
//! without panicking. Slow cases (over [`SLOW`]) and panics are saved under
//! `target/fuzz-findings/` and printed.
//!
//! CI runs a few hundred cases per target. Long runs:
//! `FUZZ_SECONDS=1800 FUZZ_ONLY=<target> cargo test --release --test
//! e2e_faults fuzz_ -- --nocapture --test-threads 1` (docs/security.md
//! records them). `FUZZ_SEED` picks the generator's seed.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use charmbox::backend::unit::UnitBackend;
use charmbox::charm::CharmMeta;
use charmbox::event::EventSpec;
use charmbox::state::State;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::common::{built, charmbox_bin, root, target_tmp};

/// A case slower than this is saved and reported as a finding.
const SLOW: Duration = Duration::from_secs(2);

/// Cases per target when `FUZZ_SECONDS` is not set (the CI run).
fn ci_cases() -> u64 {
    env_u64("FUZZ_CASES").unwrap_or(300)
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// What a fuzz run found.
#[derive(Default)]
struct Findings {
    cases: u64,
    errors: u64,
    slow: Vec<(PathBuf, Duration)>,
    panics: Vec<(PathBuf, String)>,
    slowest: Duration,
}

fn findings_dir() -> PathBuf {
    root().join("target/fuzz-findings")
}

fn save(target: &str, n: u64, what: &str, input: &[u8]) -> PathBuf {
    let dir = findings_dir();
    let _ = std::fs::create_dir_all(&dir);
    let p = dir.join(format!("{target}-{what}-{n}.bin"));
    let _ = std::fs::write(&p, input);
    p
}

/// Peak resident memory of this process so far (VmHWM), in MiB.
fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

/// Mutate `seed` in place with 1–8 random edits drawn from `dict`.
fn mutate(rng: &mut StdRng, seeds: &[Vec<u8>], dict: &[&str], max_len: usize) -> Vec<u8> {
    let mut v = seeds[rng.random_range(0..seeds.len())].clone();
    // Mostly one or two edits: most inputs stay close enough to valid to
    // reach past the first syntax check.
    let edits = [1, 1, 1, 2, 2, 3, 4, 8][rng.random_range(0..8)];
    for _ in 0..edits {
        let len = v.len();
        match rng.random_range(0..8) {
            0 if len > 0 => {
                let i = rng.random_range(0..len);
                v[i] ^= 1 << rng.random_range(0..8);
            }
            1 if len > 0 => {
                let i = rng.random_range(0..len);
                v[i] = *[
                    0u8, 0xff, b'\n', b' ', b'"', b'\\', b'{', b'[', b':', b'-', b'&', b'*', 0x7f,
                    0xc3,
                ]
                .get(rng.random_range(0..14))
                .unwrap_or(&0);
            }
            2 | 3 => {
                let tok = dict[rng.random_range(0..dict.len())].as_bytes();
                let i = rng.random_range(0..=len);
                v.splice(i..i, tok.iter().copied());
            }
            4 if len > 0 => {
                let a = rng.random_range(0..len);
                let b = (a + rng.random_range(1..=64)).min(len);
                v.drain(a..b);
            }
            5 if len > 0 => {
                // Duplicate a range many times: nesting and expansion grow.
                let a = rng.random_range(0..len);
                let b = (a + rng.random_range(1..=32)).min(len);
                let chunk: Vec<u8> = v[a..b].to_vec();
                let times = rng.random_range(1..=256);
                let at = rng.random_range(0..=len);
                let rep: Vec<u8> = chunk
                    .iter()
                    .copied()
                    .cycle()
                    .take(chunk.len() * times)
                    .collect();
                v.splice(at..at, rep);
            }
            6 => {
                let other = &seeds[rng.random_range(0..seeds.len())];
                if !other.is_empty() {
                    let a = rng.random_range(0..other.len());
                    let b = rng.random_range(a..=other.len());
                    let at = rng.random_range(0..=len);
                    v.splice(at..at, other[a..b].iter().copied());
                }
            }
            _ => {
                let n = rng.random_range(1..=16);
                let at = rng.random_range(0..=len);
                let bytes: Vec<u8> = (0..n).map(|_| rng.random()).collect();
                v.splice(at..at, bytes);
            }
        }
        v.truncate(max_len);
    }
    v
}

/// Run `target` on mutated seeds for `FUZZ_SECONDS` (else a CI number of
/// cases); report and fail on panics.
fn fuzz(
    name: &str,
    seeds: Vec<Vec<u8>>,
    dict: &[&str],
    max_len: usize,
    target: impl Fn(&[u8]) -> bool,
) {
    if let Ok(only) = std::env::var("FUZZ_ONLY")
        && !only.split(',').any(|o| o == name)
    {
        return;
    }
    let seed = env_u64("FUZZ_SEED").unwrap_or(0x5eed);
    let mut rng = StdRng::seed_from_u64(seed ^ name.len() as u64);
    let seconds = env_u64("FUZZ_SECONDS");
    let budget = seconds.map(Duration::from_secs);
    let start = Instant::now();
    let mut f = Findings::default();
    // The seeds themselves first: each must be accepted or refused cleanly.
    let mut queue: Vec<Vec<u8>> = seeds.clone();
    loop {
        let done = match budget {
            Some(b) => start.elapsed() >= b,
            None => f.cases >= ci_cases(),
        };
        if done {
            break;
        }
        let input = queue
            .pop()
            .unwrap_or_else(|| mutate(&mut rng, &seeds, dict, max_len));
        f.cases += 1;
        let t = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| target(&input)));
        let took = t.elapsed();
        f.slowest = f.slowest.max(took);
        match result {
            Ok(true) => {}
            Ok(false) => f.errors += 1,
            Err(p) => {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                f.panics.push((save(name, f.cases, "panic", &input), msg));
            }
        }
        if took > SLOW {
            f.slow.push((save(name, f.cases, "slow", &input), took));
        }
    }
    println!(
        "fuzz {name}: {} cases in {:.1} s (seed {seed:#x}), {} refused, slowest {:.1} ms, {} slow, {} panics, peak RSS {} MiB",
        f.cases,
        start.elapsed().as_secs_f64(),
        f.errors,
        f.slowest.as_secs_f64() * 1e3,
        f.slow.len(),
        f.panics.len(),
        peak_rss_mib()
    );
    for (p, d) in &f.slow {
        println!("  slow ({:.1} s): {}", d.as_secs_f64(), p.display());
    }
    assert!(
        f.panics.is_empty(),
        "{name}: {} inputs panicked the host: {:?}",
        f.panics.len(),
        f.panics
    );
}

const YAML_DICT: &[&str] = &[
    "&a ",
    "*a",
    "&b [",
    "*b, ",
    "<<: *a\n",
    "[",
    "]",
    "{",
    "}",
    "- ",
    ": ",
    "\n  ",
    "\n    - ",
    "? ",
    "!!binary ",
    "!!str ",
    "!!map ",
    "|\n  ",
    ">-\n  ",
    "\"\\u0000\"",
    "'",
    "\"",
    "# c\n",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "~",
    "null",
    "yes",
    "0x1F",
    "1e400",
    "-.inf",
    ".nan",
    "\t",
    "\u{feff}",
    "a: &x [1, 2, 3]\nb: [*x, *x, *x, *x]\n",
    "[[[[[[[[",
    "{a: {b: {c: {",
    "\r\n",
];

const JSON_DICT: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\\u0000",
    "\\ud800",
    "null",
    "true",
    "1e999",
    "-0",
    "[]",
    "{}",
    "\"relations\"",
    "\"secrets\"",
    "\"containers\"",
    "\"layers\"",
    "\"id\"",
    "\"remote_units_data\"",
    "\"version\"",
    "\"type\"",
    "4294967296",
    "-1",
    "18446744073709551616",
    "\"header\"",
    "\"dispatch\"",
    "\"call\"",
    "\"outcome\"",
    "\n",
];

fn text(input: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(input)
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn charm_seeds() -> Vec<Vec<u8>> {
    [
        "examples/peer-counter/charmcraft.yaml",
        "examples/pause/charmcraft.yaml",
        "examples/ping-pong/charmcraft.yaml",
        "examples/peer-counter-py/charmcraft.yaml",
        "tests/charms/misbehave/charmcraft.yaml",
        "tests/charms/misbehave-py/charmcraft.yaml",
    ]
    .iter()
    .map(|p| read(p))
    .collect()
}

const LAYER: &str = r#"summary: fuzz layer
description: a layer with every section
services:
  web:
    override: replace
    summary: the web server
    command: /bin/web --port 8080 [ --debug ]
    startup: enabled
    after: [db]
    before: [cache]
    requires: [db]
    environment: {PORT: "8080", MODE: prod}
    user: root
    working-dir: /srv
    on-success: restart
    on-failure: shutdown
    on-check-failure: {alive: restart}
    backoff-delay: 1s
    backoff-factor: 2.5
    backoff-limit: 30s
    kill-delay: 5s
  db:
    override: merge
    command: db
  cache: {override: replace, command: cache}
checks:
  alive:
    override: replace
    level: alive
    period: 10s
    timeout: 3s
    threshold: 3
    http: {url: "http://localhost:8080/health", headers: {X-A: b}}
  ready:
    override: replace
    level: ready
    exec: {command: check --ready, service-context: web}
  tcp:
    override: replace
    tcp: {port: 5432, host: localhost}
log-targets:
  loki:
    override: replace
    type: loki
    location: http://loki:3100
    services: [all, -db]
    labels: {env: prod}
"#;

#[test]
fn fuzz_pebble_layers() {
    let accounts = charmbox::pebble::accounts::Accounts::default();
    let seeds = vec![LAYER.as_bytes().to_vec(), b"services: {}\n".to_vec()];
    fuzz("layers", seeds, YAML_DICT, 1 << 20, |input| {
        charmbox::pebble::layer::parse(1, "fuzz", &text(input), &accounts).is_ok()
    });
}

#[test]
fn fuzz_charmcraft_yaml() {
    fuzz("charmcraft", charm_seeds(), YAML_DICT, 1 << 20, |input| {
        CharmMeta::parse(&text(input), "fuzz").is_ok()
    });
}

const STATE: &str = r#"{
  "unit": "demo/0",
  "leader": true,
  "config": {"name": "fuzz", "port": 8080},
  "relations": [
    {"id": 1, "endpoint": "demo-peers", "remote_units_data": {"1": {"k": "v"}},
     "local_app_data": {"a": "b"}, "local_unit_data": {"x": "y"}},
    {"id": 3, "endpoint": "db", "remote_app": "pg", "remote_app_data": {"host": "h"},
     "remote_units_data": {"0": {"user": "u"}, "1": {}}}
  ],
  "unit_status": {"status": "active", "message": "ok", "since": "2026-01-01T00:00:00Z"},
  "unit_state": {"s": "t"},
  "leader_settings": {"l": "m"},
  "secrets": [
    {"id": "secret:0123456789abcdefghij", "owner": "application", "label": "mine",
     "revisions": [{"revision": 1, "content": {"password": "pw"}}]},
    {"id": "secret:abcdefghij0123456789", "tracked": 1,
     "revisions": [{"revision": 1, "content": {"token": "t1"}}]}
  ],
  "opened_ports": [{"protocol": "tcp", "port": 80}],
  "storages": [{"name": "data", "index": 0}],
  "containers": [{"name": "workload", "can_connect": true,
    "layers": [{"label": "base", "yaml": "services: {web: {override: replace, command: web}}"}]}],
  "model": {"name": "m", "type": "kubernetes"},
  "planned_units": 2,
  "now": "2026-01-01T00:00:00Z",
  "seed": 7
}"#;

const FUZZ_CHARM: &str = r#"
name: demo
peers:
  demo-peers: {interface: demo_peers}
requires:
  db: {interface: pgsql}
containers:
  workload: {}
storage:
  data: {type: filesystem}
config:
  options:
    name: {type: string, default: demo}
    port: {type: int, default: 8080}
actions:
  backup:
    params:
      target: {type: string, default: s3}
"#;

#[test]
fn fuzz_state_json() {
    let meta = Arc::new(CharmMeta::parse(FUZZ_CHARM, "fuzz").expect("charm"));
    let seeds = vec![STATE.as_bytes().to_vec(), b"{}".to_vec()];
    fuzz("state", seeds, JSON_DICT, 1 << 20, |input| {
        let Ok(state) = State::from_json(&text(input), "fuzz") else {
            return false;
        };
        // What `charmbox run` does next: resolve an event against the charm
        // and open the unit's backend on the State.
        let Ok(event) = EventSpec::named("start").resolve(&meta, &state) else {
            return false;
        };
        UnitBackend::new(meta.clone(), state, &event).is_ok()
    });
}

#[test]
fn fuzz_tool_stdin_yaml() {
    let meta = Arc::new(CharmMeta::parse(FUZZ_CHARM, "fuzz").expect("charm"));
    let state = State::from_json(STATE, "fuzz").expect("state");
    let event = EventSpec::named("start")
        .resolve(&meta, &state)
        .expect("event");
    let seeds = vec![
        b"a: 1\nb: yes\nc: ~\nd: |-\n  x\n  y\n".to_vec(),
        br#"{"password": "pw", "user": "u"}"#.to_vec(),
        b"base: &b {x: 1}\nk: *b\n".to_vec(),
    ];
    let tools: [&[&str]; 4] = [
        &["relation-set", "-r", "3", "--file", "-"],
        &["state-set", "--file", "-"],
        &["secret-add", "--file", "-"],
        &["leader-set", "--file", "-"],
    ];
    fuzz("tool-stdin", seeds, YAML_DICT, 1 << 20, |input| {
        let mut backend = UnitBackend::new(meta.clone(), state.clone(), &event).expect("backend");
        let argv: Vec<String> = tools[input.len() % tools.len()]
            .iter()
            .map(|s| s.to_string())
            .collect();
        match charmbox::jujuc::run(&mut backend, &argv, input) {
            Ok(out) => out.code == 0,
            Err(_) => false,
        }
    });
}

/// A scenario file through `Scenario::load`, as `charmbox sim` reads it.
#[test]
fn fuzz_scenario_files() {
    let seeds = vec![
        read("examples/peer-counter/scenario.yaml"),
        read("examples/ping-pong/scenario.yaml"),
        read("tests/e2e/scenarios/long.yaml"),
    ];
    let path = target_tmp("faults-fuzz").join("scenario.yaml");
    fuzz("scenario", seeds, YAML_DICT, 1 << 20, |input| {
        std::fs::write(&path, input).expect("write");
        charmbox::sim::scenario::Scenario::load(&path).is_ok()
    });
    let _ = std::fs::remove_file(&path);
}

/// A trace recorded by `charmbox run`, for the trace reader's seeds.
fn recorded_trace() -> Vec<u8> {
    let charm = built("examples/peer-counter");
    let dir = target_tmp("faults-fuzz-trace");
    let state = dir.join("in.json");
    std::fs::write(
        &state,
        r#"{"leader": true, "relations": [{"id": 1, "endpoint": "fastapi-peer", "remote_units_data": {"1": {}}}]}"#,
    )
    .unwrap();
    let trace = dir.join("t.jsonl");
    let out = std::process::Command::new(charmbox_bin())
        .args(["run", "--charm"])
        .arg(&charm)
        .arg("--state")
        .arg(&state)
        .args(["--event", "start", "--event", "update-status", "--trace"])
        .arg(&trace)
        .arg("--out")
        .arg(dir.join("out.json"))
        .output()
        .expect("charmbox runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&trace).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    bytes
}

#[test]
fn fuzz_trace_reader() {
    let seeds = vec![recorded_trace()];
    fuzz("trace", seeds, JSON_DICT, 4 << 20, |input| {
        charmbox::trace::reader::parse_trace(&text(input), "fuzz").is_ok()
    });
}

/// Mutated components through the loader (validation, compilation, the
/// world's type check). Each case compiles: far fewer cases per second.
#[test]
fn fuzz_component_loader() {
    let charm = built("examples/peer-counter");
    let component = find_component(&charm);
    let rt = charmbox::engine::Runtime::new(charmbox::engine::RuntimeConfig {
        cache_dir: None,
        pool_slots: Some(2),
        ..charmbox::engine::RuntimeConfig::default()
    })
    .expect("runtime");
    let seeds = vec![
        std::fs::read(&component).unwrap(),
        b"\0asm\x0d\0\x01\0".to_vec(),
    ];
    let dict: &[&str] = &[
        "\0asm",
        "\x0d\0\x01\0",
        "\x01\0\0\0",
        "\u{7f}",
        "\0\0\0\0",
        "\u{ff}",
    ];
    fuzz("component", seeds, dict, 8 << 20, |input| {
        rt.load_bytes(input, "fuzz.wasm").is_ok()
    });
}

fn find_component(charm: &Path) -> PathBuf {
    let opts = charmbox::build::BuildOptions {
        release: true,
        quiet: true,
        ..Default::default()
    };
    charmbox::build::build_charm(charm, &opts)
        .expect("built")
        .component
}
