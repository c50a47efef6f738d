//! kvdb-k8s: examples/kvdb's charm on Kubernetes. The workload is the
//! `kvdb` container's Pebble service, from the kvdb image, and a refresh
//! replaces the pods one at a time from the highest ordinal, held back by
//! the StatefulSet's partition, which the leader moves
//! ([`charmbox_sdk::upgrade::Upgrade::on_kubernetes`]). After the first unit
//! the upgrade pauses until the operator runs `resume-upgrade`.

/// The workload is the `kvdb` container's Pebble service.
const K8S: bool = true;

const DEPENDENCIES: &str = include_str!("../dependencies.json");

include!("../../kvdb/src/charm.rs");
