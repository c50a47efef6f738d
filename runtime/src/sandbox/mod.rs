//! Determinism: virtual clocks and seeded randomness for WASI guests, and the
//! time helpers the backends share. Nothing here reads the host's clock or
//! entropy.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use rand::SeedableRng;
use rand::rngs::StdRng;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder};

/// Nanoseconds since the Unix epoch of an RFC 3339 time.
pub fn parse_rfc3339_ns(text: &str) -> Option<u64> {
    let t = humantime::parse_rfc3339_weak(text).ok()?;
    u64::try_from(t.duration_since(UNIX_EPOCH).ok()?.as_nanos()).ok()
}

/// A clock that starts at a fixed time and moves one microsecond per read.
#[derive(Clone)]
pub struct VirtualClock {
    start_ns: u64,
    reads: Arc<AtomicU64>,
}

impl VirtualClock {
    pub fn new(start_ns: u64) -> Self {
        VirtualClock {
            start_ns,
            reads: Arc::new(AtomicU64::new(0)),
        }
    }

    fn tick(&self) -> u64 {
        (self.reads.fetch_add(1, Ordering::Relaxed) + 1) * 1_000
    }
}

impl HostWallClock for VirtualClock {
    fn resolution(&self) -> Duration {
        Duration::from_micros(1)
    }
    fn now(&self) -> Duration {
        Duration::from_nanos(self.start_ns + self.tick())
    }
}

impl HostMonotonicClock for VirtualClock {
    fn resolution(&self) -> u64 {
        1_000
    }
    fn now(&self) -> u64 {
        self.tick()
    }
}

/// What a WASI guest may see, and nothing more.
#[derive(Debug, Clone, Default)]
pub struct WasiGrants {
    /// Virtual time at the start of the event.
    pub now_ns: u64,
    pub seed: u64,
    /// Host directory shown read-only to the guest, with its guest path.
    pub charm_dir: Option<(std::path::PathBuf, String)>,
    /// Environment variables (the dispatch environment).
    pub env: Vec<(String, String)>,
}

impl WasiGrants {
    /// A WASI context with virtual clocks, seeded generators, no network, no
    /// inherited env or stdio, and only the charm directory preopened read-only.
    pub fn build(&self) -> WasiCtx {
        let clock = VirtualClock::new(self.now_ns);
        let mut b = WasiCtxBuilder::new();
        b.wall_clock(clock.clone())
            .monotonic_clock(clock)
            .secure_random(StdRng::seed_from_u64(self.seed))
            .insecure_random(StdRng::seed_from_u64(self.seed ^ 0x9e37_79b9_7f4a_7c15))
            .insecure_random_seed(u128::from(self.seed))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        for (k, v) in &self.env {
            b.env(k, v);
        }
        if let Some((host, guest)) = &self.charm_dir
            && let Err(e) = b.preopened_dir(host, guest, wasmtime_wasi::FsPerms::ReadOnly)
        {
            tracing::warn!("cannot preopen {}: {e}", host.display());
        }
        b.build()
    }
}
