//! The pool's reset between events: a slot that an event dirtied — scattered
//! writes to image pages and zeroed pages, a heap allocation left behind,
//! grown memory — must hand the next event exactly the memory of a freshly
//! instantiated component. tests/charms/memcheck hashes its whole linear
//! memory (and its size) before it changes anything; every event of a long
//! random run in one pooled slot must report the hash that a fresh instance
//! (no pool: new memory mapped for it) reports.

use crate::common;

use charmbox::engine::{Runtime, RuntimeConfig};
use charmbox::run::Charm;
use charmbox::state::State;
use proptest::prelude::*;
use serde_json::json;

use common::{built, run, state};

const CHARM: &str = "tests/charms/memcheck";

fn runtime(pool_slots: Option<u32>) -> Runtime {
    Runtime::new(RuntimeConfig {
        cache_dir: Some(std::env::temp_dir().join("charmbox-e2e-cache")),
        pool_slots,
        ..RuntimeConfig::default()
    })
    .expect("runtime")
}

fn input(seed: u64, grow: u64) -> State {
    state(json!({"config": {"seed": seed, "grow": grow}}))
}

/// The memory hash `start` reported, after checking the event succeeded.
fn hash_of(rt: &Runtime, charm: &Charm, seed: u64, grow: u64) -> String {
    let (out, report) = run(rt, charm, input(seed, grow), "start");
    assert!(report.outcome.is_ok(), "{}", report.outcome.describe());
    assert_eq!(out.unit_status.status, "active");
    out.unit_status.message
}

/// The hash a fresh instance reports, the same whatever the config says
/// (the hash is taken before the config is read).
fn fresh_hash() -> String {
    let rt = runtime(None);
    let charm = Charm::open(&rt, &built(CHARM)).expect("open memcheck");
    let first = hash_of(&rt, &charm, 0, 0);
    assert_eq!(first.len(), 16, "a 64-bit hash in hex: {first}");
    assert_eq!(hash_of(&rt, &charm, 12345, 3), first);
    first
}

#[test]
fn the_fingerprint_sees_what_an_event_writes_and_fresh_instances_agree() {
    let rt = runtime(None);
    let charm = Charm::open(&rt, &built(CHARM)).expect("open memcheck");
    let fresh = hash_of(&rt, &charm, 0, 0);
    // Hashing again after the writes, in the same instance, sees them: a
    // reset that left any of them would change the next event's hash.
    for (seed, grow) in [(7, 0), (99, 2)] {
        let rehashed = state(json!({"config": {"seed": seed, "grow": grow, "rehash": true}}));
        let (out, report) = run(&rt, &charm, rehashed, "start");
        assert!(report.outcome.is_ok(), "{}", report.outcome.describe());
        let (before, after) = out.unit_status.message.split_once(' ').expect("two hashes");
        assert_eq!(before, fresh);
        assert_ne!(
            after, fresh,
            "seed {seed} grow {grow} wrote nothing the hash sees"
        );
    }
    // Fresh instances agree, whatever the previous event wrote.
    assert_eq!(hash_of(&rt, &charm, 0, 0), fresh);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    #[test]
    fn every_event_in_a_reused_slot_starts_from_a_fresh_instance_memory(
        events in proptest::collection::vec((1u64..(1 << 62), 0u64..8), 40..80)
    ) {
        let fresh = fresh_hash();
        // One slot: every event reuses the memory the previous one dirtied.
        let rt = runtime(Some(1));
        let charm = Charm::open(&rt, &built(CHARM)).expect("open memcheck");
        for (i, (seed, grow)) in events.iter().enumerate() {
            let seen = hash_of(&rt, &charm, *seed, *grow);
            prop_assert_eq!(&seen, &fresh, "event {} (seed {}, grow {})", i, seed, grow);
        }
    }
}
