//! Shared by the end-to-end tests: build real charm components once per test
//! binary with `charmbox build`'s own code, and run events in the real host.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use charmbox::build::{BuildOptions, build_charm};
use charmbox::engine::{Runtime, RuntimeConfig};
use charmbox::event::EventSpec;
use charmbox::run::{Charm, RunReport, run_event};
use charmbox::state::State;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Build the charm at `rel` (relative to the repository root), once.
pub fn built(rel: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    let done = BUILT.get_or_init(|| Mutex::new(Vec::new()));
    let mut done = done.lock().unwrap_or_else(|e| e.into_inner());
    let dir = root().join(rel);
    if !done.iter().any(|d| d == rel) {
        let out = build_charm(
            &dir,
            &BuildOptions {
                release: true,
                quiet: true,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("building {rel}: {e}"));
        assert!(out.component.exists());
        done.push(rel.to_string());
    }
    dir
}

/// A runtime with the given fuel and memory bounds and a private cache.
pub fn runtime_with(fuel: u64, max_memory: usize) -> Runtime {
    runtime_limited(fuel, max_memory, charmbox::limits::HostLimits::default())
}

/// [`runtime_with`], with the given host-side limits.
pub fn runtime_limited(
    fuel: u64,
    max_memory: usize,
    limits: charmbox::limits::HostLimits,
) -> Runtime {
    let cache = std::env::temp_dir().join("charmbox-e2e-cache");
    Runtime::new(RuntimeConfig {
        fuel_per_event: fuel,
        max_memory,
        cache_dir: Some(cache),
        pool_slots: Some(4),
        limits,
    })
    .expect("runtime")
}

/// A runtime with the default bounds.
pub fn runtime() -> Runtime {
    let d = RuntimeConfig::default();
    runtime_with(d.fuel_per_event, d.max_memory)
}

/// Open a built charm.
pub fn charm(rt: &Runtime, rel: &str) -> Charm {
    Charm::open(rt, &built(rel)).expect("open charm")
}

/// Parse a State from JSON.
pub fn state(json: serde_json::Value) -> State {
    State::from_json(&json.to_string(), "test").expect("valid state")
}

/// Run one named event.
pub fn run(rt: &Runtime, charm: &Charm, state: State, event: &str) -> (State, RunReport) {
    run_event(rt, charm, state, &EventSpec::named(event), None).expect("event runs")
}

/// The charmbox binary.
pub fn charmbox_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_charmbox"))
}

/// Run the charmbox binary: (exit code, stdout, stderr).
pub fn charmbox(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(charmbox_bin())
        .args(args)
        .output()
        .expect("charmbox runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `charmbox run --charm CHARM --event EVENT --state STATE --out /dev/null`:
/// (exit code, stdout, stderr).
pub fn charmbox_run_event(charm: &Path, event: &str, state: &Path) -> (i32, String, String) {
    charmbox(&[
        "run",
        "--charm",
        charm.to_str().unwrap(),
        "--event",
        event,
        "--state",
        state.to_str().unwrap(),
        "--out",
        "/dev/null",
    ])
}

/// `#[test]`s that each call `cases::<name>(dir)`: shared cases
/// (tests/e2e/cases/) stamped for the charm in `dir`.
#[macro_export]
macro_rules! case_tests {
    ($dir:expr; $($name:ident),+ $(,)?) => {
        $(
            #[test]
            fn $name() {
                cases::$name($dir)
            }
        )+
    };
}

/// Build a throwaway charm `name` made of `files` (path, text) under
/// target/tmp/, expecting the build to fail; returns its error.
pub fn build_error(name: &str, files: &[(&str, &str)]) -> String {
    let dir = root()
        .join("target")
        .join("tmp")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("charmcraft.yaml"),
        format!("name: {name}\ntype: charm\n"),
    )
    .unwrap();
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let opts = BuildOptions {
        release: true,
        quiet: true,
        ..Default::default()
    };
    match build_charm(&dir, &opts) {
        Ok(out) => panic!("{name} built: {}", out.component.display()),
        Err(e) => e.to_string(),
    }
}

/// `name` under cargo's directory for integration tests' files
/// (`target/tmp`), created: the same path on every run, so nothing piles up
/// in the system's temporary directory. Callers that need it empty say so
/// with [`fresh_target_tmp`].
pub fn target_tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// [`target_tmp`], emptied first.
pub fn fresh_target_tmp(name: &str) -> PathBuf {
    let _ = std::fs::remove_dir_all(Path::new(env!("CARGO_TARGET_TMPDIR")).join(name));
    target_tmp(name)
}

/// A scratch directory under the system's temporary directory, named by the
/// test binary's process and `name`, emptied when created. It is removed when
/// dropped, except while a test is failing, so a failure leaves its files to
/// look at (unlike [`target_tmp`], which is kept and reused).
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(prefix: &str, name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("{prefix}-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
