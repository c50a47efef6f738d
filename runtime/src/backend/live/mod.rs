//! The live backend: a dispatch under a real Juju unit agent (a packed
//! charm's `dispatch`). Hook tools are the real tools on PATH
//! ([`tools`]), each container's Pebble is its unix socket ([`pebble`]);
//! Juju's uniter owns the hook's transaction, so nothing is buffered here.

pub mod pebble;
pub mod tools;
