//! The guest's virtual clock: it starts at the event's virtual time, moves
//! one microsecond per read, and jumps forward when the guest sleeps
//! (`wasi:clocks/monotonic-clock`'s subscriptions, which `time.sleep`,
//! `poll` and `select` timeouts become), so a sleeping charm costs no real
//! time and sees the time it asked to pass. Deterministic: the same reads
//! and sleeps give the same times.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use wasmtime_wasi::p2::Pollable;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock};

use super::WasiTap;
use crate::limits::{CALL_OVERHEAD_BYTES, Meter};

/// The most virtual time all of an event's sleeps may add (100 years): past
/// it a sleep no longer moves the clock (a guest asking to sleep forever
/// would otherwise overflow the wall clock).
pub const MAX_SLEPT_NS: u64 = 100 * 365 * 24 * 3600 * 1_000_000_000;

/// A clock that starts at a fixed time and moves one microsecond per read.
#[derive(Clone)]
pub struct VirtualClock {
    start_ns: u64,
    reads: Arc<AtomicU64>,
    /// Virtual nanoseconds the guest slept.
    slept: Arc<AtomicU64>,
    tap: Option<Arc<dyn WasiTap>>,
    /// Each read counts as a host call in the dispatch's I/O budget (a
    /// trace keeps a record of it).
    meter: Option<Arc<Meter>>,
}

impl VirtualClock {
    pub fn new(start_ns: u64) -> Self {
        VirtualClock {
            start_ns,
            reads: Arc::new(AtomicU64::new(0)),
            slept: Arc::new(AtomicU64::new(0)),
            tap: None,
            meter: None,
        }
    }

    pub(super) fn tapped(mut self, tap: Option<Arc<dyn WasiTap>>) -> Self {
        self.tap = tap;
        self
    }

    pub(super) fn metered(mut self, meter: Option<Arc<Meter>>) -> Self {
        self.meter = meter;
        self
    }

    /// The monotonic time without reading it (no tick, nothing told).
    fn current(&self) -> u64 {
        self.reads.load(Ordering::Relaxed) * 1_000 + self.slept.load(Ordering::Relaxed)
    }

    fn tick(&self) -> u64 {
        if let Some(m) = &self.meter {
            m.wasi_io(CALL_OVERHEAD_BYTES);
        }
        (self.reads.fetch_add(1, Ordering::Relaxed) + 1) * 1_000
            + self.slept.load(Ordering::Relaxed)
    }

    /// A deadline `ns` from now on the monotonic clock.
    pub fn after(&self, ns: u64) -> SleepDeadline {
        self.at(self.current().saturating_add(ns))
    }

    /// A deadline at monotonic time `when`.
    pub fn at(&self, when: u64) -> SleepDeadline {
        SleepDeadline {
            clock: self.clone(),
            when,
        }
    }

    /// Move the clock to `when` if it is not there yet (bounded by
    /// [`MAX_SLEPT_NS`]).
    fn sleep_until(&self, when: u64) {
        let now = self.current();
        if when > now {
            let room = MAX_SLEPT_NS.saturating_sub(self.slept.load(Ordering::Relaxed));
            self.slept
                .fetch_add((when - now).min(room), Ordering::Relaxed);
        }
    }
}

impl HostWallClock for VirtualClock {
    fn resolution(&self) -> Duration {
        Duration::from_micros(1)
    }
    fn now(&self) -> Duration {
        let ns = self.start_ns.saturating_add(self.tick());
        if let Some(t) = &self.tap {
            t.clock(false, ns);
        }
        Duration::from_nanos(ns)
    }
}

impl HostMonotonicClock for VirtualClock {
    fn resolution(&self) -> u64 {
        1_000
    }
    fn now(&self) -> u64 {
        let ns = self.tick();
        if let Some(t) = &self.tap {
            t.clock(true, ns);
        }
        ns
    }
}

/// A guest's sleep: ready at once, having moved the virtual clock to its
/// deadline.
pub struct SleepDeadline {
    clock: VirtualClock,
    when: u64,
}

#[async_trait::async_trait]
impl Pollable for SleepDeadline {
    async fn ready(&mut self) {
        self.clock.sleep_until(self.when);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll_once(d: &mut SleepDeadline) {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut fut = d.ready();
        assert!(
            fut.as_mut().poll(&mut cx).is_ready(),
            "a sleep never blocks"
        );
    }

    #[test]
    fn sleeping_moves_both_clocks_by_what_was_asked() {
        let clock = VirtualClock::new(1_000_000);
        let m0 = HostMonotonicClock::now(&clock);
        let w0 = HostWallClock::now(&clock);
        poll_once(&mut clock.after(2_000_000_000));
        let m1 = HostMonotonicClock::now(&clock);
        let w1 = HostWallClock::now(&clock);
        assert_eq!(m1 - m0, 2_000_000_000 + 2_000, "two seconds and two reads");
        assert_eq!((w1 - w0).as_nanos(), 2_000_000_000 + 2_000);
    }

    #[test]
    fn a_deadline_in_the_past_does_not_move_the_clock() {
        let clock = VirtualClock::new(0);
        let before = clock.at(0);
        let _ = HostMonotonicClock::now(&clock);
        let mut past = before;
        poll_once(&mut past);
        assert_eq!(HostMonotonicClock::now(&clock), 2_000);
        // An absolute deadline ahead moves the clock exactly there.
        poll_once(&mut clock.at(10_000_000));
        assert_eq!(HostMonotonicClock::now(&clock), 10_000_000 + 1_000);
    }

    #[test]
    fn sleeping_forever_is_bounded() {
        let clock = VirtualClock::new(u64::MAX / 2);
        poll_once(&mut clock.after(u64::MAX));
        poll_once(&mut clock.after(u64::MAX));
        let m = HostMonotonicClock::now(&clock);
        assert!(m <= MAX_SLEPT_NS + 1_000, "{m}");
        let w = HostWallClock::now(&clock);
        assert!(
            w.as_nanos() >= u128::from(u64::MAX / 2),
            "no overflow: {w:?}"
        );
    }
}
