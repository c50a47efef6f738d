//! The wasmtime side: one engine configured for a deterministic sandbox,
//! components loaded (and precompiled on disk), and dispatch of one event
//! into a fresh instance.

mod cache;
mod charm;
mod dispatch;
mod dispatcher;
mod grants;
mod precompiled;
mod reason;
mod ticker;

use std::path::{Path, PathBuf};

use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::bindings::{Charm as CharmWorld, CharmPre};
use crate::host::HostState;

pub use crate::limits::meter::{Meter, Stopped, Trip, host_step};
pub use cache::content_hash;
pub use charm::{Charm, CharmError};
pub use dispatch::{DispatchOptions, DispatchStats, Failure, Outcome};
pub use dispatcher::{Dispatched, Dispatcher, HookOutput, InRuntime};
pub use grants::wasi_grants;
pub use precompiled::{PrecompileError, host_triple, triple_for};
pub use reason::{MAX_FAILURE_MESSAGE, describe};
pub use ticker::EPOCH_TICK;

use crate::limits::HostLimits;
use crate::sandbox::QuotaFsData;

/// How guests are bounded and where compiled code is cached.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Fuel (roughly, wasm instructions) one event may burn.
    pub fuel_per_event: u64,
    /// Largest linear memory of one guest, in bytes.
    pub max_memory: usize,
    /// Where precompiled components are kept; none disables the cache.
    pub cache_dir: Option<PathBuf>,
    /// Reuse pre-reserved instance slots (fast instantiation); `None` maps
    /// fresh memory for every instance.
    pub pool_slots: Option<u32>,
    /// The host-side bounds of each dispatch (deadline, I/O, logs, data,
    /// Pebble filesystems, unit directories).
    pub limits: HostLimits,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            fuel_per_event: 2_000_000_000,
            max_memory: 256 << 20,
            cache_dir: default_cache_dir(),
            pool_slots: Some(16),
            limits: HostLimits::default(),
        }
    }
}

/// `$CHARMBOX_CACHE_DIR`, else `$XDG_CACHE_HOME/charmbox`, else `~/.cache/charmbox`.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("CHARMBOX_CACHE_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return Some(PathBuf::from(d).join("charmbox"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/charmbox"))
}

/// The largest memory limit a guest can be given, in MiB: wasm32's whole
/// 4 GiB address space.
pub const MAX_MEMORY_MIB: u64 = 4096;

/// The largest component file `charmbox` reads (a Python charm is tens of
/// MiB).
pub const MAX_COMPONENT_BYTES: u64 = 1 << 30;

/// A component that could not be loaded as a charm.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read component {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a valid WebAssembly component: {message}")]
    Invalid { path: String, message: String },
    #[error("{path} is not a juju:charm component: {message}")]
    NotACharm { path: String, message: String },
    #[error(
        "{path} is a component of another world: its exports do not have the types of the juju:charm world this charmbox runs ({message})"
    )]
    OtherWorld { path: String, message: String },
}

/// Read a component file of at most [`MAX_COMPONENT_BYTES`].
fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_COMPONENT_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_COMPONENT_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {} MiB, the most a component may be",
            MAX_COMPONENT_BYTES >> 20
        )));
    }
    Ok(bytes)
}

/// A component file not named `.wat` must be a WebAssembly binary:
/// wasmtime would otherwise try to read any bytes as WebAssembly text.
fn check_binary(bytes: &[u8], origin: &str) -> Result<(), LoadError> {
    let message = if bytes.is_empty() {
        "the file is empty"
    } else if !bytes.starts_with(b"\0asm") {
        "it is not a WebAssembly binary (no \\0asm header; WebAssembly text is read only from .wat files)"
    } else {
        return Ok(());
    };
    Err(LoadError::Invalid {
        path: origin.into(),
        message: message.into(),
    })
}

/// How much of a linear memory a pool slot keeps mapped between events.
/// With PAGEMAP_SCAN only the pages the slot's instances have written are
/// restored from the image, so a large budget costs nothing to a small
/// guest; without it the first bytes are reset whether written or not, and a
/// small budget keeps small charms fast.
fn keep_resident() -> usize {
    if PoolingAllocationConfig::is_pagemap_scan_available() {
        64 << 20
    } else {
        512 << 10
    }
}

/// How pooled memories are reset between events, for benchmark reports.
pub fn memory_reset() -> String {
    let how = if PoolingAllocationConfig::is_pagemap_scan_available() {
        "copy-on-write image; the pages the slot has written are restored from it (PAGEMAP_SCAN)"
    } else {
        "copy-on-write image, madvise (no PAGEMAP_SCAN on this kernel)"
    };
    format!("{how}, up to {} KiB kept resident", keep_resident() >> 10)
}

/// The engine's settings for `config`. A component precompiled for a
/// packed charm is compiled with these too (plus its target), so that the
/// packed host's engine, built from the same function, accepts it.
fn engine_config(config: &RuntimeConfig) -> Config {
    let deadline = !config.limits.deadline.is_zero();
    let mut c = Config::new();
    c.consume_fuel(true)
        .epoch_interruption(deadline)
        .wasm_component_model(true);
    #[cfg(feature = "compiler")]
    c.cranelift_nan_canonicalization(true)
        .parallel_compilation(true);
    if let Some(slots) = config.pool_slots {
        // The initial memory is mapped copy-on-write from the snapshot image
        // and stays mapped in its slot: with PAGEMAP_SCAN the reset after
        // an event copies back from the image only the pages the slot's
        // instances have written (wasmtime patched to find all of them,
        // vendor/wasmtime; without userfaultfd the kernel reports every
        // private page as written, so a page stays in that set once an
        // instance wrote it), so the next event in the slot takes no page
        // faults on them and nothing is copied in at instantiation.
        c.memory_init_cow(true);
        let mut pool = PoolingAllocationConfig::new();
        pool.total_component_instances(slots)
            .total_core_instances(slots * 16)
            .max_memories_per_component(8)
            .total_memories(slots * 8)
            .total_tables(slots * 8)
            .total_stacks(slots)
            .max_memory_size(config.max_memory)
            // Where the kernel can tell (Linux >= 6.7, PAGEMAP_SCAN),
            // only the pages the slot has written are reset, and they stay
            // mapped.
            .pagemap_scan(wasmtime::Enabled::Auto)
            .linear_memory_keep_resident(keep_resident())
            .table_keep_resident(1 << 16);
        c.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    c
}

/// The engine and linker shared by every charm and event.
pub struct Runtime {
    engine: Engine,
    linker: Linker<HostState>,
    config: RuntimeConfig,
    /// Moves the engine's epoch for deadlines; none without a deadline.
    ticker: Option<ticker::Ticker>,
}

/// A charm component ready to instantiate.
pub struct CharmComponent {
    pre: CharmPre<HostState>,
    /// The handler's `dispatch`, type-checked once by [`CharmComponent::new`].
    dispatch_export: wasmtime::component::ComponentExportIndex,
    /// sha256 of the component bytes.
    pub hash: String,
}

impl Runtime {
    /// An engine with fuel, canonical NaNs and no ambient capabilities;
    /// with a deadline, epoch interruption and a thread moving the epoch.
    pub fn new(config: RuntimeConfig) -> anyhow::Result<Runtime> {
        let deadline = !config.limits.deadline.is_zero();
        let c = engine_config(&config);
        let engine = Engine::new(&c)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        // The filesystem again, through the unit directories' quota.
        linker.allow_shadowing(true);
        wasmtime_wasi::p2::bindings::sync::filesystem::types::add_to_linker::<
            HostState,
            QuotaFsData,
        >(&mut linker, |s| s.quota_fs())?;
        // The monotonic clock again, so that sleeping moves virtual time.
        wasmtime_wasi::p2::bindings::clocks::monotonic_clock::add_to_linker::<
            HostState,
            crate::host::clocks::SleepClockData,
        >(&mut linker, |s| s.sleep_clock())?;
        // The environment again, from the event's list built on first read.
        wasmtime_wasi::p2::bindings::cli::environment::add_to_linker::<
            HostState,
            HasSelf<HostState>,
        >(&mut linker, |s| s)?;
        linker.allow_shadowing(false);
        CharmWorld::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)?;
        let ticker = deadline.then(|| ticker::Ticker::start(&engine));
        Ok(Runtime {
            engine,
            linker,
            config,
            ticker,
        })
    }

    pub fn config(&self) -> &RuntimeConfig {
        &self.config
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Load a component file, from the precompiled cache when possible: a
    /// binary component, or WebAssembly text from a `.wat` file.
    pub fn load(&self, path: &Path) -> Result<CharmComponent, LoadError> {
        let shown = path.display().to_string();
        let bytes = read_bounded(path).map_err(|source| LoadError::Read {
            path: shown.clone(),
            source,
        })?;
        let text = path.extension().is_some_and(|e| e == "wat");
        if !text {
            check_binary(&bytes, &shown)?;
        }
        self.load_bytes(&bytes, &shown)
    }

    /// Load a component from bytes (binary, or WebAssembly text); `origin`
    /// names it in errors.
    pub fn load_bytes(&self, bytes: &[u8], origin: &str) -> Result<CharmComponent, LoadError> {
        let hash = cache::content_hash(bytes);
        let component =
            cache::compile_cached(self, bytes, &hash).map_err(|e| LoadError::Invalid {
                path: origin.into(),
                message: format!("{e:#}"),
            })?;
        let not_charm = |e: wasmtime::Error| LoadError::NotACharm {
            path: origin.into(),
            message: format!("{e:#}"),
        };
        let pre = self.linker.instantiate_pre(&component).map_err(not_charm)?;
        CharmComponent::new(pre, hash, origin)
    }

    #[cfg(feature = "compiler")]
    fn compile(&self, bytes: &[u8]) -> wasmtime::Result<Component> {
        Component::new(&self.engine, bytes)
    }

    #[cfg(not(feature = "compiler"))]
    fn compile(&self, _bytes: &[u8]) -> wasmtime::Result<Component> {
        Err(wasmtime::format_err!("{NO_COMPILER}"))
    }
}

/// Whether this build can compile components (the `compiler` feature).
pub const HAS_COMPILER: bool = cfg!(feature = "compiler");

/// Why a host built without the compiler refuses WebAssembly.
pub const NO_COMPILER: &str = "this charmbox host has no compiler (a packed charm's host runs precompiled components only): pack the charm with `charmbox pack`";
