//! examples/peer-counter-c, the tutorial charm in C with charmbox's C
//! library, compiled by clang for wasm32 and run in the host: the same
//! cases as the Rust and Python peer-counters (tests/e2e/cases), and the
//! same databags as the Rust charm.

use crate::common;

use crate::peer_counter_cases as cases;

use common::*;

const CHARM: &str = "examples/peer-counter-c";

peer_counter_tests!(CHARM);

#[test]
fn a_failed_start_is_not_counted() {
    let m = cases::a_failed_start(CHARM);
    assert_eq!(m, "started_counter is not a count");
}

/// The same databags as the Rust charm, byte for byte.
#[test]
fn the_same_databags_as_the_rust_charm() {
    cases::the_same_databags_as_the_rust_charm(CHARM);
}

/// The component imports the juju:charm world and nothing else: no WASI.
#[test]
fn imports_only_the_world() {
    let rt = runtime();
    let c = charm(&rt, CHARM);
    let bytes = std::fs::read(c.dir.join("peer-counter-c.wasm")).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("wasi:"), "the C charm imports WASI");
    assert!(text.contains("juju:charm/hook-tools@0.1.0"));
}

/// A C charm that does not compile fails the build with clang's message.
#[test]
fn a_compile_error_is_clangs_message() {
    let err = build_error(
        "c-broken",
        &[(
            "src/charm.c",
            "#include \"charmbox.h\"\nbool charm_handle(const cb_event *e) { return nope; }\n",
        )],
    );
    assert!(err.starts_with("clang could not build"), "{err}");
    assert!(err.contains("charm.c:2:") && err.contains("nope"), "{err}");
    // The library's header and the world's bindings were found: the only
    // error is the charm's.
    assert!(!err.contains("file not found"), "{err}");
}

/// An unchanged C charm is not compiled again: its cached module (under
/// target/c/<key>/, keyed by the hash of what goes in) is read as it is.
#[test]
fn an_unchanged_charm_is_not_recompiled() {
    let dir = built(CHARM);
    let cache = root().join("target").join("c");
    let modules = || -> Vec<(std::path::PathBuf, std::time::SystemTime)> {
        let mut all: Vec<_> = std::fs::read_dir(&cache)
            .unwrap()
            .map(|e| e.unwrap().path().join("charm.wasm"))
            .filter(|p| p.is_file())
            .map(|p| {
                let t = std::fs::metadata(&p).unwrap().modified().unwrap();
                (p, t)
            })
            .collect();
        all.sort();
        all
    };
    let before = modules();
    assert!(
        !before.is_empty(),
        "no cached C module under {}",
        cache.display()
    );
    let opts = charmbox::build::BuildOptions {
        release: true,
        quiet: true,
        ..Default::default()
    };
    charmbox::build::build_charm(&dir, &opts).unwrap();
    assert_eq!(modules(), before, "a C module was compiled again");
}
