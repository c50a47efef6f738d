//! The fault suite: one module per class of attack on the sandbox (see
//! docs/security.md). Each test starts from a hostile guest component or a
//! hostile input file and asserts the outcome: a failed hook or exit 2 with
//! the reason named, committed state unchanged, the host alive within its
//! bounds, and the other units of a simulated model unaffected.

#[path = "../common/mod.rs"]
mod common;
mod fuzz;
mod report;

mod input;
mod model_file;

mod cache;
mod files;
mod walks;
mod yaml;

mod budget;
mod deadline;
mod errors;
