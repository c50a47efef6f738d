//! YAML as yaml.v3 (the Go library Pebble uses) writes and orders it.

pub mod emit;
pub mod scalar;
pub mod sort;

pub use emit::{Node, Placed, Seg};
