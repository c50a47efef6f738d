//! Time, randomness and panic reporting from the `sandbox` import: virtual,
//! seeded and recorded by the host, so a run can be replayed exactly.
//!
//! On `wasm32-unknown-unknown`, `SystemTime::now()` panics and there is no
//! OS randomness: use these instead.

use std::sync::Once;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::bindings::juju::charm::sandbox as raw;

/// The event's virtual wall-clock time.
pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(now_unix_nanos())
}

/// The event's virtual wall-clock time, in nanoseconds since the Unix epoch.
pub fn now_unix_nanos() -> u64 {
    raw::now()
}

/// Sleep `d` of virtual time: returns at once, with [`now`] moved by `d`
/// (all of an event's sleeps together move it at most 100 years), as a
/// charm retrying after a pause expects; a trace replays it.
pub fn sleep(d: Duration) {
    raw::sleep(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
}

/// `len` deterministic random bytes from the run's seed.
pub fn random_bytes(len: u32) -> Vec<u8> {
    raw::random_bytes(len)
}

/// A deterministic random `u64` from the run's seed.
pub fn random_u64() -> u64 {
    let bytes = raw::random_bytes(8);
    let mut buf = [0u8; 8];
    let n = bytes.len().min(8);
    buf[..n].copy_from_slice(&bytes[..n]);
    u64::from_le_bytes(buf)
}

/// Route panics to the host before the trap: `report-panic` gets the
/// message and its location, so the failed hook says why. Installed by
/// [`export_charm!`](crate::export_charm) on the first dispatch.
pub(crate) fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            raw::report_panic(&info.to_string());
        }));
    });
}
