//! Determinism: virtual clocks and seeded randomness for WASI guests, and the
//! time helpers the backends share. Nothing here reads the host's clock or
//! entropy.

use std::sync::Arc;
use std::time::UNIX_EPOCH;

use rand::SeedableRng;
use rand::rngs::StdRng;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder};

use crate::limits::MAX_RANDOM_BYTES;
use crate::limits::Meter;

mod clock;
mod disk_quota;
mod guest_env;
mod guest_fs;
mod machine_dirs;
mod unit_dir;
pub use clock::{MAX_SLEPT_NS, SleepDeadline, VirtualClock};
pub use disk_quota::{DiskQuota, QuotaFs, QuotaFsData};
pub use guest_env::{EnvList, GuestEnv};
pub use guest_fs::{FileError, GuestFs, MAX_TOOL_FILE_BYTES};
pub use machine_dirs::MachineDirs;
pub(crate) use unit_dir::private_dir_in;
pub use unit_dir::{GUEST_STATE_DIR, GUEST_TMP_DIR, UnitDirs};

/// Nanoseconds since the Unix epoch of an RFC 3339 time.
pub fn parse_rfc3339_ns(text: &str) -> Option<u64> {
    let t = humantime::parse_rfc3339_weak(text).ok()?;
    u64::try_from(t.duration_since(UNIX_EPOCH).ok()?.as_nanos()).ok()
}

/// What a WASI guest read from its clocks and generators, told to whoever
/// records the dispatch (the trace recorder), in the order it happened.
pub trait WasiTap: Send + Sync {
    /// A wall-clock (`monotonic` false) or monotonic read, in nanoseconds.
    fn clock(&self, monotonic: bool, ns: u64);
    /// Bytes drawn from the secure (`insecure` false) or insecure generator.
    fn random(&self, insecure: bool, bytes: &[u8]);
}

/// A seeded generator whose draws are told to a tap and charged to the
/// dispatch's meter.
struct TappedRng {
    rng: StdRng,
    insecure: bool,
    tap: Option<Arc<dyn WasiTap>>,
    meter: Option<Arc<Meter>>,
}

impl TappedRng {
    fn new(seed: u64, insecure: bool, tap: Option<Arc<dyn WasiTap>>) -> Self {
        TappedRng {
            rng: StdRng::seed_from_u64(seed),
            insecure,
            tap,
            meter: None,
        }
    }

    fn metered(mut self, meter: Option<Arc<Meter>>) -> Self {
        self.meter = meter;
        self
    }

    fn told(&self, bytes: &[u8]) {
        if let Some(m) = &self.meter {
            m.wasi_io(bytes.len() as u64);
        }
        if let Some(t) = &self.tap {
            t.random(self.insecure, bytes);
        }
    }
}

impl rand::TryRng for TappedRng {
    type Error = std::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let v = rand::Rng::next_u32(&mut self.rng);
        self.told(&v.to_le_bytes());
        Ok(v)
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let v = rand::Rng::next_u64(&mut self.rng);
        self.told(&v.to_le_bytes());
        Ok(v)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        rand::Rng::fill_bytes(&mut self.rng, dst);
        self.told(dst);
        Ok(())
    }
}

/// What a WASI guest may see, and nothing more.
#[derive(Clone, Default)]
pub struct WasiGrants {
    /// Virtual time at the start of the event.
    pub now_ns: u64,
    pub seed: u64,
    /// Host directory shown read-only to the guest, with its guest path.
    pub charm_dir: Option<(std::path::PathBuf, String)>,
    /// Environment variables (the dispatch environment), built when the
    /// guest first asks: served by the host's `wasi:cli/environment`
    /// (`host/mod.rs`), not copied into the WASI context.
    pub env: GuestEnv,
    /// Told of every clock and random read (when the dispatch is recorded).
    pub tap: Option<Arc<dyn WasiTap>>,
    /// The unit's writable directories (state dir, /tmp) on the host, kept
    /// across events; none: a scratch directory for the dispatch (UnitDirs).
    pub unit_dir: Option<std::path::PathBuf>,
    /// The charm's machine directories on a simulated machine, laid out
    /// under the unit's directory from the State's files.
    pub machine: Option<Arc<MachineDirs>>,
    /// Real host directories shown read-write at their guest paths (the
    /// machine directories a pack grants, under a unit agent).
    pub host_dirs: Vec<(std::path::PathBuf, String)>,
}

impl std::fmt::Debug for WasiGrants {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasiGrants")
            .field("now_ns", &self.now_ns)
            .field("seed", &self.seed)
            .field("charm_dir", &self.charm_dir)
            .field("env_built", &self.env.is_built())
            .field("tapped", &self.tap.is_some())
            .field("unit_dir", &self.unit_dir)
            .field("machine", &self.machine.as_ref().map(|m| &m.dirs))
            .field("host_dirs", &self.host_dirs)
            .finish()
    }
}

impl WasiGrants {
    /// A WASI context with virtual clocks, seeded generators, no network, no
    /// inherited env or stdio, and only the charm directory preopened read-only.
    pub fn build(&self) -> WasiCtx {
        self.build_with(false, None).0
    }

    /// [`Self::build`], plus the unit's writable directories (UnitDirs): the
    /// store keeps them while the guest runs. Random draws are charged to
    /// `meter`.
    pub fn build_for_unit(
        &self,
        meter: Option<Arc<Meter>>,
    ) -> (WasiCtx, Option<UnitDirs>, VirtualClock) {
        self.build_with(true, meter)
    }

    fn build_with(
        &self,
        unit_dirs: bool,
        meter: Option<Arc<Meter>>,
    ) -> (WasiCtx, Option<UnitDirs>, VirtualClock) {
        let clock = VirtualClock::new(self.now_ns)
            .tapped(self.tap.clone())
            .metered(meter.clone());
        let mut b = WasiCtxBuilder::new();
        b.wall_clock(clock.clone())
            .monotonic_clock(clock.clone())
            .secure_random(
                TappedRng::new(self.seed, false, self.tap.clone()).metered(meter.clone()),
            )
            .insecure_random(
                TappedRng::new(self.seed ^ 0x9e37_79b9_7f4a_7c15, true, self.tap.clone())
                    .metered(meter),
            )
            .max_random_size(MAX_RANDOM_BYTES)
            .insecure_random_seed(u128::from(self.seed))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            // Filesystem calls run on the guest's thread, not hopping to a
            // blocking pool (a Python event makes hundreds of them).
            .allow_blocking_current_thread(true);
        if let Some((host, guest)) = &self.charm_dir
            && let Err(e) = b.preopened_dir(host, guest, wasmtime_wasi::FsPerms::ReadOnly)
        {
            tracing::warn!("cannot preopen {}: {e}", host.display());
        }
        for (host, guest) in &self.host_dirs {
            if let Err(e) = b.preopened_dir(host, guest, wasmtime_wasi::FsPerms::ReadWrite) {
                tracing::warn!("cannot preopen {}: {e}", host.display());
            }
        }
        let dirs = if unit_dirs {
            unit_dir::mount(&mut b, self.unit_dir.as_deref(), self.machine.as_ref())
        } else {
            None
        };
        (b.build(), dirs, clock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::Duration;
    use wasmtime_wasi::{HostMonotonicClock, HostWallClock};

    #[derive(Default)]
    struct Log(Mutex<Vec<String>>);

    impl WasiTap for Log {
        fn clock(&self, monotonic: bool, ns: u64) {
            self.0
                .lock()
                .unwrap()
                .push(format!("clock {monotonic} {ns}"));
        }
        fn random(&self, insecure: bool, bytes: &[u8]) {
            self.0
                .lock()
                .unwrap()
                .push(format!("random {insecure} {bytes:?}"));
        }
    }

    #[test]
    fn reads_are_virtual_repeatable_and_told_to_the_tap() {
        let log = Arc::new(Log::default());
        let tap: Arc<dyn WasiTap> = log.clone();
        let clock = VirtualClock::new(5_000).tapped(Some(tap.clone()));
        assert_eq!(HostWallClock::now(&clock), Duration::from_nanos(6_000));
        assert_eq!(HostMonotonicClock::now(&clock), 2_000);
        let mut a = TappedRng::new(7, false, Some(tap));
        let mut b = TappedRng::new(7, false, None);
        let (x, y) = (rand::Rng::next_u64(&mut a), rand::Rng::next_u64(&mut b));
        assert_eq!(x, y, "same seed, same numbers");
        let seen = log.0.lock().unwrap().clone();
        assert_eq!(
            seen,
            vec![
                "clock false 6000".to_string(),
                "clock true 2000".into(),
                format!("random false {:?}", x.to_le_bytes())
            ]
        );
    }
}
