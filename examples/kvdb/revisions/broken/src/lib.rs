//! kvdb, revision "broken": the charm of examples/kvdb with the versions of
//! `dependencies.json` beside this file's crate.

const DEPENDENCIES: &str = include_str!("../dependencies.json");

include!("../../../src/charm.rs");
