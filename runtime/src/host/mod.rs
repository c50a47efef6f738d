//! The host side of the `juju:charm` world: the store's data and one thin
//! adapter per WIT interface. Adapters convert and forward to the
//! [`Backend`](crate::backend::Backend); no Juju or Pebble rule lives here.

pub mod hook_tools;
pub mod jujuc;
pub mod limits;
pub mod pebble;
pub mod sandbox;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::backend::Backend;
use crate::sandbox::{GuestFs, UnitDirs, WasiGrants};

pub use limits::MemoryLimiter;

/// Everything one dispatch's store holds.
pub struct HostState {
    pub backend: Box<dyn Backend>,
    pub table: ResourceTable,
    pub limiter: MemoryLimiter,
    /// The message the guest reported before trapping (a panic).
    pub panic_message: Option<String>,
    grants: WasiGrants,
    /// Built on the first WASI call: guests without WASI never pay for it.
    wasi: Option<WasiCtx>,
    /// The unit's writable directories, made with the WASI context.
    unit_dirs: Option<UnitDirs>,
    /// The guest's directories as hook tools reach them, made on the first
    /// tool call that needs them.
    guest_fs: Option<GuestFs>,
}

impl HostState {
    pub fn new(backend: Box<dyn Backend>, limiter: MemoryLimiter, grants: WasiGrants) -> Self {
        HostState {
            backend,
            table: ResourceTable::new(),
            limiter,
            panic_message: None,
            grants,
            wasi: None,
            unit_dirs: None,
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

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        let (grants, unit_dirs) = (&self.grants, &mut self.unit_dirs);
        let ctx = self.wasi.get_or_insert_with(|| {
            let (ctx, dirs) = grants.build_for_unit();
            *unit_dirs = dirs;
            ctx
        });
        WasiCtxView {
            ctx,
            table: &mut self.table,
        }
    }
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

impl crate::bindings::event::Host for HostState {}
