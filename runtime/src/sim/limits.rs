//! Bounds on what one operation may ask of a simulated model: a command
//! line or scenario that asks for more fails with the bound named, instead
//! of exhausting the host.

use super::SimError;

/// The most units one application may have alive (`deploy -n`, `scale`,
/// `add-unit`).
pub const MAX_UNITS_PER_APPLICATION: usize = 10_000;

/// The latest virtual time a model can reach, ns since the epoch
/// (2262-04-11, where Pebble's signed nanosecond clock ends).
pub const LATEST_TIME_NS: u64 = i64::MAX as u64;

/// An error unless `app` may have `units` alive units.
pub fn check_unit_count(app: &str, units: usize) -> Result<(), SimError> {
    if units <= MAX_UNITS_PER_APPLICATION {
        return Ok(());
    }
    Err(SimError::Usage(format!(
        "{units} units of {app:?}: an application may have at most {MAX_UNITS_PER_APPLICATION}"
    )))
}

/// `now + by`, or an error if that passes [`LATEST_TIME_NS`].
pub fn later(now: u64, by: std::time::Duration) -> Result<u64, SimError> {
    u64::try_from(by.as_nanos())
        .ok()
        .and_then(|d| now.checked_add(d))
        .filter(|t| *t <= LATEST_TIME_NS)
        .ok_or_else(|| {
            SimError::Usage(format!(
                "cannot move virtual time on by {}: it would pass 2262-04-11, the latest time a model can reach",
                humantime::format_duration(by)
            ))
        })
}
