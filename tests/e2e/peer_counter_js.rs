//! examples/peer-counter-js, the tutorial charm in JavaScript with charmbox's
//! library (guest-sdk/js), made a component by componentize-js: the same
//! cases as the Rust and Python peer-counters (tests/e2e/cases), and the
//! same databags as the Rust charm.

mod common;

#[path = "cases/peer_counter.rs"]
mod cases;

use cases::peer_state;
use charmbox::engine::Outcome;
use common::*;
use serde_json::json;

const CHARM: &str = "examples/peer-counter-js";
const RUST_CHARM: &str = "examples/peer-counter";

peer_counter_tests!(CHARM);

#[test]
fn a_failed_start_is_not_counted() {
    // The charm throws: the hook fails with the error and its stack.
    let m = cases::a_failed_start(CHARM);
    assert!(
        m.starts_with("Error: started_counter is not a count"),
        "{m}"
    );
    assert!(m.contains("charm.js"), "{m}");
}

/// The JavaScript and the Rust charm leave the same databags, byte for byte.
#[test]
fn the_same_databags_as_the_rust_charm() {
    let rt = runtime();
    let c = charm(&rt, CHARM);
    let rs = charm(&rt, RUST_CHARM);
    for (leader, bag) in [
        (true, json!({})),
        (true, json!({"unit_stats": r#"{"started_counter": "41"}"#})),
        (true, json!({"unit_stats": r#"{"started_counter": 7}"#})),
        (false, json!({"unit_stats": r#"{"started_counter": 5}"#})),
    ] {
        let (mut a, mut b) = (peer_state(leader, bag.clone()), peer_state(leader, bag));
        for _ in 0..3 {
            let (out_c, r1) = run(&rt, &c, a, "start");
            let (out_rs, r2) = run(&rt, &rs, b, "start");
            assert_eq!((&r1.outcome, &r2.outcome), (&Outcome::Ok, &Outcome::Ok));
            assert_eq!(out_c.relations, out_rs.relations);
            assert_eq!(out_c.unit_status, out_rs.unit_status);
            (a, b) = (out_c, out_rs);
        }
    }
}

/// A charm that does not parse fails the build with node's syntax error,
/// naming the file and the line.
#[test]
fn a_syntax_error_is_the_build_error() {
    let dir = root()
        .join("target")
        .join("tmp")
        .join(format!("js-broken-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("charmcraft.yaml"),
        "name: broken-js\ntype: charm\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/charm.js"), "export const handler = {{{;\n").unwrap();
    let opts = charmbox::build::BuildOptions {
        release: true,
        quiet: true,
        ..Default::default()
    };
    let err = charmbox::build::build_charm(&dir, &opts)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("src/charm.js is not valid JavaScript"),
        "{err}"
    );
    assert!(
        err.contains("src/charm.js:1") && err.contains("SyntaxError"),
        "{err}"
    );
}

/// The library's name is the build's: a charm's own src/charmbox.js is refused.
#[test]
fn a_charm_cannot_shadow_the_library() {
    let dir = root()
        .join("target")
        .join("tmp")
        .join(format!("js-shadow-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("charmcraft.yaml"),
        "name: shadow-js\ntype: charm\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/charm.js"), "export const handler = {};\n").unwrap();
    std::fs::write(dir.join("src/charmbox.js"), "// mine\n").unwrap();
    let opts = charmbox::build::BuildOptions {
        release: true,
        quiet: true,
        ..Default::default()
    };
    let err = charmbox::build::build_charm(&dir, &opts)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("src/charmbox.js is the name of charmbox's library"),
        "{err}"
    );
}
