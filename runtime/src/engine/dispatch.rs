//! One event into a fresh instance: bounded by fuel and memory, ending in an
//! [`Outcome`], with the backend's buffered effects committed only on success.

use std::any::Any;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{InstancePre, TypedFunc};
use wasmtime::{CallHook, Store, Trap, UpdateDeadline};

use super::reason::{bounded, describe};
use super::{CharmComponent, LoadError, Runtime};
use crate::backend::Backend;
use crate::bindings::event::Event;
use crate::bindings::{CharmPre, HANDLER};
use crate::host::{HostState, MemoryLimiter};
use crate::limits::meter::{Current, Meter, Stopped, Trip};
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
    /// The event ran past its wall-clock deadline (the one outcome that
    /// depends on the machine, not only on the inputs).
    DeadlineExceeded(String),
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
                Failure::DeadlineExceeded(m) => format!("hook failed: {m}"),
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
    /// Fuel used, the host's work on the guest's calls included.
    pub fuel_used: u64,
    /// Of which charged for the host's work.
    pub host_fuel: u64,
    /// Bytes passed through host calls.
    pub io_bytes: u64,
}

/// The parameters of the handler's `dispatch: func(event: event) -> result<_, string>`.
type DispatchParams<'a> = (&'a Event,);
/// Its results.
type DispatchResults = (Result<(), String>,);
/// The handler's `dispatch`, typed.
type DispatchFunc<'a> = TypedFunc<DispatchParams<'a>, DispatchResults>;

impl CharmComponent {
    /// Find the export each event calls, the handler's `dispatch`, and
    /// type-check it once: the same check the bindings' `instantiate` would
    /// make for every instance (against `pre`'s instance type, which every
    /// instance of `pre` shares).
    pub(super) fn new(
        pre: InstancePre<HostState>,
        hash: String,
        origin: &str,
    ) -> Result<CharmComponent, LoadError> {
        let not_charm = |message: String| LoadError::NotACharm {
            path: origin.into(),
            message,
        };
        let component = pre.component();
        let iface = component
            .get_export_index(None, HANDLER)
            .ok_or_else(|| not_charm(format!("no exported instance named `{HANDLER}`")))?;
        let dispatch_export = match component.get_export(Some(&iface), "dispatch") {
            Some((ComponentItem::ComponentFunc(func), index)) => {
                func.typecheck::<DispatchParams, DispatchResults>(&pre.instance_type())
                    .map_err(|e| LoadError::OtherWorld {
                        path: origin.into(),
                        message: format!("type-checking export func `dispatch`: {e:#}"),
                    })?;
                index
            }
            Some(_) => return Err(not_charm("export `dispatch` is not a function".into())),
            None => {
                return Err(not_charm(format!(
                    "instance export `{HANDLER}` does not have export `dispatch`"
                )));
            }
        };
        let pre = CharmPre::new(pre).map_err(|e| not_charm(format!("{e:#}")))?;
        Ok(CharmComponent {
            pre,
            dispatch_export,
            hash,
        })
    }

    /// A fresh instance's `dispatch`, without the bindings' type check of
    /// every instance: [`CharmComponent::new`] made it once.
    fn instantiate_handler(
        &self,
        store: &mut Store<HostState>,
    ) -> wasmtime::Result<DispatchFunc<'_>> {
        let instance = self.pre.instance_pre().instantiate(&mut *store)?;
        let func = instance
            .get_func(&mut *store, self.dispatch_export)
            .ok_or_else(|| wasmtime::format_err!("the instance has no `dispatch` export"))?;
        // SAFETY: `CharmComponent::new` type-checked this export against
        // exactly this signature and `pre`'s instance type, which is what
        // `new_unchecked` asks.
        Ok(unsafe { TypedFunc::new_unchecked(func) })
    }

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
        let current = Current::install(store.data().meter.clone());
        store.data().meter.started_with(fuel);
        let result = store.set_fuel(fuel).and_then(|()| {
            let dispatch = self.instantiate_handler(&mut store)?;
            dispatch.call(&mut store, (event,)).map(|(r,)| r)
        });
        drop(current);
        let left = store.get_fuel().unwrap_or(0);
        let meter = store.data().meter.clone();
        let stats = DispatchStats {
            fuel_used: fuel.saturating_sub(left),
            host_fuel: meter.host_fuel(),
            io_bytes: meter.io_bytes(),
        };
        let mut outcome = match result {
            Ok(Ok(())) => Outcome::Ok,
            Ok(Err(message)) => Outcome::Failed {
                failure: Failure::CharmError(noted(message, &meter)),
            },
            Err(e) => Outcome::Failed {
                failure: classify(&e, store.data(), fuel),
            },
        };
        let mut host = store.into_data();
        // The machine directories' files stand whatever the outcome.
        match host.unit_dirs().and_then(|d| d.machine_files()) {
            Some(Ok(files)) => host.backend.keep_files(files),
            Some(Err(m)) if outcome.is_ok() => {
                outcome = Outcome::Failed {
                    failure: Failure::CommitFailed(format!("the machine directories: {m}")),
                };
            }
            _ => {}
        }
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
            .and_then(|()| self.instantiate_handler(&mut store).map(drop))
            .map_err(|e| describe(&e))
    }
}

/// A store for one event: the backend (told the runtime's limits), the
/// memory limiter, the WASI grants, the meter of host work (paid from the
/// guest's fuel on each return from the host) and the deadline.
fn new_store<B: Backend>(rt: &Runtime, mut backend: B, opts: &DispatchOptions) -> Store<HostState> {
    let limits = &rt.config.limits;
    backend.set_limits(limits);
    let limiter = MemoryLimiter::new(rt.config.max_memory);
    let meter = Arc::new(Meter::new(limits));
    let host = HostState::new(
        Box::new(backend),
        limiter,
        opts.grants.clone(),
        meter,
        limits.unit_dir_bytes,
    );
    let mut store = Store::new(&rt.engine, host);
    store.limiter(|s| &mut s.limiter);
    store.call_hook(|mut ctx, hook| match hook {
        CallHook::CallingHost => {
            ctx.data().meter.entered();
            Ok(())
        }
        CallHook::ReturningFromHost => {
            let settle = ctx.data().meter.returning(|| ctx.get_fuel().unwrap_or(0));
            match settle {
                Ok(None) => Ok(()),
                Ok(Some(left)) => ctx.set_fuel(left),
                Err(trip) => {
                    ctx.set_fuel(0)?;
                    Err(wasmtime::Error::new(Stopped(trip)))
                }
            }
        }
        _ => Ok(()),
    });
    if rt.ticker.is_some() {
        store.epoch_deadline_callback(|ctx| {
            let meter = &ctx.data().meter;
            match meter.check_deadline() {
                Err(trip @ Trip::Deadline(_)) => Err(wasmtime::Error::new(Stopped(trip))),
                _ => Ok(UpdateDeadline::Continue(1)),
            }
        });
        store.set_epoch_deadline(1);
    }
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
    let trip = host
        .meter
        .tripped()
        .or_else(|| e.downcast_ref::<Stopped>().map(|s| s.0.clone()));
    let out_of_fuel = || {
        Failure::OutOfFuel(format!(
            "out of fuel: the charm used all {fuel} units of its fuel for one event \
             ({} of them for the host's work on its calls)",
            host.meter.host_fuel()
        ))
    };
    match (trip, e.downcast_ref::<Trap>()) {
        (Some(t @ Trip::Deadline(_)), _) => Failure::DeadlineExceeded(t.to_string()),
        (Some(Trip::OutOfFuel), _) | (None, Some(Trap::OutOfFuel)) => out_of_fuel(),
        (Some(Trip::Io(x)), _) => Failure::Trap(x.to_string()),
        (None, _) => Failure::Trap(noted(describe(e), &host.meter)),
    }
}

/// `message`, followed by the first limit the host refused in this
/// dispatch when the message does not say it already (a Python charm's
/// `OSError: [Errno 28]` does not name the unit's directory quota).
fn noted(message: String, meter: &Meter) -> String {
    match meter.refusal() {
        Some(r) if !message.contains(&r) => bounded(
            format!("{message} [host refused: {r}]"),
            2 * super::reason::MAX_FAILURE_MESSAGE,
        ),
        _ => message,
    }
}
