//! The end-to-end tests, one module per file, in one test binary: one
//! link instead of one per file, and the test threads shared by all of
//! them (`cargo test --test e2e -- python::` runs one file's tests).
//! tests/e2e/faults/ is a binary of its own (`e2e_faults`).

#[macro_use]
mod common;
#[macro_use]
#[path = "cases/pause.rs"]
mod pause_cases;
#[macro_use]
#[path = "cases/peer_counter.rs"]
mod peer_counter_cases;

mod cli;
mod failures;
mod machine;
mod memory_reset;
mod native;
mod native_py;
mod new;
mod packed;
mod pause;
mod pause_c;
mod pause_js;
mod pause_py;
mod peer_counter;
mod peer_counter_c;
mod peer_counter_js;
mod peer_counter_py;
mod pydantic_py;
mod python;
mod sim;
mod sim_py;
mod traces;
mod typed_conformance;
