//! Running one event for one unit from a State: the `charmbox run` job.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::backend::unit::{ActionReport, LogLine, UnitBackend};
use crate::charm::CharmMeta;
use crate::engine::{CharmComponent, DispatchOptions, DispatchStats, LoadError, Outcome, Runtime};
use crate::event::EventSpec;
use crate::sandbox::WasiGrants;
use crate::state::State;

/// A charm: its metadata, its loaded component, and its directory.
pub struct Charm {
    pub meta: Arc<CharmMeta>,
    pub component: CharmComponent,
    pub dir: PathBuf,
}

/// Why a charm could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum CharmError {
    #[error(transparent)]
    Meta(#[from] crate::charm::MetaError),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(
        "no component for charm {name:?}: expected {path} (build it with `charmbox build {dir}`)"
    )]
    NotBuilt {
        name: String,
        path: String,
        dir: String,
    },
    #[error("{0} is neither a charm directory nor a .wasm component")]
    Unknown(String),
}

impl Charm {
    /// Open a charm from its directory (component `<name>.wasm` beside
    /// `charmcraft.yaml`) or from a component file with `charmcraft.yaml`
    /// beside it.
    pub fn open(rt: &Runtime, path: &Path) -> Result<Charm, CharmError> {
        let (dir, component) = if path.is_dir() {
            let meta = CharmMeta::load_dir(path)?;
            let wasm = path.join(format!("{}.wasm", meta.name));
            if !wasm.exists() {
                return Err(CharmError::NotBuilt {
                    name: meta.name,
                    path: wasm.display().to_string(),
                    dir: path.display().to_string(),
                });
            }
            (path.to_path_buf(), wasm)
        } else if path.is_file() {
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            (dir.to_path_buf(), path.to_path_buf())
        } else {
            return Err(CharmError::Unknown(path.display().to_string()));
        };
        let meta = Arc::new(CharmMeta::load_dir(&dir)?);
        let component = rt.load(&component)?;
        Ok(Charm {
            meta,
            component,
            dir,
        })
    }
}

/// What one event did.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub outcome: Outcome,
    pub logs: Vec<LogLine>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<ActionReport>,
    pub stats: DispatchStats,
}

/// Why an event could not run at all (as opposed to a failed hook).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Event(#[from] crate::event::EventError),
    #[error("the state does not fit the charm: {0}")]
    State(String),
}

/// Run `spec` against `state`; returns the output State and a report.
pub fn run_event(
    rt: &Runtime,
    charm: &Charm,
    state: State,
    spec: &EventSpec,
    fuel: Option<u64>,
) -> Result<(State, RunReport), RunError> {
    let resolved = spec.resolve(&charm.meta, &state)?;
    let grants = WasiGrants {
        now_ns: state
            .now
            .as_deref()
            .and_then(crate::sandbox::parse_rfc3339_ns)
            .unwrap_or(crate::backend::unit::DEFAULT_NOW_NS),
        seed: state.seed,
        charm_dir: Some((charm.dir.clone(), resolved.event.context.charm_dir.clone())),
        env: resolved.event.env.clone(),
    };
    let backend =
        UnitBackend::new(charm.meta.clone(), state, &resolved).map_err(RunError::State)?;
    let opts = DispatchOptions { grants, fuel };
    let (backend, outcome, stats) = charm
        .component
        .dispatch(rt, backend, &resolved.event, &opts);
    let action = resolved
        .params
        .is_some()
        .then(|| backend.action_report().clone());
    let report = RunReport {
        outcome,
        logs: backend.logs().to_vec(),
        action,
        stats,
    };
    Ok((backend.into_state(), report))
}
