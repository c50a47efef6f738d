//! The model simulator: whole Juju models in one process.
//!
//! The [`Model`](model::Model) is the source of truth: applications, units
//! with their agents' local state, relations and their databags, leadership,
//! secrets, actions, containers. For each hook of a unit the simulator
//! projects that unit's view into a [`State`](crate::state::State)
//! ([`project`]), runs it through the same path as a single event
//! ([`crate::run::run_event_with`]: the State backend with Juju's hook
//! transactions, a fresh instance of the charm), merges the committed output
//! back ([`merge`]) and lets the resolver ([`resolver`]) derive what Juju
//! would run next, in Juju's order. A seeded scheduler ([`scheduler`])
//! interleaves units on virtual time; the model lives in SQLite ([`store`]),
//! one transaction per committed hook. See docs/simulator.md.

pub mod agent;
mod bags;
mod batch;
#[cfg(test)]
mod batch_tests;
pub mod charms;
pub mod cmr;
mod dirty;
mod disks;
pub mod expect;
pub mod expect_machine;
pub mod history;
pub mod hook;
mod hook_event;
pub mod lifecycle;
pub mod limits;
pub mod lock;
pub mod merge;
pub mod model;
pub mod names;
pub mod ops;
pub mod project;
#[cfg(test)]
mod project_tests;
pub mod resolver;
#[cfg(test)]
mod resolver_tests;
pub mod rollout;
mod runner;
pub mod scenario;
mod scenario_steps;
pub mod scheduler;
#[cfg(test)]
mod scope_tests;
pub mod series;
pub mod status;
pub mod store;
pub mod unit_status;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::engine::Runtime;
use crate::trace::TraceWriter;
use history::{EventRecord, LogEntry, LogFilter};
use lock::ModelLock;
use model::{Meta, Model, Settings, Substrate};
pub use names::UnitName;
use scheduler::Ready;
use store::Store;

/// Why a simulator operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The operation does not fit the model (unknown application, ...).
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Charm(#[from] crate::run::CharmError),
    /// A charm deployed `--native` cannot be run as a process.
    #[error(transparent)]
    Native(#[from] crate::native::NativeError),
    #[error("model file: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("model file: malformed row: {0}")]
    Json(#[from] serde_json::Error),
    #[error("model file: {0}")]
    Corrupt(String),
    #[error(
        "the model did not settle: {0} hooks ran and more are due (a relation ping-pong that never ends?)"
    )]
    NotSettled(u64),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Another command holds the model file's lock and did not let go in time.
    #[error(
        "model {model} is busy: another charmbox command is using it (waited {}s; wait for it to end, or give --wait a longer duration)",
        waited.as_secs_f64().round()
    )]
    Busy {
        model: String,
        waited: std::time::Duration,
    },
    /// The lock file could not be opened or locked.
    #[error("cannot lock {path}: {source}")]
    Lock {
        path: String,
        source: std::io::Error,
    },
    /// Another process changed the model file since this one read it.
    #[error(
        "model {model} was changed by another process since this command read it: nothing was written; run the command again"
    )]
    Stale { model: String },
    #[error("{0}")]
    Assertion(String),
}

/// How a new model is made.
#[derive(Debug, Clone)]
pub struct ModelOptions {
    pub name: String,
    pub kind: Substrate,
    pub seed: u64,
    pub settings: Settings,
    /// Virtual time at creation, ns since the epoch.
    pub start_ns: u64,
}

impl Default for ModelOptions {
    fn default() -> Self {
        ModelOptions {
            name: "sim".into(),
            kind: Substrate::Kubernetes,
            seed: 0,
            settings: Settings::default(),
            start_ns: crate::backend::unit::DEFAULT_NOW_NS,
        }
    }
}

/// What [`Simulator::open_file`] does with the file.
#[derive(Debug, Clone)]
pub enum OpenMode {
    /// Open the model it holds.
    Open,
    /// Make a new model (the file must not hold one).
    Create(ModelOptions),
    /// Open its model, or make one if there is no file yet.
    OpenOrCreate(ModelOptions),
}

/// Per-application trace files, when tracing is on.
struct Traces {
    dir: PathBuf,
    writers: BTreeMap<String, TraceWriter>,
}

/// A model and everything needed to run it.
pub struct Simulator {
    rt: std::sync::Arc<Runtime>,
    model: Model,
    store: Option<Store>,
    charms: charms::Charms,
    ready: Ready,
    /// History kept in memory (models without a file, or when asked).
    events: Vec<EventRecord>,
    logs: Vec<LogEntry>,
    keep_history: bool,
    /// History not yet committed to the file.
    pending_events: Vec<EventRecord>,
    pending_logs: Vec<LogEntry>,
    traces: Option<Traces>,
    /// Check the incremental ready set against a rebuild after every hook.
    paranoid: bool,
    /// Hooks run since this simulator was made.
    hooks_run: u64,
    /// Each unit's relations as its last hook left them (patched, not
    /// rebuilt, by the next projection).
    views: project::Views,
    /// Each unit's disk (WASI guests' state and /tmp), per pod.
    disks: disks::UnitDisks,
    /// The hooks run, while [`Simulator::settle_steps`] collects them.
    captured: Option<Vec<EventRecord>>,
    /// Threads that run a batch's dispatches (`sim/batch.rs`); the result
    /// does not depend on it.
    threads: usize,
    /// The threads beside the simulating one that run batches, started by
    /// the first batch and kept (`threads` − 1 of them).
    workers: Option<std::sync::Arc<rayon::ThreadPool>>,
    /// Hooks run in batches on threads (not on the simulating thread alone).
    hooks_on_threads: u64,
}

fn uuid_from_seed(seed: u64, name: &str) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(format!("{seed}|{name}").as_bytes());
    let h: String = d.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-4{}-8{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

impl Simulator {
    fn with(rt: Runtime, model: Model, store: Option<Store>, disks: disks::UnitDisks) -> Simulator {
        let ready = Ready::rebuild(&model);
        let keep_history = store.is_none();
        Simulator {
            rt: std::sync::Arc::new(rt),
            model,
            store,
            charms: charms::Charms::default(),
            ready,
            events: Vec::new(),
            logs: Vec::new(),
            keep_history,
            pending_events: Vec::new(),
            pending_logs: Vec::new(),
            traces: None,
            paranoid: std::env::var_os("CHARMBOX_SIM_CHECK").is_some(),
            hooks_run: 0,
            views: project::Views::default(),
            disks,
            captured: None,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            workers: None,
            hooks_on_threads: 0,
        }
    }

    fn new_model(opts: &ModelOptions) -> Model {
        Model::new(Meta {
            name: opts.name.clone(),
            uuid: uuid_from_seed(opts.seed, &opts.name),
            kind: opts.kind,
            juju_version: "3.6.14".into(),
            seed: opts.seed,
            now: opts.start_ns,
            draws: 0,
            next_relation_id: 0,
            next_action_id: 1,
            next_seq: 1,
            next_app_index: 0,
            settings: opts.settings.clone(),
            scenario_step: 0,
            next_storage: 0,
            offers: Default::default(),
            saas: Default::default(),
        })
    }

    /// A model held in memory only.
    pub fn in_memory(rt: Runtime, opts: ModelOptions) -> Simulator {
        let mut model = Self::new_model(&opts);
        model.dirty = Default::default();
        Simulator::with(rt, model, None, disks::UnitDisks::temporary())
    }

    /// A new model in a SQLite file (waiting up to
    /// [`DEFAULT_LOCK_WAIT`](lock::DEFAULT_LOCK_WAIT) for another command).
    pub fn create(rt: Runtime, path: &Path, opts: ModelOptions) -> Result<Simulator, SimError> {
        let lock = ModelLock::acquire(path, lock::DEFAULT_LOCK_WAIT, &mut |_| {})?;
        Self::create_locked(rt, path, opts, lock)
    }

    fn create_locked(
        rt: Runtime,
        path: &Path,
        opts: ModelOptions,
        lock: ModelLock,
    ) -> Result<Simulator, SimError> {
        let mut model = Self::new_model(&opts);
        let store = Store::create(path, &mut model, lock)?;
        let disks = disks::UnitDisks::beside(path);
        Ok(Simulator::with(rt, model, Some(store), disks))
    }

    /// Reopen a model file where it was last committed (waiting up to
    /// [`DEFAULT_LOCK_WAIT`](lock::DEFAULT_LOCK_WAIT) for another command).
    pub fn open(rt: Runtime, path: &Path) -> Result<Simulator, SimError> {
        Store::check_exists(path)?;
        let lock = ModelLock::acquire(path, lock::DEFAULT_LOCK_WAIT, &mut |_| {})?;
        Self::open_locked(rt, path, lock)
    }

    fn open_locked(rt: Runtime, path: &Path, lock: ModelLock) -> Result<Simulator, SimError> {
        let (store, model) = Store::open(path, lock)?;
        let disks = disks::UnitDisks::beside(path);
        Ok(Simulator::with(rt, model, Some(store), disks))
    }

    /// Open or create the model file `path` as `mode` says, taking its
    /// lock first (waiting up to `wait` for another command, calling
    /// `waiting` once if it has to) and holding it for as long as the
    /// simulator lives. Whether the file holds a model is decided under the
    /// lock: two commands never both create it.
    pub fn open_file(
        rt: Runtime,
        path: &Path,
        mode: OpenMode,
        wait: std::time::Duration,
        waiting: &mut dyn FnMut(&Path),
    ) -> Result<Simulator, SimError> {
        if matches!(mode, OpenMode::Open) {
            Store::check_exists(path)?;
        }
        let lock = ModelLock::acquire(path, wait, waiting)?;
        match mode {
            OpenMode::Create(opts) => Self::create_locked(rt, path, opts, lock),
            OpenMode::OpenOrCreate(opts) if !path.exists() => {
                Self::create_locked(rt, path, opts, lock)
            }
            _ => Self::open_locked(rt, path, lock),
        }
    }

    /// Record each application's dispatches as a trace in `dir`
    /// (`<app>.trace.jsonl`), replayable with `charmbox replay`.
    pub fn trace_to(&mut self, dir: &Path) -> Result<(), SimError> {
        std::fs::create_dir_all(dir)?;
        self.traces = Some(Traces {
            dir: dir.to_path_buf(),
            writers: BTreeMap::new(),
        });
        Ok(())
    }

    /// Finish trace files.
    pub fn close_traces(&mut self) -> Result<(), SimError> {
        if let Some(t) = &mut self.traces {
            for w in t.writers.values_mut() {
                w.close()?;
            }
        }
        Ok(())
    }

    /// Keep (or stop keeping) the history in memory too.
    pub fn keep_history(&mut self, keep: bool) {
        self.keep_history = keep;
    }

    /// Check the scheduler's bookkeeping after every hook (slow; for tests).
    /// Run hooks of distinct units concurrently, up to `n` at a time
    /// against one state of the model (`sim/batch.rs`; 1: one at a time).
    /// It changes which hooks see which writes, so it is a model setting,
    /// kept in the model file; the same seed still gives the same run.
    pub fn set_concurrent_hooks(&mut self, n: u32) -> Result<(), SimError> {
        if !(1..=batch::MAX_CONCURRENT_HOOKS).contains(&n) {
            return Err(SimError::Usage(format!(
                "concurrent hooks {n}: expected 1 to {}",
                batch::MAX_CONCURRENT_HOOKS
            )));
        }
        self.model.meta_mut().settings.concurrent_hooks = n;
        self.commit()
    }

    /// How many threads run concurrent hooks (default: the machine's
    /// cores). Only the time taken depends on it.
    pub fn set_threads(&mut self, n: usize) {
        self.threads = n.max(1);
        self.workers = None;
    }

    /// How many hooks ran in batches on threads since this simulator was
    /// made (batches of fewer than 16, traced or with native charms run on
    /// the simulating thread).
    pub fn hooks_on_threads(&self) -> u64 {
        self.hooks_on_threads
    }

    pub fn set_paranoid(&mut self, on: bool) {
        self.paranoid = on;
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn runtime(&self) -> &Runtime {
        &self.rt
    }

    /// Hooks run by this simulator (not counting earlier processes).
    pub fn hooks_run(&self) -> u64 {
        self.hooks_run
    }

    /// Virtual time, ns since the epoch.
    pub fn now(&self) -> u64 {
        self.model.meta.now
    }

    /// Units with a hook to run now.
    pub fn ready_units(&self) -> Vec<String> {
        self.ready.units().iter().map(|u| u.to_string()).collect()
    }

    /// Every hook run, in order (from the file for file-backed models).
    pub fn events(&self) -> Result<Vec<EventRecord>, SimError> {
        match &self.store {
            Some(s) if !self.keep_history => s.events(),
            _ => Ok(self.events.clone()),
        }
    }

    /// The hook runs that pass `filter`.
    pub fn events_filtered(&self, filter: &LogFilter) -> Result<Vec<EventRecord>, SimError> {
        Ok(self
            .events()?
            .into_iter()
            .filter(|e| filter.event_record_ok(e))
            .collect())
    }

    /// `unit`'s hook names, in order.
    pub fn unit_events(&self, unit: &str) -> Result<Vec<String>, SimError> {
        Ok(self
            .events()?
            .into_iter()
            .filter(|e| e.unit == unit)
            .map(|e| e.event)
            .collect())
    }

    /// Log lines that pass `filter`.
    pub fn logs(&self, filter: &LogFilter) -> Result<Vec<LogEntry>, SimError> {
        let all = match &self.store {
            Some(s) if !self.keep_history => s.logs()?,
            _ => self.logs.clone(),
        };
        Ok(all.into_iter().filter(|l| filter.log_ok(l)).collect())
    }

    /// `PRAGMA integrity_check` of the model file ("ok"), or none in memory.
    pub fn integrity(&self) -> Result<Option<String>, SimError> {
        self.store.as_ref().map(|s| s.integrity()).transpose()
    }

    /// A digest of the whole model (applications, units, agents, relations,
    /// bags, secrets, actions, clock and counters): equal digests, equal models.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let m = &self.model;
        let dump = serde_json::json!({
            "meta": m.meta,
            "apps": m.apps,
            "units": m.units.values().collect::<Vec<_>>(),
            "views": m.views_iter().map(|((u, r), v)| (format!("{u}#{r}"), v)).collect::<BTreeMap<_, _>>(),
            "relations": m.relations,
            "bags": m.bags_iter().map(|((r, o), b)| (format!("{r}#{o}"), b)).collect::<BTreeMap<_, _>>(),
            "secrets": m.secrets,
            "actions": m.actions,
        });
        let mut meta = dump;
        // The scenario cursor is bookkeeping of `charmbox sim`, not the model.
        meta["meta"]["scenario_step"] = serde_json::Value::from(0);
        let d = Sha256::digest(meta.to_string().as_bytes());
        d.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Commit what changed (model rows and history) as one transaction.
    fn commit(&mut self) -> Result<(), SimError> {
        let events = std::mem::take(&mut self.pending_events);
        let logs = std::mem::take(&mut self.pending_logs);
        // Units gone from the model: their disks go once that is committed
        // (a kill before the commit reopens a model that still has them).
        let removed: Vec<UnitName> = (self.model.dirty.units.iter())
            .filter(|u| self.model.unit(u).is_none())
            .cloned()
            .collect();
        if let Some(store) = &mut self.store {
            store.commit(&mut self.model, &events, &logs)?;
        } else {
            self.model.dirty = Default::default();
        }
        for u in &removed {
            self.disks.remove(u);
        }
        if self.keep_history {
            self.events.extend(events);
            self.logs.extend(logs);
        }
        Ok(())
    }

    /// The scenario step counter (for resuming `charmbox sim`).
    pub fn scenario_step(&self) -> u64 {
        self.model.meta.scenario_step
    }

    /// Mark scenario step `n` done in the next commit (an operation's).
    pub fn stage_scenario_step(&mut self, n: u64) {
        self.model.meta_mut().scenario_step = n;
    }

    /// Record that scenario step `n` is done.
    pub fn set_scenario_step(&mut self, n: u64) -> Result<(), SimError> {
        self.model.meta_mut().scenario_step = n;
        self.commit()
    }
}
