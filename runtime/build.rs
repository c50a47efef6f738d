//! Numbers the host needs from a C header of a dependency, read from the
//! header itself so that a new version cannot shift them silently.
//!
//! mimalloc's `mi_option_t` values are an enum's positions, and the Rust
//! bindings (`libmimalloc-sys`) do not name the purge delay of mimalloc v3.
//! The `main` binary tunes it (`src/main.rs`), so its number is taken from
//! the `mimalloc.h` the library is built from (`DEP_MIMALLOC_INCLUDE_DIR`).

use std::path::PathBuf;

fn main() {
    let dir =
        std::env::var("DEP_MIMALLOC_INCLUDE_DIR").expect("libmimalloc-sys gives its include dir");
    let header = PathBuf::from(dir).join("mimalloc.h");
    println!("cargo:rerun-if-changed={}", header.display());
    let text = std::fs::read_to_string(&header).expect("mimalloc.h is readable");
    let n = option_number(&text, "mi_option_purge_delay")
        .expect("mimalloc.h's mi_option_t lists mi_option_purge_delay");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(
        out.join("mimalloc_options.rs"),
        format!("/// `mi_option_purge_delay` in this mimalloc's `mi_option_t`.\npub const PURGE_DELAY: i32 = {n};\n"),
    )
    .expect("OUT_DIR is writable");
}

/// The position of `name` in `mi_option_t`: the enum's entries, one per
/// line, none with an explicit value before the legacy aliases.
fn option_number(header: &str, name: &str) -> Option<usize> {
    let body = header.split("typedef enum mi_option_e {").nth(1)?;
    let body = body.split("} mi_option_t;").next()?;
    let mut n = 0;
    for line in body.lines() {
        let entry = line.split("//").next()?.trim().trim_end_matches(',').trim();
        if entry.is_empty() {
            continue;
        }
        if entry.contains('=') {
            return None;
        }
        if entry == name {
            return Some(n);
        }
        n += 1;
    }
    None
}
