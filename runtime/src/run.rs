//! Running events for one unit from a State: the `charmbox run` job, with or
//! without a trace.

use std::path::Path;

use serde::Serialize;

use crate::backend::unit::{ActionReport, LogLine, Reboot, UnitBackend};
use crate::engine::{DispatchOptions, DispatchStats, Outcome, Runtime};
use crate::event::EventSpec;
use crate::state::State;
use crate::trace::format::{DispatchLine, OutcomeLine};
use crate::trace::{Recorder, TraceWriter};

pub use crate::engine::wasi_grants;
pub use crate::engine::{Charm, CharmError, Dispatched, Dispatcher, HookOutput, InRuntime};

/// What one event did.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub outcome: Outcome,
    pub logs: Vec<LogLine>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<ActionReport>,
    pub stats: DispatchStats,
    /// A native hook's stdout and stderr.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<HookOutput>,
    /// The reboot the hook asked for (`juju-reboot`), for the agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reboot: Option<Reboot>,
}

/// Why an event could not run at all (as opposed to a failed hook).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Event(#[from] crate::event::EventError),
    #[error("the state does not fit the charm: {0}")]
    State(String),
    #[error("cannot write the trace: {0}")]
    Trace(#[from] std::io::Error),
    /// The host panicked while running the event: a charmbox bug, reached
    /// through what the State or the guest asked. The event is lost, the
    /// process and the caller's committed state are not.
    #[error("the host failed while running the event (a charmbox bug): {0}")]
    HostPanic(String),
}

/// The message of a caught panic.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic without a message".to_string()
    }
}

/// How to run one event beyond the State and the event: the fuel, a trace
/// to record the dispatch into, and the unit's writable directories.
#[derive(Default)]
pub struct RunOptions<'a> {
    /// Fuel for the event (none: the runtime's default).
    pub fuel: Option<u64>,
    /// Record the dispatch here.
    pub trace: Option<&'a mut TraceWriter>,
    /// The unit's writable directories (what a WASI guest such as a Python
    /// charm keeps on the unit's disk: ops' state, /tmp), kept across calls;
    /// none: a scratch directory per event.
    pub unit_dir: Option<&'a Path>,
}

impl<'a> RunOptions<'a> {
    /// The event's fuel (none: the runtime's default).
    pub fn fuel(mut self, fuel: Option<u64>) -> Self {
        self.fuel = fuel;
        self
    }

    /// Record the dispatch into `trace` when given.
    pub fn trace(mut self, trace: Option<&'a mut TraceWriter>) -> Self {
        self.trace = trace;
        self
    }

    /// Keep the unit's writable directories in `dir` when given.
    pub fn unit_dir(mut self, dir: Option<&'a Path>) -> Self {
        self.unit_dir = dir;
        self
    }
}

/// Run `spec` against `state`; returns the output State and a report.
pub fn run_event(
    rt: &Runtime,
    charm: &Charm,
    state: State,
    spec: &EventSpec,
    fuel: Option<u64>,
) -> Result<(State, RunReport), RunError> {
    run_event_with(rt, charm, state, spec, RunOptions::default().fuel(fuel))
}

/// [`run_event`] with [`RunOptions`]: a trace, the unit's directories.
///
/// A panic in the host while the event runs becomes
/// [`RunError::HostPanic`]: `charmbox run` reports it, the simulator fails
/// that unit's hook and goes on.
pub fn run_event_with(
    rt: &Runtime,
    charm: &Charm,
    state: State,
    spec: &EventSpec,
    opts: RunOptions<'_>,
) -> Result<(State, RunReport), RunError> {
    run_on(&InRuntime { rt, charm }, state, spec, opts)
}

/// [`run_event_with`] for any [`Dispatcher`]: a component or a native charm.
pub fn run_on<D: Dispatcher>(
    d: &D,
    state: State,
    spec: &EventSpec,
    opts: RunOptions<'_>,
) -> Result<(State, RunReport), RunError> {
    // Unwind safety: the State is moved in and lost with the event; the
    // runtime, the charm and the spec are only read (wasmtime drops the
    // store while unwinding); a trace writer only queues whole dispatches.
    catching(|| run_event_unguarded(d, state, spec, opts))
}

/// Run `f`, turning a panic into [`RunError::HostPanic`] (the caller
/// vouches that nothing `f` touches is left inconsistent by unwinding).
fn catching<T>(f: impl FnOnce() -> Result<T, RunError>) -> Result<T, RunError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|payload| Err(RunError::HostPanic(panic_message(&*payload))))
}

fn run_event_unguarded<D: Dispatcher>(
    d: &D,
    state: State,
    spec: &EventSpec,
    run: RunOptions<'_>,
) -> Result<(State, RunReport), RunError> {
    let meta = d.meta();
    let resolved = spec.resolve(meta, &state)?;
    let mut grants = wasi_grants(
        &state,
        &resolved.event,
        resolved.env.clone(),
        Some(d.dir()),
        meta,
    );
    grants.unit_dir = run.unit_dir.map(Path::to_path_buf);
    let event = &resolved.event;
    let action = resolved.params.is_some();
    let Some(trace) = run.trace else {
        let backend = UnitBackend::new(meta.clone(), state, &resolved).map_err(RunError::State)?;
        let done = d.dispatch(backend, event, grants, run.fuel);
        return Ok(finish(done, action));
    };
    let snapshot = state.clone();
    let backend = UnitBackend::new(meta.clone(), state, &resolved).map_err(RunError::State)?;
    let recorder = Recorder::new(backend);
    grants.tap = Some(recorder.tap());
    let done = d.dispatch(recorder, event, grants, run.fuel);
    let (backend, calls) = done.backend.into_parts();
    let done = Dispatched {
        backend,
        outcome: done.outcome,
        stats: done.stats,
        output: done.output,
    };
    let (state, report) = finish(done, action);
    let start = DispatchLine {
        n: 0,
        unit: resolved.event.context.unit_name.clone(),
        name: spec.name.clone(),
        action: spec.action,
        event: resolved.event,
        env: resolved.env.list().to_vec(),
        params: resolved.params,
        snapshot,
    };
    let end = OutcomeLine {
        n: 0,
        outcome: report.outcome.clone(),
        fuel_used: report.stats.fuel_used,
        logs: report.logs.clone(),
        action: report.action.clone(),
        delta: Vec::new(),
    };
    trace.dispatch(start, calls, end, state.clone())?;
    Ok((state, report))
}

/// Time `runs` fresh instances of the charm made for `spec` on `state` and
/// dropped without running the event: the sandbox's own share of an
/// event (see [`CharmComponent::instantiate_only`]). The backend is built
/// outside the timing.
pub fn time_instantiation(
    rt: &Runtime,
    charm: &Charm,
    state: &State,
    spec: &EventSpec,
    runs: usize,
) -> Result<Vec<std::time::Duration>, RunError> {
    let resolved = spec.resolve(&charm.meta, state)?;
    let opts = DispatchOptions {
        grants: wasi_grants(
            state,
            &resolved.event,
            resolved.env.clone(),
            Some(&charm.dir),
            &charm.meta,
        ),
        fuel: None,
    };
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let backend = UnitBackend::new(charm.meta.clone(), state.clone(), &resolved)
            .map_err(RunError::State)?;
        let t = std::time::Instant::now();
        charm
            .component
            .instantiate_only(rt, backend, &opts)
            .map_err(RunError::State)?;
        times.push(t.elapsed());
    }
    Ok(times)
}

fn finish(done: Dispatched<UnitBackend>, action: bool) -> (State, RunReport) {
    let backend = done.backend;
    let action = action.then(|| backend.action_report().clone());
    let report = RunReport {
        outcome: done.outcome,
        logs: backend.logs().to_vec(),
        action,
        stats: done.stats,
        output: done.output,
        reboot: backend.reboot(),
    };
    (backend.into_state(), report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_panics_become_errors() {
        let r: Result<(), RunError> = catching(|| panic!("walked off the stack {}", 1));
        let e = r.unwrap_err();
        assert!(matches!(&e, RunError::HostPanic(m) if m == "walked off the stack 1"));
        assert_eq!(
            e.to_string(),
            "the host failed while running the event (a charmbox bug): walked off the stack 1"
        );
        let r: Result<(), RunError> = catching(|| std::panic::panic_any(7u8));
        assert!(matches!(r, Err(RunError::HostPanic(m)) if m == "panic without a message"));
        assert_eq!(catching(|| Ok(5)).unwrap(), 5);
    }
}
