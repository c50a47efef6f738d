//! kvdb-k8s, revision "broken": the charm of examples/kvdb-k8s with the
//! versions of `dependencies.json` beside this file's crate.

/// The workload is the `kvdb` container's Pebble service.
const K8S: bool = true;

const DEPENDENCIES: &str = include_str!("../dependencies.json");

include!("../../../../kvdb/src/charm.rs");
