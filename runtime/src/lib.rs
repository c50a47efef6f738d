//! charmbox: run Juju charms compiled to WebAssembly components, sandboxed and
//! deterministic, against a simulated model, real Juju, or a recorded trace.

pub mod build;
