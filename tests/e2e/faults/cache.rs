//! Class 9: the compiled-code cache. A damaged entry (one flipped byte, a
//! truncation, a missing checksum) must never be run: loading it again in
//! the same process compiles the component again, the event still runs,
//! and the entry is rewritten whole.

use std::path::{Path, PathBuf};

use charmbox::engine::{Outcome, Runtime, RuntimeConfig};
use charmbox::run::Charm;
use serde_json::json;

use super::common::*;

const CHARM: &str = "tests/charms/misbehave";

fn runtime_in(cache: &Path) -> Runtime {
    Runtime::new(RuntimeConfig {
        cache_dir: Some(cache.to_path_buf()),
        pool_slots: Some(2),
        ..RuntimeConfig::default()
    })
    .expect("runtime")
}

/// Damage done to an entry's bytes.
type Damage = fn(&[u8]) -> Vec<u8>;

/// The one entry in `dir`.
fn entry(dir: &Path) -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found.pop().unwrap()
}

/// Open the charm from the cache in `dir` with a fresh runtime and run
/// `start`: the hook succeeds.
fn open_and_start(dir: &Path) {
    let rt = runtime_in(dir);
    let charm = Charm::open(&rt, &built(CHARM)).expect("the charm opens");
    let s = state(json!({"config": {"mode": "ok"}}));
    let (out, report) = run(&rt, &charm, s, "start");
    assert!(
        matches!(report.outcome, Outcome::Ok),
        "{:?}",
        report.outcome
    );
    assert_eq!(out.unit_status.status, "active");
}

#[test]
fn a_damaged_cache_entry_is_compiled_again_and_rewritten() {
    let dir = target_tmp("faults-cache").join("cache");
    let _ = std::fs::remove_dir_all(&dir);
    open_and_start(&dir);
    let path = entry(&dir);
    let good = std::fs::read(&path).unwrap();
    println!("cache entry: {} bytes", good.len());
    let damages: [(&str, Damage); 6] = [
        ("one flipped byte in the code", |b: &[u8]| {
            let mut b = b.to_vec();
            let mid = b.len() / 2;
            b[mid] ^= 0x40;
            b
        }),
        ("one flipped byte at the end", |b: &[u8]| {
            let mut b = b.to_vec();
            *b.last_mut().unwrap() ^= 0x01;
            b
        }),
        ("truncated to half", |b: &[u8]| b[..b.len() / 2].to_vec()),
        ("truncated by one byte", |b: &[u8]| {
            b[..b.len() - 1].to_vec()
        }),
        ("empty", |_: &[u8]| Vec::new()),
        ("its first 64 bytes only", |b: &[u8]| {
            b[..64.min(b.len())].to_vec()
        }),
    ];
    for (what, damage) in damages {
        let bad = damage(&good);
        std::fs::write(&path, &bad).unwrap();
        open_and_start(&dir);
        let now = std::fs::read(&path).unwrap();
        assert_ne!(now, bad, "{what}: rewritten");
        assert_eq!(now.len(), good.len(), "{what}: rewritten whole");
        println!("{what}: compiled again, entry rewritten");
    }
    // Its checksum file gone (a cache from before checksums): compiled
    // again, and the checksum written.
    let sum = path.with_extension("cwasm.sha256");
    std::fs::remove_file(&sum).unwrap();
    open_and_start(&dir);
    assert!(sum.is_file(), "checksum rewritten");
    // The rewritten entry is used as is.
    let before = std::fs::read(&path).unwrap();
    open_and_start(&dir);
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(entry(&dir), path, "no other entry, no leftover");
    std::fs::remove_dir_all(&dir).unwrap();
}
