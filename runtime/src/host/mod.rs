//! The host side of the `juju:charm` world: the store's data and one thin
//! adapter per WIT interface. Adapters convert and forward to the
//! [`Backend`](crate::backend::Backend); no Juju or Pebble rule lives here.

pub mod clocks;
pub mod hook_tools;
pub mod jujuc;
pub mod kubernetes;
pub mod limits;
pub mod loopback;
pub mod machine;
pub mod pebble;
pub mod sandbox;

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::filesystem::WasiFilesystemView;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::backend::Backend;
use crate::limits::MAX_GUEST_RESOURCES;
use crate::limits::Meter;
use crate::sandbox::{DiskQuota, GuestFs, QuotaFs, UnitDirs, VirtualClock, WasiGrants};

pub use limits::MemoryLimiter;

/// Everything one dispatch's store holds. Its fields are the engine's and
/// the adapters' business only (`pub(crate)`); outside the crate a store's
/// data is opaque.
pub struct HostState {
    pub(crate) backend: Box<dyn Backend>,
    pub(crate) table: ResourceTable,
    pub(crate) limiter: MemoryLimiter,
    /// The message the guest reported before trapping (a panic).
    pub(crate) panic_message: Option<String>,
    /// Host work of this dispatch: fuel, I/O bytes, the deadline.
    pub(crate) meter: Arc<Meter>,
    /// The quota of the unit's writable directories.
    pub(crate) disk: Arc<DiskQuota>,
    /// Bytes the unit's writable directories may hold.
    unit_dir_limit: u64,
    grants: WasiGrants,
    /// Built on the first WASI call: guests without WASI never pay for it.
    wasi: Option<WasiCtx>,
    /// The unit's writable directories, made with the WASI context.
    unit_dirs: Option<UnitDirs>,
    /// The guest's virtual clock, made with the WASI context.
    clock: Option<VirtualClock>,
    /// The guest's directories as hook tools reach them, made on the first
    /// tool call that needs them.
    guest_fs: Option<GuestFs>,
}

impl HostState {
    /// The state of one dispatch: its backend, memory limiter, WASI grants,
    /// meter, and the limit of the unit's writable directories.
    pub fn new(
        backend: Box<dyn Backend>,
        limiter: MemoryLimiter,
        grants: WasiGrants,
        meter: Arc<Meter>,
        unit_dir_limit: u64,
    ) -> Self {
        let mut table = ResourceTable::new();
        table.set_max_capacity(MAX_GUEST_RESOURCES);
        HostState {
            backend,
            table,
            limiter,
            panic_message: None,
            disk: Arc::new(DiskQuota::new(meter.clone())),
            meter,
            unit_dir_limit,
            grants,
            wasi: None,
            unit_dirs: None,
            clock: None,
            guest_fs: None,
        }
    }
}

impl HostState {
    /// What the guest may see through WASI.
    pub fn grants(&self) -> &WasiGrants {
        &self.grants
    }

    /// The unit's writable directories, once the guest has used WASI.
    pub fn unit_dirs(&self) -> Option<&UnitDirs> {
        self.unit_dirs.as_ref()
    }

    /// The guest's files for hook tools (its writable directories and the
    /// charm directory, through capability handles), once the guest has
    /// used WASI; none before (a guest without WASI has no files).
    pub fn guest_fs(&mut self) -> Option<&GuestFs> {
        if self.guest_fs.is_none() {
            let dirs = self.unit_dirs.as_ref()?;
            self.guest_fs = Some(dirs.guest_fs(self.grants.charm_dir.as_ref()));
        }
        self.guest_fs.as_ref()
    }
}

impl HostState {
    /// The filesystem host with the quota (`wasi:filesystem/types`).
    pub fn quota_fs(&mut self) -> QuotaFs<'_> {
        let quota = self.disk.clone();
        QuotaFs {
            inner: self.filesystem(),
            quota,
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        let (grants, unit_dirs, clock) = (&self.grants, &mut self.unit_dirs, &mut self.clock);
        let (meter, disk, limit) = (&self.meter, &self.disk, self.unit_dir_limit);
        let ctx = self.wasi.get_or_insert_with(|| {
            let (ctx, dirs, virtual_clock) = grants.build_for_unit(Some(meter.clone()));
            if let Some(d) = &dirs {
                disk.mount(d.root(), limit);
            }
            *unit_dirs = dirs;
            *clock = Some(virtual_clock);
            ctx
        });
        WasiCtxView {
            ctx,
            table: &mut self.table,
        }
    }
}

/// The error a host call returns to stop the guest for `trip`.
pub(crate) fn stop(trip: crate::limits::Trip) -> wasmtime::Error {
    wasmtime::Error::new(crate::limits::Stopped(trip))
}

impl crate::bindings::types::Host for HostState {
    fn convert_hook_error(
        &mut self,
        err: crate::backend::ToolError,
    ) -> wasmtime::Result<crate::bindings::types::HookError> {
        match err {
            crate::backend::ToolError::Hook(e) => Ok(e),
            crate::backend::ToolError::Fatal(m) => Err(wasmtime::format_err!("{m}")),
        }
    }
}

impl crate::bindings::event::Host for HostState {
    /// The dispatch environment, metered like a sandbox call (the WASI
    /// environment's list, which the guest was granted anyway).
    fn environment(&mut self) -> wasmtime::Result<Vec<(String, String)>> {
        self.metered_environment()
    }
}

/// WASI's environment, answered from the grants' list (built on the first
/// read) rather than copied into every WASI context; metered like
/// `event.environment`. No arguments and no initial directory, as
/// wasmtime-wasi answers for a context given none.
impl wasmtime_wasi::p2::bindings::cli::environment::Host for HostState {
    fn get_environment(&mut self) -> wasmtime::Result<Vec<(String, String)>> {
        self.metered_environment()
    }

    fn get_arguments(&mut self) -> wasmtime::Result<Vec<String>> {
        Ok(Vec::new())
    }

    fn initial_cwd(&mut self) -> wasmtime::Result<Option<String>> {
        Ok(None)
    }
}

impl HostState {
    /// The dispatch environment, charged to the I/O budget by its bytes.
    fn metered_environment(&mut self) -> wasmtime::Result<Vec<(String, String)>> {
        let env = self.grants.env.list().clone();
        let bytes: u64 = env.iter().map(|(k, v)| (k.len() + v.len()) as u64).sum();
        self.sandbox_call(bytes)?;
        Ok(env.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::unit::UnitBackend;
    use crate::charm::CharmMeta;
    use crate::event::EventSpec;
    use crate::limits::{HostLimits, Stopped, Trip};
    use crate::state::State;
    use wasmtime_wasi::p2::bindings::cli::environment::Host as _;

    /// A guest asking WASI for its environment in a loop is stopped by the
    /// I/O budget, as with `event.environment`; the list is Juju's.
    #[test]
    fn wasi_environment_reads_are_charged_to_the_io_budget() {
        let meta = Arc::new(CharmMeta::parse("name: t\n", "t").expect("meta"));
        let state = State::default();
        let resolved = EventSpec::named("start")
            .resolve(&meta, &state)
            .expect("start");
        let backend = UnitBackend::new(meta, state, &resolved).expect("backend");
        let budget = HostLimits {
            io_bytes: 64 << 10,
            ..HostLimits::default()
        };
        let grants = WasiGrants {
            env: resolved.env.clone(),
            ..WasiGrants::default()
        };
        let meter = Arc::new(Meter::new(&budget));
        let limiter = limits::MemoryLimiter::new(1 << 20);
        let mut host = HostState::new(Box::new(backend), limiter, grants, meter, 0);
        assert_eq!(
            host.get_environment().expect("first read"),
            resolved.env.list().to_vec()
        );
        let mut reads = 1;
        let err = loop {
            match host.get_environment() {
                Ok(_) => reads += 1,
                Err(e) => break e,
            }
            assert!(reads < 10_000, "never stopped");
        };
        assert!(reads > 10, "stopped after {reads} reads");
        assert!(
            matches!(err.downcast_ref::<Stopped>(), Some(Stopped(Trip::Io(_)))),
            "{err:?}"
        );
    }
}
