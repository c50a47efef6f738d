//! kvdb, revision "next": the charm of examples/kvdb with the versions of
//! `dependencies.json` beside this file's crate.

/// The workload is an apt package and a systemd service (machines).
const K8S: bool = false;

const DEPENDENCIES: &str = include_str!("../dependencies.json");

include!("../../../src/charm.rs");
