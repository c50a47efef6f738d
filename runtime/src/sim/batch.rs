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

use super::charms::{Charms, Loaded};
use super::names::UnitName;
use super::resolver::next_hook;
use super::runner::{Prepared, Shown, ToProject};
use super::scheduler::draw;
use super::{SimError, Simulator, series};

#[path = "batch_threads.rs"]
mod threads;

/// Smaller batches run on the simulating thread: with threads started per
/// batch, the 3 × 3 model (batches of up to 9) settled about 20 % slower
/// on two threads than on one; with the kept workers, a limit of 2 gave
/// better minimums but worse, more scattered medians (waking a sleeping
/// worker for a few hooks).
const MIN_ON_THREADS: usize = 16;

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
        let (batch, inputs) = self.draw_batch(width)?;
        if batch.is_empty() {
            return Ok(0);
        }
        let n = batch.len() as u64;
        for p in &batch {
            let app = self.model.app(&p.name.app).expect("checked by prepare");
            self.charms.get(&self.rt, app)?;
        }
        let native = (batch.iter())
            .any(|p| !matches!(self.charms.loaded(&p.name.app), Some(Loaded::Component(_))));
        if self.traces.is_some() || self.threads <= 1 || native || batch.len() < MIN_ON_THREADS {
            self.run_in_order(batch, inputs)?;
        } else {
            self.run_on_threads(batch, inputs)?;
            self.hooks_on_threads += n;
        }
        Ok(n)
    }

    /// A batch on this thread: every hook projected, then every charm run
    /// in order (the trace writers see the batch's order), then merged.
    fn run_in_order(
        &mut self,
        mut batch: Vec<Prepared>,
        inputs: Vec<ToProject>,
    ) -> Result<(), SimError> {
        for (p, input) in batch.iter_mut().zip(inputs) {
            let (state, versions) = input.project(&self.model, p, self.paranoid)?;
            let shown = Shown::of(&self.model, &p.name, &p.hook, &state);
            p.shown_beside_others(versions, shown);
            p.state = state;
        }
        let mut results = Vec::with_capacity(batch.len());
        for p in &mut batch {
            results.push(self.dispatch(p)?);
        }
        for (p, result) in batch.into_iter().zip(results) {
            self.finish(p, result)?;
        }
        Ok(())
    }

    /// A batch on every thread: this thread projects each hook (they read
    /// the model) and hands it to the workers, which run the charms as
    /// their States come in; then it merges each result in the batch's
    /// order as it arrives (running charms itself while the next result is
    /// not in).
    fn run_on_threads(
        &mut self,
        batch: Vec<Prepared>,
        inputs: Vec<ToProject>,
    ) -> Result<(), SimError> {
        let workers = self.workers()?;
        let charms = std::mem::take(&mut self.charms);
        let result = self.project_dispatch_and_merge(&workers, &charms, batch, inputs);
        self.charms = charms;
        result
    }

    /// The worker threads, started by the first batch that needs them.
    fn workers(&mut self) -> Result<std::sync::Arc<rayon::ThreadPool>, SimError> {
        if let Some(w) = &self.workers {
            return Ok(std::sync::Arc::clone(w));
        }
        let pool = rayon::ThreadPoolBuilder::new()
            // Batches run on threads only when there are 2 or more.
            .num_threads(self.threads.saturating_sub(1).max(1))
            .thread_name(|i| format!("charmbox-sim-{i}"))
            .build()
            .map_err(|e| SimError::Io(std::io::Error::other(e)))?;
        let pool = std::sync::Arc::new(pool);
        self.workers = Some(std::sync::Arc::clone(&pool));
        Ok(pool)
    }

    /// Each hook of `batch` projected on this thread and its charm run on
    /// the threads; each result is merged in order as it comes in. Every
    /// projection is made before the first merge, so each reads the model
    /// as it was before the batch.
    fn project_dispatch_and_merge(
        &mut self,
        workers: &rayon::ThreadPool,
        charms: &Charms,
        mut batch: Vec<Prepared>,
        inputs: Vec<ToProject>,
    ) -> Result<(), SimError> {
        let rt = std::sync::Arc::clone(&self.rt);
        let fuel = self.model.meta.settings.fuel;
        let run = |job| threads::run_job(&rt, fuel, job);
        let pipeline = threads::Pipeline::with_capacity(&run, batch.len());
        let helpers = (workers.current_num_threads()).min(pipeline.len().saturating_sub(1));
        workers.in_place_scope(|s| {
            for _ in 0..helpers {
                s.spawn(|_| pipeline.work());
            }
            // Workers waiting for a job return however this thread leaves.
            let _stop = threads::StopOnExit(&pipeline);
            for (p, input) in batch.iter_mut().zip(inputs) {
                let (state, versions) = input.project(&self.model, p, self.paranoid)?;
                let shown = Shown::of(&self.model, &p.name, &p.hook, &state);
                p.shown_beside_others(versions, shown);
                let Some(Loaded::Component(charm)) = charms.loaded(&p.name.app) else {
                    unreachable!("checked by run_due");
                };
                pipeline.push(threads::Job {
                    charm,
                    state,
                    spec: std::mem::take(&mut p.spec),
                    disk: p.disk.take(),
                });
            }
            for (i, p) in batch.into_iter().enumerate() {
                let result = pipeline.result(i);
                self.finish(p, result)?;
            }
            Ok(())
        })
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
}
