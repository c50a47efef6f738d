//! Concurrent hooks (`concurrent_hooks` > 1): a batch of hooks of distinct
//! units, each drawn, prepared and projected in turn against the model as
//! it stands before any of them runs, dispatched on every core, then merged
//! and committed one by one in the order they were drawn.
//!
//! What a batch does depends only on the model and its seed: which units
//! and hooks, the draws, and the order of the merges are fixed before the
//! charms run, and each dispatch is a function of its own State. How many
//! threads run the dispatches changes the time taken, never the result.
//!
//! Juju runs the hooks of different units at the same time, each against
//! what its agent last heard of the model; a batch is one such moment. A
//! hook commits what it saw (`lifecycle::Seen`): a relation bag, leader
//! settings or secret revision another hook of the batch moved on stays
//! pending, so the unit runs another hook for it. Units on one machine take
//! turns (Juju's machine lock: a subordinate and its principal are never in
//! one batch), and so do the units of an application whose pods are being
//! replaced (a rollout moves on from another unit's commit).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::model::Model;
use super::names::UnitName;
use super::project::Sources;
use super::resolver::next_hook;
use super::runner::{DispatchResult, Prepared, ToProject};
use super::scheduler::draw;
use super::{SimError, Simulator, series};
use crate::engine::{InRuntime, Runtime};
use crate::run::{Charm, RunOptions, run_on};
use crate::state::SecretState;

/// The most hooks one batch may hold, whatever a model file asks for.
pub const MAX_CONCURRENT_HOOKS: u32 = 256;

impl Simulator {
    /// The batch width the model asks for (1: one hook at a time).
    pub(super) fn batch_width(&self) -> usize {
        self.model
            .meta
            .settings
            .concurrent_hooks
            .clamp(1, MAX_CONCURRENT_HOOKS) as usize
    }

    /// Run up to `max` hooks due now: one, or a batch when the model runs
    /// hooks concurrently (timers are not fired: see
    /// [`Simulator::settle`]). Returns how many ran (0: none was due).
    pub fn run_due(&mut self, max: u64) -> Result<u64, SimError> {
        let width = (self.batch_width() as u64).min(max.max(1)) as usize;
        if width <= 1 {
            return Ok(u64::from(self.step()?));
        }
        let (mut batch, inputs) = self.draw_batch(width)?;
        if batch.is_empty() {
            return Ok(0);
        }
        let results = self.dispatch_batch(&mut batch, inputs)?;
        let n = batch.len() as u64;
        for (p, result) in batch.into_iter().zip(results) {
            self.finish(p, result, true)?;
        }
        Ok(n)
    }

    /// Draw and prepare up to `width` hooks of distinct units, no two on
    /// one machine nor of one application in a rollout; each is projected
    /// later, against the model as all of them left it.
    fn draw_batch(&mut self, width: usize) -> Result<(Vec<Prepared>, Vec<ToProject>), SimError> {
        let mut batch = Vec::with_capacity(width);
        let mut inputs = Vec::with_capacity(width);
        let mut taken: Vec<(UnitName, Option<String>)> = Vec::with_capacity(width);
        while batch.len() < width {
            let Some(unit) = self.pick_free(&taken) else {
                break;
            };
            let pick = draw(&mut self.model);
            let Some(hook) = next_hook(&self.model, &unit, self.model.meta.now, pick) else {
                // Cannot happen while the ready set is exact; stay safe.
                self.ready.update(&self.model, &unit);
                continue;
            };
            let rollout = (self.model.app(&unit.app))
                .is_some_and(|a| a.rollout.is_some())
                .then(|| unit.app.to_string());
            taken.push((series::machine_of(&self.model, &unit), rollout));
            let (p, input) = self.prepare_unprojected(&unit, hook)?;
            batch.push(p);
            inputs.push(input);
        }
        Ok((batch, inputs))
    }

    /// Draw a ready unit that may join the batch: from the drawn place in
    /// the ready set, the first unit on a machine not yet taken.
    fn pick_free(&mut self, taken: &[(UnitName, Option<String>)]) -> Option<UnitName> {
        let len = self.ready.len();
        if len == 0 {
            return None;
        }
        let start = (draw(&mut self.model) % len as u64) as usize;
        (0..len)
            .map(|k| &self.ready.units()[(start + k) % len])
            .find_map(|u| {
                let machine = series::machine_of(&self.model, u);
                let busy = taken.iter().any(|(m, rollout)| {
                    *m == machine || rollout.as_deref() == Some(u.app.as_str())
                });
                (!busy).then(|| u.clone())
            })
    }

    /// Project and run the batch's hooks: on every core for components, in
    /// order on this thread when traces are recorded (one writer per
    /// application) or a charm runs as a process.
    fn dispatch_batch(
        &mut self,
        batch: &mut [Prepared],
        inputs: Vec<ToProject>,
    ) -> Result<Vec<DispatchResult>, SimError> {
        for p in batch.iter() {
            let app = self.model.app(&p.name.app).expect("checked by prepare");
            self.charms.get(&self.rt, app)?;
        }
        let mut charms: Vec<&Charm> = Vec::with_capacity(batch.len());
        let mut in_order = self.traces.is_some() || self.threads <= 1;
        for p in batch.iter() {
            match self.charms.loaded(&p.name.app) {
                Some(super::charms::Loaded::Component(c)) => charms.push(c),
                _ => in_order = true,
            }
        }
        if in_order {
            drop(charms);
            for (p, input) in batch.iter_mut().zip(inputs) {
                (p.state, p.versions) = input.project(&self.model, p, self.paranoid)?;
                p.secrets_in = Some(p.state.secrets.clone());
            }
            return batch.iter_mut().map(|p| self.dispatch(p)).collect();
        }
        let on = Threads {
            rt: &self.rt,
            model: &self.model,
            paranoid: self.paranoid,
            fuel: self.model.meta.settings.fuel,
            threads: self.threads,
        };
        on.run(&charms, batch, inputs)
    }
}

/// What the threads of a batch share.
struct Threads<'a> {
    rt: &'a Runtime,
    model: &'a Model,
    paranoid: bool,
    fuel: Option<u64>,
    threads: usize,
}

impl Threads<'_> {
    /// Project and dispatch each hook with its charm on up to `threads`
    /// threads (this one among them); the results come back in the
    /// batch's order, and the first projection that failed is the error.
    fn run(
        &self,
        charms: &[&Charm],
        batch: &mut [Prepared],
        inputs: Vec<ToProject>,
    ) -> Result<Vec<DispatchResult>, SimError> {
        let jobs: Vec<Mutex<Option<Job<'_>>>> = (batch.iter())
            .zip(charms)
            .zip(inputs)
            .map(|((p, charm), input)| Mutex::new(Some(Job { p, charm, input })))
            .collect();
        type Done = Result<(Sources, Vec<SecretState>, DispatchResult), SimError>;
        let results: Vec<Mutex<Option<Done>>> = (0..jobs.len()).map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        let work = || {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(slot) = jobs.get(i) else { break };
                let job = lock(slot).take().expect("each job is taken once");
                *lock(&results[i]) = Some(self.one(job));
            }
        };
        std::thread::scope(|s| {
            for _ in 1..self.threads.min(jobs.len()) {
                s.spawn(work);
            }
            work();
        });
        drop(jobs);
        let mut out = Vec::with_capacity(batch.len());
        for (p, r) in batch.iter_mut().zip(results) {
            let r = r.into_inner().unwrap_or_else(|e| e.into_inner());
            let (versions, secrets, result) = r.expect("every job ran")?;
            p.versions = versions;
            p.secrets_in = Some(secrets);
            out.push(result);
        }
        Ok(out)
    }

    /// One hook: its projection and its dispatch, with the versions the
    /// projection read (kept with the unit's views when it commits) and
    /// the secrets it was shown (merged against).
    fn one(&self, job: Job<'_>) -> Result<(Sources, Vec<SecretState>, DispatchResult), SimError> {
        let (state, versions) = job.input.project(self.model, job.p, self.paranoid)?;
        let charm = InRuntime {
            rt: self.rt,
            charm: job.charm,
        };
        let opts = RunOptions::default()
            .fuel(self.fuel)
            .unit_dir(job.p.disk.as_deref());
        let secrets = state.secrets.clone();
        let result = run_on(&charm, state, &job.p.spec, opts);
        Ok((versions, secrets, result))
    }
}

/// One hook, handed to whichever thread takes it.
struct Job<'a> {
    p: &'a Prepared,
    charm: &'a Charm,
    input: ToProject,
}

/// A poisoned lock only means another dispatch panicked; the slots stay usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
