//! Juju's value rules, one home: names (units, applications, UUIDs),
//! secrets (ids, URIs, content keys, rotate policies, limits), action result
//! keys, unit-state quotas, Ubuntu bases and the default virtual clock. The backend, the
//! raw hook tools, the State check and the simulator all call these; none
//! keeps a copy.

pub mod action_schema;
pub mod actions;
pub mod bases;
pub mod names;
pub mod secrets;
pub mod unit_state;

/// 2026-01-01T00:00:00Z: the virtual time of an event whose State gives no
/// `now`.
pub const DEFAULT_NOW_NS: u64 = 1_767_225_600_000_000_000;
