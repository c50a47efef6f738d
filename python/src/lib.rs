//! `charmbox._native`: the charmbox crate for Python. Builds a charm
//! directory into its component and runs one event of it against a State,
//! all as JSON text; `charmbox.testing` (Python) turns ops.testing's
//! dataclasses into that JSON and back.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use charmbox::build::{BuildOptions, build_charm};
use charmbox::engine::{Runtime, RuntimeConfig};
use charmbox::event::EventSpec;
use charmbox::run::{Charm, RunOptions, run_event_with};
use charmbox::sim::charms::{Loaded as SimLoaded, open_as};
use charmbox::state::State;
use charmbox::trace::TraceWriter;
use charmbox::trace::format::Header;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use serde::Deserialize;

mod model;

create_exception!(_native, CharmboxError, PyException, "A charmbox failure.");
create_exception!(
    _native,
    BuildError,
    CharmboxError,
    "The charm could not be built into a component."
);
create_exception!(
    _native,
    StateError,
    CharmboxError,
    "The State (or the event) does not fit the charm or Juju's rules; the message names the field."
);
create_exception!(
    _native,
    RunError,
    CharmboxError,
    "The event could not run at all (as opposed to a failed hook)."
);

/// The event as `charmbox.testing` sends it: the fields of charmbox's
/// `EventSpec` (docs/state.md, `charmbox run`'s flags).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventArgs {
    name: String,
    #[serde(default)]
    action: bool,
    relation_id: Option<u32>,
    remote_unit: Option<String>,
    departing_unit: Option<String>,
    notice_id: Option<String>,
    notice_type: Option<String>,
    notice_key: Option<String>,
    check_name: Option<String>,
    secret_id: Option<String>,
    secret_revision: Option<u32>,
    storage_id: Option<String>,
    #[serde(default)]
    params: std::collections::BTreeMap<String, serde_json::Value>,
    action_id: Option<String>,
    target_base: Option<String>,
}

impl From<EventArgs> for EventSpec {
    fn from(a: EventArgs) -> EventSpec {
        EventSpec {
            name: a.name,
            action: a.action,
            relation_id: a.relation_id,
            remote_unit: a.remote_unit,
            departing_unit: a.departing_unit,
            notice_id: a.notice_id,
            notice_type: a.notice_type,
            notice_key: a.notice_key,
            check_name: a.check_name,
            secret_id: a.secret_id,
            secret_revision: a.secret_revision,
            storage_id: a.storage_id,
            params: a.params,
            action_id: a.action_id,
            target_base: a.target_base,
        }
    }
}

/// One runtime per process: its engine, its compiled-code cache.
fn runtime() -> PyResult<&'static Runtime> {
    static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| Runtime::new(RuntimeConfig::default()).map_err(|e| format!("{e:#}")))
        .as_ref()
        .map_err(|e| CharmboxError::new_err(format!("cannot start the runtime: {e}")))
}

/// A charm directory and the application it runs as.
type CharmKey = (PathBuf, Option<String>);

/// A loaded charm and the file it was loaded from, as last seen.
struct Loaded {
    seen: FileStamp,
    charm: Arc<Charm>,
}

/// A component file's size and modification time: a changed file is loaded
/// again (`charmbox build` writes a new component atomically, so a rebuild
/// always changes the stamp).
#[derive(PartialEq, Eq, Clone, Copy)]
struct FileStamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
}

fn stamp(path: &Path) -> PyResult<FileStamp> {
    let meta = std::fs::metadata(path)
        .map_err(|e| RunError::new_err(format!("cannot read {}: {e}", path.display())))?;
    Ok(FileStamp {
        len: meta.len(),
        modified: meta.modified().ok(),
    })
}

/// Charms opened in this process, by directory and application name (a
/// charm deployed under another name, as `juju deploy CHARM APP` does): a
/// component is compiled (or read from charmbox's compiled-code cache)
/// once, and again only when its file changes.
fn open_charm(
    rt: &Runtime,
    dir: &Path,
    component: &Path,
    app: Option<&str>,
) -> PyResult<Arc<Charm>> {
    static CHARMS: OnceLock<Mutex<HashMap<CharmKey, Loaded>>> = OnceLock::new();
    let seen = stamp(component)?;
    let charms = CHARMS.get_or_init(Default::default);
    let mut charms = charms.lock().unwrap_or_else(|p| p.into_inner());
    let key = (dir.to_path_buf(), app.map(str::to_string));
    if let Some(l) = charms.get(&key)
        && l.seen == seen
    {
        return Ok(l.charm.clone());
    }
    let charm = match open_as(rt, component, app, false) {
        Ok((SimLoaded::Component(c), _)) => c,
        Ok((SimLoaded::Native(_), _)) => {
            return Err(RunError::new_err(format!(
                "{} is not a component",
                component.display()
            )));
        }
        Err(e) => return Err(RunError::new_err(e.to_string())),
    };
    let charm = Arc::new(charm);
    charms.insert(
        key,
        Loaded {
            seen,
            charm: charm.clone(),
        },
    );
    Ok(charm)
}

/// Build the charm in `charm_dir` (Rust crate or Python ops charm) into its
/// component, unless it is up to date; returns the component's path.
/// `progress` (when given) is called with each progress line.
#[pyfunction]
#[pyo3(signature = (charm_dir, progress = None))]
fn build(py: Python<'_>, charm_dir: PathBuf, progress: Option<Py<PyAny>>) -> PyResult<String> {
    let quiet = progress.is_none();
    // The progress callback cannot reach Python from a plain fn pointer:
    // progress lines go to stderr, as `charmbox build` prints them.
    let opts = BuildOptions {
        release: true,
        quiet,
        progress: (!quiet).then_some(stderr_line as fn(&str)),
    };
    let out = py
        .detach(|| build_charm(&charm_dir, &opts))
        .map_err(|e| BuildError::new_err(format!("{e}")))?;
    Ok(out.component.display().to_string())
}

fn stderr_line(line: &str) {
    eprintln!("{line}");
}

/// A `Write` into memory shared with the caller (the trace writer's thread
/// owns its output).
#[derive(Clone, Default)]
struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Run one event of the charm in `charm_dir` (its component `component`)
/// against `state_json`; returns `(output State JSON, report JSON, trace
/// JSONL)`. The trace (one dispatch, with every host call) is what
/// `charmbox replay` reads. `unit_dir` keeps the unit's writable
/// directories (ops' `.unit-state.db`) across calls.
#[pyfunction]
#[pyo3(signature = (charm_dir, component, state_json, event_json, unit_dir = None, fuel = None))]
fn run(
    py: Python<'_>,
    charm_dir: PathBuf,
    component: PathBuf,
    state_json: &str,
    event_json: &str,
    unit_dir: Option<PathBuf>,
    fuel: Option<u64>,
) -> PyResult<(String, String, String)> {
    let state = State::from_json(state_json, "the State")
        .map_err(|e| StateError::new_err(e.to_string()))?;
    let args: EventArgs = serde_json::from_str(event_json)
        .map_err(|e| StateError::new_err(format!("the event: {e}")))?;
    let spec = EventSpec::from(args);
    let rt = runtime()?;
    // The application is the unit's: a charm may be deployed under any name.
    let app = state
        .unit
        .as_deref()
        .and_then(|u| u.rsplit_once('/'))
        .map(|(app, _)| app.to_string());
    let charm = open_charm(rt, &charm_dir, &component, app.as_deref())?;
    py.detach(|| {
        let buf = SharedBuf::default();
        let header = Header::for_charm(&charm, rt, fuel, state.seed);
        let mut trace = TraceWriter::new(Box::new(buf.clone()), header)
            .map_err(|e| RunError::new_err(format!("cannot start the trace: {e}")))?;
        let opts = RunOptions::default()
            .fuel(fuel)
            .trace(Some(&mut trace))
            .unit_dir(unit_dir.as_deref());
        let (out, report) =
            run_event_with(rt, &charm, state, &spec, opts).map_err(|e| match e {
                charmbox::run::RunError::Event(e) => StateError::new_err(e.to_string()),
                charmbox::run::RunError::State(e) => StateError::new_err(e),
                e => RunError::new_err(e.to_string()),
            })?;
        trace
            .close()
            .map_err(|e| RunError::new_err(format!("cannot write the trace: {e}")))?;
        let report = serde_json::to_string(&report)
            .map_err(|e| RunError::new_err(format!("cannot encode the report: {e}")))?;
        let trace =
            String::from_utf8_lossy(&buf.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
        Ok((out.to_json(), report, trace))
    })
}

/// The charmbox version this extension was built from.
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(build, m)?)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    let py = m.py();
    m.add("CharmboxError", py.get_type::<CharmboxError>())?;
    m.add("BuildError", py.get_type::<BuildError>())?;
    m.add("StateError", py.get_type::<StateError>())?;
    m.add("RunError", py.get_type::<RunError>())?;
    m.add("ModelError", py.get_type::<model::ModelError>())?;
    m.add_class::<model::SimModel>()?;
    Ok(())
}
