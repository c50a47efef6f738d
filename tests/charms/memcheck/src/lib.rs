//! memcheck: a test-only charm for the pool's memory reset. `start` hashes
//! the whole linear memory before it changes anything, reports the hash as
//! its status message, then dirties memory as config `seed` and `grow` say.
//! Every event must report the hash a fresh instance reports.

use std::hint::black_box;

use charmbox_sdk::{Charm, Error, Event, EventKind, Model, Status};

const PAGE: usize = 4096;
const STATIC_PAGES: usize = 256;

/// Initialised data: these pages come from the snapshot image.
static mut IMAGE: [u8; STATIC_PAGES * PAGE] = [0x5a; STATIC_PAGES * PAGE];
/// Zeroed data: these pages are not in the image.
static mut ZEROED: [u8; STATIC_PAGES * PAGE] = [0; STATIC_PAGES * PAGE];

#[derive(Default)]
struct Memcheck;

impl Charm for Memcheck {
    fn handle(&mut self, event: &Event, model: &Model) -> Result<(), Error> {
        if event.kind() != EventKind::Start {
            return Ok(());
        }
        let hash = fingerprint();
        model
            .unit()
            .set_status(Status::active(&format!("{hash:016x}")))?;
        let seed = model.config().get_int("seed")?.unwrap_or(0) as u64;
        let grow = model.config().get_int("grow")?.unwrap_or(0).clamp(0, 64) as usize;
        if seed != 0 {
            dirty(seed, grow);
        }
        if model.config().get_bool("rehash")?.unwrap_or(false) {
            let after = fingerprint();
            model
                .unit()
                .set_status(Status::active(&format!("{hash:016x} {after:016x}")))?;
        }
        Ok(())
    }
}

/// FNV-1a over the memory's size and every byte from address 8 up (0..8
/// would be a null pointer to Rust).
fn fingerprint() -> u64 {
    let size = core::arch::wasm32::memory_size(0) * 65536;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut mix = |word: u64| {
        hash ^= word;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    };
    mix(size as u64);
    let mut addr = 8;
    while addr + 8 <= size {
        // SAFETY: every address below memory.size is readable in wasm.
        let word = unsafe { core::ptr::read_volatile(addr as *const u64) };
        mix(word);
        addr += 8;
    }
    hash
}

/// xorshift64: the pages and bytes `seed` picks.
fn next(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

/// Write scattered pages of both statics (far more disjoint runs than a
/// scan's region buffer holds), leave a heap allocation behind, and grow
/// the memory by `grow` pages, writing each.
fn dirty(seed: u64, grow: usize) {
    let mut x = seed | 1;
    let image = &raw mut IMAGE;
    let zeroed = &raw mut ZEROED;
    for _ in 0..(next(&mut x) % 200 + 40) {
        let page = (next(&mut x) as usize) % STATIC_PAGES;
        let offset = page * PAGE + (next(&mut x) as usize) % PAGE;
        // SAFETY: offsets are within the statics; this charm is the only
        // code touching them and runs single-threaded.
        unsafe {
            (*image)[offset] = next(&mut x) as u8;
            (*zeroed)[offset] = next(&mut x) as u8 | 1;
        }
    }
    let heap: Vec<u8> = vec![(x as u8) | 1; (next(&mut x) % 300_000) as usize];
    std::mem::forget(black_box(heap));
    if grow > 0 {
        let old = core::arch::wasm32::memory_grow(0, grow);
        if old != usize::MAX {
            for page in 0..grow * 16 {
                let addr = old * 65536 + page * PAGE;
                // SAFETY: the pages were just added; nothing else uses them.
                unsafe { core::ptr::write_volatile(addr as *mut u8, next(&mut x) as u8 | 1) };
            }
        }
    }
}

charmbox_sdk::export_charm!(Memcheck);
