//! charmbox: run Juju charms compiled to WebAssembly components, sandboxed and
//! deterministic, against a State (one unit, one event), a simulated model,
//! or a recorded trace. The map of the modules is docs/architecture.md.

pub mod backend;
pub mod bindings;
pub mod build;
pub mod cached_dir;
pub mod capability;
pub mod charm;
pub mod engine;
pub mod event;
pub mod go;
pub mod host;
pub mod juju;
pub mod jujuc;
pub mod limits;
pub mod machine;
pub mod native;
pub mod pack;
pub mod pebble;
pub mod run;
pub mod sandbox;
pub mod scaffold;
pub mod sim;
pub mod state;
pub mod trace;
pub mod unit_agent;
pub mod yaml;
