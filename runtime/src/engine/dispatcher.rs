//! What runs one event against a backend, whatever the charm is: a
//! component in a runtime ([`InRuntime`]), or a process (the native
//! charms of `crate::native`). The State, the backend and the trace around
//! an event are the same for both.

use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use super::{Charm, DispatchOptions, DispatchStats, Outcome, Runtime};
use crate::backend::Backend;
use crate::bindings::event::Event;
use crate::charm::CharmMeta;
use crate::sandbox::WasiGrants;

/// What a native hook's process wrote, up to the bound.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HookOutput {
    pub stdout: String,
    pub stderr: String,
    /// Bytes past the bound, dropped.
    #[serde(skip_serializing_if = "is_zero")]
    pub dropped: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One dispatch's end: the backend back, the outcome, and what the hook
/// wrote (native hooks).
pub struct Dispatched<B> {
    pub backend: B,
    pub outcome: Outcome,
    pub stats: DispatchStats,
    pub output: Option<HookOutput>,
}

/// What runs a charm's event against a backend: its component in a
/// runtime ([`InRuntime`]) or its process ([`NativeCharm`]). Everything
/// else about an event — the State, the backend, the trace — is the same.
pub trait Dispatcher {
    /// The charm's metadata.
    fn meta(&self) -> &Arc<CharmMeta>;
    /// The charm's directory on the host.
    fn dir(&self) -> &Path;
    /// Whether the charm's WASI clock and random reads are in its calls
    /// (a process reads them from the kernel, unrecorded).
    fn records_wasi(&self) -> bool;
    /// Run `event` against `backend`, then commit or roll back.
    fn dispatch<B: Backend>(
        &self,
        backend: B,
        event: &Event,
        grants: WasiGrants,
        fuel: Option<u64>,
    ) -> Dispatched<B>;
}

/// A component charm in the runtime that runs it.
pub struct InRuntime<'a> {
    pub rt: &'a Runtime,
    pub charm: &'a Charm,
}

impl Dispatcher for InRuntime<'_> {
    fn meta(&self) -> &Arc<CharmMeta> {
        &self.charm.meta
    }

    fn dir(&self) -> &Path {
        &self.charm.dir
    }

    fn records_wasi(&self) -> bool {
        true
    }

    fn dispatch<B: Backend>(
        &self,
        backend: B,
        event: &Event,
        grants: WasiGrants,
        fuel: Option<u64>,
    ) -> Dispatched<B> {
        let opts = DispatchOptions { grants, fuel };
        let (backend, outcome, stats) = self
            .charm
            .component
            .dispatch(self.rt, backend, event, &opts);
        Dispatched {
            backend,
            outcome,
            stats,
            output: None,
        }
    }
}
