//! The `sandbox` interface as a backend trait: virtual time and seeded
//! randomness, the only nondeterminism a guest can observe.

use crate::sandbox::MAX_SLEPT_NS;

/// Clocks and randomness for one dispatch.
pub trait SandboxBackend {
    /// Virtual wall-clock time, nanoseconds since the Unix epoch.
    fn now(&mut self) -> u64;
    /// Virtual monotonic time, nanoseconds since the dispatch began.
    fn monotonic(&mut self) -> u64;
    /// `len` bytes from the seeded generator.
    fn random_bytes(&mut self, len: u32) -> Vec<u8>;
    /// Move virtual time `ns` forward (bounded); the nanoseconds it moved.
    fn sleep(&mut self, ns: u64) -> u64;
}

/// The clock and generator every backend gives a dispatch: time starts at
/// a given instant and moves a microsecond per read (monotonic, and
/// repeatable), randomness comes from a seed.
pub struct VirtualSandbox {
    now_ns: u64,
    ticks: u64,
    /// Virtual nanoseconds slept, at most [`MAX_SLEPT_NS`].
    slept: u64,
    rng: rand::rngs::StdRng,
}

impl VirtualSandbox {
    /// A clock starting at `now_ns`, randomness from `seed`.
    pub fn new(now_ns: u64, seed: u64) -> Self {
        use rand::SeedableRng;
        VirtualSandbox {
            now_ns,
            ticks: 0,
            slept: 0,
            rng: rand::rngs::StdRng::seed_from_u64(seed),
        }
    }
}

impl SandboxBackend for VirtualSandbox {
    fn now(&mut self) -> u64 {
        self.ticks += 1;
        self.now_ns
            .saturating_add(self.ticks * 1_000)
            .saturating_add(self.slept)
    }

    fn monotonic(&mut self) -> u64 {
        self.ticks += 1;
        (self.ticks * 1_000).saturating_add(self.slept)
    }

    fn sleep(&mut self, ns: u64) -> u64 {
        let moved = ns.min(MAX_SLEPT_NS - self.slept);
        self.slept += moved;
        moved
    }

    fn random_bytes(&mut self, len: u32) -> Vec<u8> {
        use rand::RngExt;
        let mut buf = vec![0u8; len as usize];
        self.rng.fill(&mut buf[..]);
        buf
    }
}
