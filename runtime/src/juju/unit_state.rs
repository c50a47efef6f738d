//! Juju's quotas on a unit's server-side state (`core/quota`, the
//! controller's `max-charm-state-size`).

/// Largest key of one unit-state entry (`MaxCharmStateKeySize`).
pub const MAX_KEY: usize = 256;
/// Largest value of one unit-state entry (`MaxCharmStateValueSize`).
pub const MAX_VALUE: usize = 64 * 1024;
/// Default controller limit on the whole unit state (`max-charm-state-size`).
pub const MAX_TOTAL: usize = 2 * 1024 * 1024;
