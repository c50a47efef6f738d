//! The `sandbox` interface as a backend trait: virtual time and seeded
//! randomness, the only nondeterminism a guest can observe.

/// Clocks and randomness for one dispatch.
pub trait SandboxBackend {
    /// Virtual wall-clock time, nanoseconds since the Unix epoch.
    fn now(&mut self) -> u64;
    /// Virtual monotonic time, nanoseconds since the dispatch began.
    fn monotonic(&mut self) -> u64;
    /// `len` bytes from the seeded generator.
    fn random_bytes(&mut self, len: u32) -> Vec<u8>;
}
