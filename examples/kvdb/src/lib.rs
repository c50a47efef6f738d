//! kvdb: a database-like machine charm. It installs `kvdb-server` at the
//! version it carries (`dependencies.json`) and runs the `kvdb` service;
//! `juju refresh` upgrades its units in place one at a time, over the
//! `upgrade` peer relation ([`charmbox_sdk::upgrade`]), after the operator's
//! `pre-upgrade-check`. config-changed is deferred while a unit is not idle.
//! The revisions under `revisions/` are the same code with other versions.

/// The workload is an apt package and a systemd service (machines).
const K8S: bool = false;

const DEPENDENCIES: &str = include_str!("../dependencies.json");

include!("charm.rs");
