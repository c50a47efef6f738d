//! Host work of one dispatch, metered like the guest's own: the host charges
//! fuel for the bytes it copies, parses and formats on the guest's behalf,
//! counts the bytes passed through host calls, and watches a wall-clock
//! deadline. Fuel owed is taken from the store when the host call returns
//! to the guest (a call hook); a guest that cannot pay ends out of fuel, as
//! it would running out in its own code.
//!
//! Shared (`Arc`) by the store's host state, the call hook, the epoch
//! callback and the WASI objects that do work for the guest (random draws,
//! file reads and writes).

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::limits::{
    CALL_OVERHEAD_BYTES, Exceeded, HOST_CALL_FUEL, HOST_FUEL_PER_BYTE, HostLimits, Limit,
};

/// Why the meter stopped the guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trip {
    /// The host's work left the event without fuel.
    OutOfFuel,
    /// The dispatch ran past its wall-clock deadline.
    Deadline(Duration),
    /// WASI work passed the I/O budget (a call that cannot return an error).
    Io(Exceeded),
}

/// One dispatch's meter (see the module).
///
/// Its counters are written only from the thread running the dispatch (the
/// call hook, the host calls, and the WASI objects they drive); atomics
/// make it shareable with those objects, and plain loads and stores keep a
/// host call's metering to a few nanoseconds.
#[derive(Debug)]
pub struct Meter {
    /// All fuel charged for host work in this dispatch.
    charged: AtomicU64,
    /// Of which already taken from the store.
    settled: AtomicU64,
    /// The store's fuel when the host last settled: an upper bound of what
    /// the guest has now (it has run since), against which long host work
    /// stops early. The settlement at the call's return is exact.
    fuel_at_entry: AtomicU64,
    /// Host calls in progress: a host call lowering its reply runs guest
    /// code (`cabi_realloc`), whose own calls to the host (libcalls such as
    /// `memory.grow`) nest. Fuel is only settled when the outermost returns:
    /// guest code does not reload its fuel after a libcall, so what a
    /// nested return set would be lost.
    depth: AtomicU32,
    /// Bytes passed through host calls so far.
    io: AtomicU64,
    io_limit: u64,
    /// Steps of long host work, to read the clock every
    /// [`STEPS_PER_CLOCK_READ`] of them.
    steps: AtomicU64,
    started: Instant,
    /// None: no deadline.
    deadline: Option<Duration>,
    tripped: Mutex<Option<Trip>>,
    /// Set with `tripped`: the call hook's fast path reads only this.
    stop: AtomicBool,
    /// The first request the host refused for a limit, for the failure
    /// message when the guest does not report it.
    refusal: Mutex<Option<String>>,
}

/// Steps of long host work between two reads of the clock.
const STEPS_PER_CLOCK_READ: u64 = 64;

/// `a += n` from the one thread that writes `a`; the new value.
fn add(a: &AtomicU64, n: u64) -> u64 {
    let v = a.load(Relaxed).saturating_add(n);
    a.store(v, Relaxed);
    v
}

impl Meter {
    /// A meter for a dispatch starting now under `limits` (a zero deadline:
    /// none).
    pub fn new(limits: &HostLimits) -> Meter {
        Meter {
            charged: AtomicU64::new(0),
            settled: AtomicU64::new(0),
            fuel_at_entry: AtomicU64::new(u64::MAX),
            depth: AtomicU32::new(0),
            io: AtomicU64::new(0),
            io_limit: limits.io_bytes,
            steps: AtomicU64::new(0),
            started: Instant::now(),
            deadline: (!limits.deadline.is_zero()).then_some(limits.deadline),
            tripped: Mutex::new(None),
            stop: AtomicBool::new(false),
            refusal: Mutex::new(None),
        }
    }

    /// Fuel for host work on `bytes` bytes.
    pub fn work(&self, bytes: u64) {
        add(&self.charged, bytes.saturating_mul(HOST_FUEL_PER_BYTE));
    }

    /// Fuel owed and not yet taken from the store.
    fn debt(&self) -> u64 {
        self.charged
            .load(Relaxed)
            .saturating_sub(self.settled.load(Relaxed))
    }

    /// A host call carrying `bytes` in: its base fuel and bytes, and its
    /// share of the I/O budget. Refused (its bytes not charged) over the
    /// budget; `Err(Trip)` when the guest can no longer pay: the caller
    /// traps. (The deadline is the epoch callback's to watch.)
    pub fn call(&self, bytes: u64) -> Result<Result<(), Exceeded>, Trip> {
        let io = self.io(bytes.saturating_add(CALL_OVERHEAD_BYTES));
        let fuel = match io {
            Ok(()) => bytes.saturating_mul(HOST_FUEL_PER_BYTE),
            Err(_) => 0,
        };
        add(&self.charged, HOST_CALL_FUEL.saturating_add(fuel));
        self.check()?;
        Ok(io)
    }

    /// A reply of `bytes` going out: its fuel and I/O.
    pub fn reply(&self, bytes: u64) -> Result<Result<(), Exceeded>, Trip> {
        let io = self.io(bytes);
        self.work(bytes);
        self.check()?;
        Ok(io)
    }

    /// Count `bytes` against the I/O budget.
    fn io(&self, bytes: u64) -> Result<(), Exceeded> {
        let after = self.io.load(Relaxed).saturating_add(bytes);
        if after > self.io_limit {
            let e = Exceeded {
                limit: Limit::Io,
                asked: after,
                max: self.io_limit,
            };
            self.refused(&e.to_string());
            return Err(e);
        }
        self.io.store(after, Relaxed);
        Ok(())
    }

    /// Bytes of WASI work that cannot be refused (a random draw, a clock
    /// read): counted, and over the budget the guest is stopped at the
    /// call's return.
    pub fn wasi_io(&self, bytes: u64) {
        self.work(bytes);
        if let Err(e) = self.io(bytes) {
            self.trip(Trip::Io(e));
        }
    }

    /// Note the first request the host refused for a limit.
    pub fn refused(&self, why: &str) {
        let mut r = self.refusal.lock().unwrap_or_else(|e| e.into_inner());
        if r.is_none() {
            *r = Some(why.to_string());
        }
    }

    /// The first refusal, if any.
    pub fn refusal(&self) -> Option<String> {
        self.refusal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Stop the guest at the next return from the host.
    pub fn trip(&self, why: Trip) {
        let mut t = self.tripped.lock().unwrap_or_else(|e| e.into_inner());
        if t.is_none() {
            *t = Some(why);
        }
        self.stop.store(true, Relaxed);
    }

    /// Why the guest was stopped, if it was.
    pub fn tripped(&self) -> Option<Trip> {
        if !self.stop.load(Relaxed) {
            return None;
        }
        self.tripped
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Fail when the guest must stop: a trip, or its debt beyond the fuel
    /// it had when it called the host.
    pub fn check(&self) -> Result<(), Trip> {
        if let Some(t) = self.tripped() {
            return Err(t);
        }
        if self.debt() > self.fuel_at_entry.load(Relaxed) {
            self.trip(Trip::OutOfFuel);
            return Err(Trip::OutOfFuel);
        }
        Ok(())
    }

    /// [`Self::check`], and the deadline: the epoch callback's check, and
    /// long host work's between steps.
    pub fn check_deadline(&self) -> Result<(), Trip> {
        self.check()?;
        if let Some(d) = self.deadline
            && self.started.elapsed() > d
        {
            self.trip(Trip::Deadline(d));
            return Err(Trip::Deadline(d));
        }
        Ok(())
    }

    /// One step of long host work costing `fuel`: whether to stop (the
    /// clock is read every [`STEPS_PER_CLOCK_READ`] steps).
    pub fn step(&self, fuel: u64) -> bool {
        add(&self.charged, fuel);
        if add(&self.steps, 1).is_multiple_of(STEPS_PER_CLOCK_READ) {
            self.check_deadline().is_err()
        } else {
            self.check().is_err()
        }
    }

    /// The guest called the host (nothing else to do: a libcall such as
    /// `memory.copy` is a host call too, and must stay cheap).
    pub fn entered(&self) {
        let d = self.depth.load(Relaxed);
        self.depth.store(d.saturating_add(1), Relaxed);
    }

    /// The fuel the guest started with (before its first host call).
    pub fn started_with(&self, fuel: u64) {
        self.fuel_at_entry.store(fuel, Relaxed);
    }

    /// The host returns to the guest: with nothing owed, nothing to do
    /// (`fuel` is not even read); else the fuel the guest should have left
    /// after paying the host's work, or the trip that stops it. A nested
    /// return only passes a trip on.
    pub fn returning(&self, fuel: impl FnOnce() -> u64) -> Result<Option<u64>, Trip> {
        let d = self.depth.load(Relaxed).saturating_sub(1);
        self.depth.store(d, Relaxed);
        let stop = self.stop.load(Relaxed);
        if d > 0 {
            return match stop {
                false => Ok(None),
                true => Err(self.tripped().unwrap_or(Trip::OutOfFuel)),
            };
        }
        let charged = self.charged.load(Relaxed);
        let debt = charged.saturating_sub(self.settled.load(Relaxed));
        if debt == 0 && !stop {
            return Ok(None);
        }
        self.settled.store(charged, Relaxed);
        if let Some(t) = self.tripped() {
            return Err(t);
        }
        match fuel().checked_sub(debt) {
            Some(left) => {
                self.fuel_at_entry.store(left, Relaxed);
                Ok(Some(left))
            }
            None => {
                self.trip(Trip::OutOfFuel);
                Err(Trip::OutOfFuel)
            }
        }
    }

    /// Fuel charged for host work in this dispatch.
    pub fn host_fuel(&self) -> u64 {
        self.charged.load(Relaxed)
    }

    /// Bytes passed through host calls in this dispatch.
    pub fn io_bytes(&self) -> u64 {
        self.io.load(Relaxed)
    }
}

thread_local! {
    /// The meter of the dispatch running on this thread, for host work deep
    /// in the backends (the simulated Pebble's timers).
    static CURRENT: std::cell::RefCell<Option<Arc<Meter>>> =
        const { std::cell::RefCell::new(None) };
}

/// Keeps a meter current on this thread until dropped.
pub(crate) struct Current(Option<Arc<Meter>>);

impl Current {
    /// Make `meter` the current one.
    pub(crate) fn install(meter: Arc<Meter>) -> Current {
        Current(CURRENT.with(|c| c.replace(Some(meter))))
    }
}

impl Drop for Current {
    fn drop(&mut self) {
        let previous = self.0.take();
        CURRENT.with(|c| {
            c.replace(previous);
        });
    }
}

/// A step of long host work for the running dispatch: charge its `fuel`,
/// and say whether to stop (the guest cannot pay, or the deadline passed;
/// the host call then ends and the guest stops on its return). Outside a
/// dispatch, never stop.
pub fn host_step(fuel: u64) -> bool {
    CURRENT.with(|c| c.borrow().as_ref().is_some_and(|m| m.step(fuel)))
}

impl std::fmt::Display for Trip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trip::OutOfFuel => f.write_str("out of fuel in a host call"),
            Trip::Deadline(d) => write!(
                f,
                "deadline exceeded: the event ran for more than {} of wall-clock time \
                 (--deadline-s)",
                humantime::format_duration(*d)
            ),
            Trip::Io(e) => e.fmt(f),
        }
    }
}

/// The error a host call returns to stop the guest.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct Stopped(pub Trip);

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(io: u64) -> HostLimits {
        HostLimits {
            io_bytes: io,
            ..HostLimits::default()
        }
    }

    #[test]
    fn host_work_is_paid_from_the_guests_fuel_on_return() {
        let m = Meter::new(&limits(1 << 30));
        m.started_with(10_000);
        m.entered();
        m.call(500).unwrap().unwrap();
        // A libcall nested in the call (lowering its reply) settles nothing.
        m.entered();
        assert_eq!(m.returning(|| 9_000), Ok(None));
        assert_eq!(
            m.returning(|| 10_000),
            Ok(Some(10_000 - HOST_CALL_FUEL - 500))
        );
        m.entered();
        assert_eq!(m.returning(|| unreachable!()), Ok(None), "paid once");
        // The guest has at most the 8,500 left at the last settlement.
        m.entered();
        assert_eq!(
            m.call(10_000),
            Err(Trip::OutOfFuel),
            "refused inside the call"
        );
        assert_eq!(m.returning(|| 100), Err(Trip::OutOfFuel));
        assert_eq!(m.host_fuel(), 2 * HOST_CALL_FUEL + 10_500);
    }

    #[test]
    fn io_over_the_budget_is_refused_and_noted() {
        let m = Meter::new(&limits(1000));
        assert!(m.call(500).unwrap().is_ok());
        let e = m.call(500).unwrap().unwrap_err();
        assert_eq!(e.limit, Limit::Io);
        assert_eq!(m.io_bytes(), 500 + CALL_OVERHEAD_BYTES);
        assert!(m.refusal().unwrap().contains("--max-io-mib"));
        m.wasi_io(10_000);
        assert!(matches!(m.check(), Err(Trip::Io(_))));
    }

    #[test]
    fn the_deadline_trips() {
        let m = Meter::new(&HostLimits {
            deadline: Duration::from_nanos(1),
            ..HostLimits::default()
        });
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(m.check(), Ok(()), "host calls do not read the clock");
        assert!(matches!(m.check_deadline(), Err(Trip::Deadline(_))));
        assert!(
            matches!(m.check(), Err(Trip::Deadline(_))),
            "once tripped, stays"
        );
        let none = Meter::new(&HostLimits {
            deadline: Duration::ZERO,
            ..HostLimits::default()
        });
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(none.check_deadline(), Ok(()));
    }
}
