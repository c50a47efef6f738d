//! Virtual time and seeded randomness for the `sandbox` import.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::UnitBackend;
use crate::backend::SandboxBackend;
use crate::state::State;

pub use crate::juju::DEFAULT_NOW_NS;

/// The clock and generator of one dispatch.
pub(super) struct Sandbox {
    now_ns: u64,
    ticks: u64,
    rng: StdRng,
}

impl Sandbox {
    pub(super) fn new(state: &State) -> Result<Sandbox, String> {
        let now_ns = match &state.now {
            Some(t) => crate::sandbox::parse_rfc3339_ns(t)
                .ok_or_else(|| format!("state `now` is not an RFC 3339 time: {t:?}"))?,
            None => DEFAULT_NOW_NS,
        };
        Ok(Sandbox {
            now_ns,
            ticks: 0,
            rng: StdRng::seed_from_u64(state.seed),
        })
    }
}

impl SandboxBackend for UnitBackend {
    fn now(&mut self) -> u64 {
        // Each read moves time on by a microsecond: monotonic, and repeatable.
        self.sandbox.ticks += 1;
        self.sandbox.now_ns + self.sandbox.ticks * 1_000
    }

    fn monotonic(&mut self) -> u64 {
        self.sandbox.ticks += 1;
        self.sandbox.ticks * 1_000
    }

    fn random_bytes(&mut self, len: u32) -> Vec<u8> {
        let mut buf = vec![0u8; len as usize];
        self.sandbox.rng.fill(&mut buf[..]);
        buf
    }
}
