//! Virtual time and seeded randomness for the `sandbox` import, from the
//! State's `now` and `seed`.

use super::UnitBackend;
use crate::backend::SandboxBackend;
use crate::backend::sandbox::VirtualSandbox;
use crate::state::State;

pub use crate::juju::DEFAULT_NOW_NS;

/// The clock and generator of a dispatch on `state`.
pub(super) fn for_state(state: &State) -> Result<VirtualSandbox, String> {
    let now_ns = match &state.now {
        Some(t) => crate::sandbox::parse_rfc3339_ns(t)
            .ok_or_else(|| format!("state `now` is not an RFC 3339 time: {t:?}"))?,
        None => DEFAULT_NOW_NS,
    };
    Ok(VirtualSandbox::new(now_ns, state.seed))
}

impl SandboxBackend for UnitBackend {
    fn now(&mut self) -> u64 {
        self.sandbox.now()
    }

    fn monotonic(&mut self) -> u64 {
        self.sandbox.monotonic()
    }

    fn random_bytes(&mut self, len: u32) -> Vec<u8> {
        self.sandbox.random_bytes(len)
    }

    fn sleep(&mut self, ns: u64) -> u64 {
        self.sandbox.sleep(ns)
    }
}
