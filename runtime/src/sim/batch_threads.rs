//! The threads of a batch (`sim/batch.rs`): the projections on every
//! thread, then a pipeline whose workers run charms while the simulating
//! thread merges each result in the batch's order as it arrives. Nothing
//! here decides anything: which hooks, their inputs and the merge order
//! are fixed before, so the results do not depend on the threads.

use std::any::Any;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use super::super::SimError;
use super::super::model::Model;
use super::super::project::Sources;
use super::super::runner::{DispatchResult, Prepared, Shown, ToProject};
use crate::engine::{InRuntime, Runtime};
use crate::event::EventSpec;
use crate::run::{Charm, RunOptions, run_on};
use crate::state::State;

/// A poisoned lock only means another thread panicked; the data stays usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Items handed out once each, in order, to whichever thread asks next.
struct Queue<T> {
    items: Vec<Mutex<Option<T>>>,
    next: AtomicUsize,
}

impl<T> Queue<T> {
    fn new(items: Vec<T>) -> Queue<T> {
        Queue {
            items: items.into_iter().map(|i| Mutex::new(Some(i))).collect(),
            next: AtomicUsize::new(0),
        }
    }

    fn len(&self) -> usize {
        self.items.len()
    }

    /// The next item and its index; `None` once all were taken.
    fn take(&self) -> Option<(usize, T)> {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        let item = lock(self.items.get(i)?)
            .take()
            .expect("each item is taken once");
        Some((i, item))
    }
}

/// A hook projected for a batch: its State, the versions it was built
/// from, and what it is shown beside the others.
pub type Projected = (State, Sources, Shown);

/// Project each prepared hook's State against `model` on this thread and
/// every worker, with what it is shown (all the model reading a batch
/// does before its charms run, spread over the threads). The first
/// projection that failed, in the batch's order, is the error.
pub fn project_all(
    workers: &rayon::ThreadPool,
    model: &Model,
    batch: &[Prepared],
    inputs: Vec<ToProject>,
    paranoid: bool,
) -> Result<Vec<Projected>, SimError> {
    let inputs = Queue::new(inputs);
    let out: Vec<Mutex<Option<Result<Projected, SimError>>>> =
        batch.iter().map(|_| Mutex::new(None)).collect();
    let one = |input: ToProject, p: &Prepared| {
        let (state, versions) = input.project(model, p, paranoid)?;
        let shown = Shown::of(model, &p.name, &p.hook, &state);
        Ok((state, versions, shown))
    };
    let work = || {
        while let Some((i, input)) = inputs.take() {
            *lock(&out[i]) = Some(one(input, &batch[i]));
        }
    };
    workers.in_place_scope(|s| {
        for _ in 0..workers
            .current_num_threads()
            .min(batch.len().saturating_sub(1))
        {
            s.spawn(|_| work());
        }
        work();
    });
    (out.into_iter())
        .map(|o| {
            let o = o.into_inner().unwrap_or_else(|e| e.into_inner());
            o.expect("every projection ran")
        })
        .collect()
}

/// One hook's charm run, handed to whichever thread takes it.
pub struct Job<'a> {
    pub charm: &'a Charm,
    pub state: State,
    pub spec: EventSpec,
    pub disk: Option<PathBuf>,
}

/// Run `job` (any thread may): the single-event path with the model's fuel.
pub fn run_job(rt: &Runtime, fuel: Option<u64>, job: Job<'_>) -> DispatchResult {
    let charm = InRuntime {
        rt,
        charm: job.charm,
    };
    let opts = RunOptions::default()
        .fuel(fuel)
        .unit_dir(job.disk.as_deref());
    run_on(&charm, job.state, &job.spec, opts)
}

/// What a job left: its result, or the panic it raised (raised again on
/// the thread that asks for the result, as a hook run alone would raise it).
enum Outcome<R> {
    Done(Box<R>),
    Panicked(Box<dyn Any + Send>),
}

/// The jobs' outcomes by index, and how many threads wait for one.
struct Outcomes<R> {
    by_job: Vec<Option<Outcome<R>>>,
    waiting: usize,
}

/// A batch's jobs, taken by any thread in order, their outcomes collected
/// by index: workers call [`Pipeline::work`], the simulating thread asks
/// for each [`Pipeline::result`] in order and runs jobs itself meanwhile.
pub struct Pipeline<'a, J, R> {
    run: &'a (dyn Fn(J) -> R + Sync),
    jobs: Queue<J>,
    stopped: AtomicBool,
    outcomes: Mutex<Outcomes<R>>,
    arrived: Condvar,
}

impl<'a, J: Send, R: Send> Pipeline<'a, J, R> {
    pub fn new(run: &'a (dyn Fn(J) -> R + Sync), jobs: Vec<J>) -> Pipeline<'a, J, R> {
        let n = jobs.len();
        Pipeline {
            run,
            jobs: Queue::new(jobs),
            stopped: AtomicBool::new(false),
            outcomes: Mutex::new(Outcomes {
                by_job: (0..n).map(|_| None).collect(),
                waiting: 0,
            }),
            arrived: Condvar::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    /// A worker: run jobs until none is left or the batch stopped.
    pub fn work(&self) {
        loop {
            if self.stopped.load(Ordering::Relaxed) || !self.run_one() {
                break;
            }
        }
    }

    /// Take the next job and run it; false when none was left.
    fn run_one(&self) -> bool {
        let Some((i, job)) = self.jobs.take() else {
            return false;
        };
        let run = || (self.run)(job);
        let outcome = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
            Ok(r) => Outcome::Done(Box::new(r)),
            Err(panic) => Outcome::Panicked(panic),
        };
        let mut outcomes = lock(&self.outcomes);
        outcomes.by_job[i] = Some(outcome);
        let wake = outcomes.waiting > 0;
        drop(outcomes);
        // A wake is a system call: made only when a result is waited for.
        if wake {
            self.arrived.notify_all();
        }
        true
    }

    /// The result of job `i`, waiting for it (and running other jobs on
    /// this thread meanwhile). A job that panicked panics here, and no
    /// further job is handed out.
    pub fn result(&self, i: usize) -> R {
        loop {
            if let Some(outcome) = lock(&self.outcomes).by_job[i].take() {
                return match outcome {
                    Outcome::Done(r) => *r,
                    Outcome::Panicked(panic) => {
                        self.stop();
                        std::panic::resume_unwind(panic)
                    }
                };
            }
            if self.run_one() {
                continue;
            }
            let mut outcomes = lock(&self.outcomes);
            while outcomes.by_job[i].is_none() {
                outcomes.waiting += 1;
                outcomes = self
                    .arrived
                    .wait(outcomes)
                    .unwrap_or_else(|e| e.into_inner());
                outcomes.waiting -= 1;
            }
        }
    }

    /// Stop handing out jobs (the batch failed); running ones finish.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
#[path = "batch_threads_tests.rs"]
mod tests;
