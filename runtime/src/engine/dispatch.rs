//! One event into a fresh instance: bounded by fuel and memory, ending in an
//! [`Outcome`], with the backend's buffered effects committed only on success.

use std::any::Any;

use serde::{Deserialize, Serialize};
use wasmtime::{Store, Trap};

use super::{CharmComponent, Runtime};
use crate::backend::Backend;
use crate::bindings::event::Event;
use crate::host::{HostState, MemoryLimiter};
use crate::sandbox::WasiGrants;

/// Per-dispatch settings beyond the runtime's.
#[derive(Debug, Clone, Default)]
pub struct DispatchOptions {
    /// What a WASI guest may see (clock start, seed, charm dir, env).
    pub grants: WasiGrants,
    /// Overrides the runtime's fuel per event.
    pub fuel: Option<u64>,
}

/// Why a hook failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "message", rename_all = "kebab-case")]
pub enum Failure {
    /// The handler returned an error.
    CharmError(String),
    /// The guest panicked (message reported through `sandbox.report-panic`).
    Panic(String),
    /// The guest burned its fuel (an endless loop, or too much work).
    OutOfFuel(String),
    /// The guest grew its memory past the limit.
    OutOfMemory(String),
    /// Any other trap.
    Trap(String),
    /// The hook succeeded but its changes could not be committed.
    CommitFailed(String),
}

/// How a dispatch ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    Ok,
    Failed { failure: Failure },
}

impl Outcome {
    pub fn is_ok(&self) -> bool {
        matches!(self, Outcome::Ok)
    }

    /// A one-line description, as `juju debug-log` would want it.
    pub fn describe(&self) -> String {
        match self {
            Outcome::Ok => "ok".into(),
            Outcome::Failed { failure } => match failure {
                Failure::CharmError(m) => format!("hook failed: {m}"),
                Failure::Panic(m) => format!("hook failed: charm panicked: {m}"),
                Failure::OutOfFuel(m) => format!("hook failed: {m}"),
                Failure::OutOfMemory(m) => format!("hook failed: {m}"),
                Failure::Trap(m) => format!("hook failed: guest trapped: {m}"),
                Failure::CommitFailed(m) => {
                    format!("hook failed: committing requested changes failed: {m}")
                }
            },
        }
    }
}

/// Facts about a dispatch, for reports and benchmarks.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DispatchStats {
    pub fuel_used: u64,
}

impl CharmComponent {
    /// Run `event` in a fresh instance against `backend`, then commit or
    /// roll back. The backend comes back with the output.
    pub fn dispatch<B: Backend>(
        &self,
        rt: &Runtime,
        backend: B,
        event: &Event,
        opts: &DispatchOptions,
    ) -> (B, Outcome, DispatchStats) {
        let fuel = opts.fuel.unwrap_or(rt.config.fuel_per_event);
        let mut store = new_store(rt, backend, opts);
        let result = store.set_fuel(fuel).and_then(|()| {
            let charm = self.pre.instantiate(&mut store)?;
            charm.juju_charm_handler().call_dispatch(&mut store, event)
        });
        let left = store.get_fuel().unwrap_or(0);
        let stats = DispatchStats {
            fuel_used: fuel.saturating_sub(left),
        };
        let mut outcome = match result {
            Ok(Ok(())) => Outcome::Ok,
            Ok(Err(message)) => Outcome::Failed {
                failure: Failure::CharmError(message),
            },
            Err(e) => Outcome::Failed {
                failure: classify(&e, store.data(), fuel),
            },
        };
        let mut host = store.into_data();
        if let Err(m) = host.backend.finish(outcome.is_ok()) {
            outcome = Outcome::Failed {
                failure: Failure::CommitFailed(m),
            };
        }
        let any: Box<dyn Any> = host.backend;
        let backend = *any
            .downcast::<B>()
            .expect("the store holds the backend it was given");
        (backend, outcome, stats)
    }

    /// Make a fresh instance against `backend` and drop it, running no
    /// event: what the sandbox itself costs each event (the store, the
    /// pooled instantiation with its initial memory, the slot's reset), for
    /// benchmarks to set against a whole dispatch.
    pub fn instantiate_only<B: Backend>(
        &self,
        rt: &Runtime,
        backend: B,
        opts: &DispatchOptions,
    ) -> Result<(), String> {
        let fuel = opts.fuel.unwrap_or(rt.config.fuel_per_event);
        let mut store = new_store(rt, backend, opts);
        store
            .set_fuel(fuel)
            .and_then(|()| self.pre.instantiate(&mut store).map(drop))
            .map_err(|e| root_message(&e))
    }
}

/// A store for one event: the backend, the memory limiter, the WASI grants.
pub(super) fn new_store<B: Backend>(
    rt: &Runtime,
    backend: B,
    opts: &DispatchOptions,
) -> Store<HostState> {
    let limiter = MemoryLimiter::new(rt.config.max_memory);
    let mut store = Store::new(
        &rt.engine,
        HostState::new(Box::new(backend), limiter, opts.grants.clone()),
    );
    store.limiter(|s| &mut s.limiter);
    store
}

fn classify(e: &wasmtime::Error, host: &HostState, fuel: u64) -> Failure {
    if let Some(m) = &host.panic_message {
        return Failure::Panic(m.clone());
    }
    if let Some(asked) = host.limiter.exceeded {
        return Failure::OutOfMemory(format!(
            "out of memory: the charm asked for {asked} bytes of linear memory, the limit is {} bytes",
            host.limiter.max_memory
        ));
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => Failure::OutOfFuel(format!(
            "out of fuel: the charm used all {fuel} units of its fuel for one event"
        )),
        Some(t) => Failure::Trap(format!("{t}: {}", root_message(e))),
        None => Failure::Trap(root_message(e)),
    }
}

fn root_message(e: &wasmtime::Error) -> String {
    format!("{e:#}")
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}
