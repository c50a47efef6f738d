//! The world check of a loaded component: wasmtime matches a component's
//! imports against the host when it is loaded, but its exports only when
//! an instance looks them up, so a component of another `juju:charm`
//! world (a `handler.dispatch` of another type) would load and then fail
//! every event. Loading therefore makes one instance against a backend
//! that answers nothing and looks the exports up with the host's types.

use super::dispatch::new_store;
use super::{CharmComponent, DispatchOptions, Runtime};
use crate::backend::kubernetes::{KubernetesBackend, KubernetesResult};
use crate::backend::loopback::{LoopbackBackend, LoopbackCall, LoopbackResult};
use crate::backend::machine::{MachineBackend, MachineResult};
use crate::backend::pebble::{PebbleBackend, PebbleCall, PebbleResult};
use crate::backend::{Backend, HookCall, HookReply, HookTools, SandboxBackend, ToolError};
use crate::bindings::Charm;

/// Answers no call: a component's start functions (if any) run against it.
struct NoBackend;

const REFUSED: &str = "no host calls while a component is checked";

impl HookTools for NoBackend {
    fn call(&mut self, _call: HookCall) -> Result<HookReply, ToolError> {
        Err(ToolError::Fatal(REFUSED.into()))
    }
}

impl PebbleBackend for NoBackend {
    fn pebble(&mut self, _container: &str, _call: PebbleCall) -> PebbleResult {
        Err(REFUSED.into())
    }
}

impl MachineBackend for NoBackend {
    fn run_command(&mut self, _argv: &[String], _stdin: &[u8]) -> MachineResult {
        Err(REFUSED.into())
    }
}

impl LoopbackBackend for NoBackend {
    fn loopback(&mut self, _port: u16, _call: &LoopbackCall) -> LoopbackResult {
        Err(REFUSED.into())
    }
}

impl KubernetesBackend for NoBackend {
    fn statefulset_partition(&mut self) -> KubernetesResult {
        Err(REFUSED.into())
    }

    fn set_statefulset_partition(&mut self, _partition: u32) -> KubernetesResult {
        Err(REFUSED.into())
    }
}

impl SandboxBackend for NoBackend {
    fn now(&mut self) -> u64 {
        0
    }
    fn monotonic(&mut self) -> u64 {
        0
    }
    fn random_bytes(&mut self, len: u32) -> Vec<u8> {
        vec![0; len as usize]
    }
    fn sleep(&mut self, _ns: u64) -> u64 {
        0
    }
}

impl Backend for NoBackend {
    fn finish(&mut self, _success: bool) -> Result<(), String> {
        Ok(())
    }
}

/// Why a component's exports do not fit this host.
#[derive(Debug)]
pub struct WorldMismatch(pub String);

impl CharmComponent {
    /// Check that the component's exports have the types of the host's
    /// `juju:charm` world. An instance that cannot be made at all (a start
    /// function that traps, memory over the limit) is not judged here: an
    /// event reports that as its failure, as it would without this check.
    pub(super) fn check_world(&self, rt: &Runtime) -> Result<(), WorldMismatch> {
        let mut store = new_store(rt, NoBackend, &DispatchOptions::default());
        if store.set_fuel(rt.config.fuel_per_event).is_err() {
            return Ok(());
        }
        let Ok(instance) = self.pre.instance_pre().instantiate(&mut store) else {
            return Ok(());
        };
        match Charm::new(&mut store, &instance) {
            Ok(_) => Ok(()),
            Err(e) => Err(WorldMismatch(format!("{e:#}"))),
        }
    }
}
