//! The threads of a batch (`sim/batch.rs`): a pipeline whose workers run
//! each charm as soon as the simulating thread has projected its State,
//! while that thread goes on projecting, then merges each result in the
//! batch's order as it arrives. Nothing here decides anything: which hooks,
//! their inputs and the merge order are fixed before, so the results do not
//! depend on the threads.

use std::any::Any;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use super::super::runner::DispatchResult;
use crate::engine::{InRuntime, Runtime};
use crate::event::EventSpec;
use crate::run::{Charm, RunOptions, run_on};
use crate::state::State;

/// A poisoned lock only means another thread panicked; the data stays usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Items handed out once each, in order, to whichever thread asks next.
/// Items are pushed in order too, while takers may already be waiting: a
/// batch's charms start running as soon as their States are projected.
struct Queue<T> {
    items: Vec<Mutex<Option<T>>>,
    /// The next index to hand out.
    next: AtomicUsize,
    /// How many items were pushed.
    pushed: AtomicUsize,
    /// How many takers wait for an item not pushed yet.
    waiting: Mutex<usize>,
    arrived: Condvar,
}

/// How many times a taker looks again before it sleeps: a projection takes
/// a few microseconds, a wake-up in this VM costs more.
const SPINS: u32 = 500;

impl<T> Queue<T> {
    /// A queue for `n` items, none pushed yet.
    fn with_capacity(n: usize) -> Queue<T> {
        Queue {
            items: (0..n).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
            pushed: AtomicUsize::new(0),
            waiting: Mutex::new(0),
            arrived: Condvar::new(),
        }
    }

    fn len(&self) -> usize {
        self.items.len()
    }

    /// Put in the next item. Panics when all `n` were pushed.
    fn push(&self, item: T) {
        let i = self.pushed.load(Ordering::Relaxed);
        *lock(&self.items[i]) = Some(item);
        let waiting = lock(&self.waiting);
        self.pushed.store(i + 1, Ordering::Release);
        let wake = *waiting > 0;
        drop(waiting);
        // A wake is a system call: made only when a taker sleeps.
        if wake {
            self.arrived.notify_all();
        }
    }

    /// The next item and its index, waiting for it to be pushed; `None`
    /// once all were handed out, or when `stopped` while waiting.
    fn take(&self, stopped: &AtomicBool) -> Option<(usize, T)> {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        if i >= self.len() {
            return None;
        }
        let mut spins = 0;
        while self.pushed.load(Ordering::Acquire) <= i && spins < SPINS {
            if stopped.load(Ordering::Relaxed) {
                return None;
            }
            std::hint::spin_loop();
            spins += 1;
        }
        if self.pushed.load(Ordering::Acquire) <= i {
            let mut waiting = lock(&self.waiting);
            while self.pushed.load(Ordering::Acquire) <= i {
                if stopped.load(Ordering::Relaxed) {
                    return None;
                }
                *waiting += 1;
                waiting = (self.arrived.wait(waiting)).unwrap_or_else(|e| e.into_inner());
                *waiting -= 1;
            }
        }
        Some((i, self.take_at(i)))
    }

    /// The next item if it was pushed already; never waits.
    fn take_pushed(&self) -> Option<(usize, T)> {
        let mut i = self.next.load(Ordering::Relaxed);
        loop {
            if i >= self.pushed.load(Ordering::Acquire) {
                return None;
            }
            match (self.next).compare_exchange_weak(i, i + 1, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return Some((i, self.take_at(i))),
                Err(now) => i = now,
            }
        }
    }

    fn take_at(&self, i: usize) -> T {
        lock(&self.items[i])
            .take()
            .expect("each item is taken once")
    }

    /// Wake every waiting taker (to see that the batch stopped).
    fn wake_all(&self) {
        let waiting = lock(&self.waiting);
        drop(waiting);
        self.arrived.notify_all();
    }
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
    /// A pipeline for `n` jobs, to be [`Pipeline::push`]ed in order.
    pub fn with_capacity(run: &'a (dyn Fn(J) -> R + Sync), n: usize) -> Pipeline<'a, J, R> {
        Pipeline {
            run,
            jobs: Queue::with_capacity(n),
            stopped: AtomicBool::new(false),
            outcomes: Mutex::new(Outcomes {
                by_job: (0..n).map(|_| None).collect(),
                waiting: 0,
            }),
            arrived: Condvar::new(),
        }
    }

    /// A pipeline with every job already in.
    #[cfg(test)]
    pub fn new(run: &'a (dyn Fn(J) -> R + Sync), jobs: Vec<J>) -> Pipeline<'a, J, R> {
        let p = Pipeline::with_capacity(run, jobs.len());
        for job in jobs {
            p.push(job);
        }
        p
    }

    /// Hand in the next job: a worker waiting for it runs it.
    pub fn push(&self, job: J) {
        self.jobs.push(job);
    }

    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    /// A worker: run jobs, waiting for each to be pushed, until none is
    /// left or the batch stopped.
    pub fn work(&self) {
        while !self.stopped.load(Ordering::Relaxed) {
            let Some((i, job)) = self.jobs.take(&self.stopped) else {
                break;
            };
            self.run_one(i, job);
        }
    }

    /// Run job `i` and keep its outcome.
    fn run_one(&self, i: usize, job: J) {
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
    }

    /// The result of job `i`, waiting for it (and running other jobs
    /// already pushed on this thread meanwhile). A job that panicked panics
    /// here, and no further job is handed out.
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
            if !self.stopped.load(Ordering::Relaxed)
                && let Some((j, job)) = self.jobs.take_pushed()
            {
                self.run_one(j, job);
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

    /// Stop handing out jobs (the batch failed); running ones finish, and
    /// workers waiting for a job return.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
        self.jobs.wake_all();
    }
}

/// Stops a pipeline when dropped: a batch that failed (or panicked) on the
/// simulating thread lets go of the workers still waiting for a job.
pub struct StopOnExit<'p, 'a, J: Send, R: Send>(pub &'p Pipeline<'a, J, R>);

impl<J: Send, R: Send> Drop for StopOnExit<'_, '_, J, R> {
    fn drop(&mut self) {
        self.0.stop();
    }
}

#[cfg(test)]
#[path = "batch_threads_tests.rs"]
mod tests;
