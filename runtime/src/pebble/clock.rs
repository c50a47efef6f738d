//! Virtual time: a clock that only moves when the simulation is told to
//! wait, and a queue of timers that fire in order as it moves. There are no
//! threads and no real clock, so every run is the same.

use std::collections::BTreeMap;

use crate::go::duration::Duration;
pub use crate::state::container::Timer;

/// Nanoseconds since the Unix epoch, virtual.
pub type Instant = i64;

/// The clock and its pending timers.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    now: Instant,
    seq: u64,
    timers: BTreeMap<(Instant, u64), Timer>,
}

impl Clock {
    pub fn new(now: Instant) -> Clock {
        Clock {
            now,
            seq: 0,
            timers: BTreeMap::new(),
        }
    }

    pub fn now(&self) -> Instant {
        self.now
    }

    /// Schedule `timer` after `delay` (negative delays fire now).
    pub fn after(&mut self, delay: Duration, timer: Timer) {
        let at = self.now.saturating_add(delay.0.max(0));
        self.seq += 1;
        self.timers.insert((at, self.seq), timer);
    }

    /// The next timer and when it fires.
    pub fn peek(&self) -> Option<(Instant, &Timer)> {
        self.timers.iter().next().map(|((t, _), timer)| (*t, timer))
    }

    /// When the next timer fires.
    pub fn next_due(&self) -> Option<Instant> {
        self.timers.keys().next().map(|(t, _)| *t)
    }

    /// Take the next timer due at or before `limit`, moving the clock to it.
    pub fn pop_due(&mut self, limit: Instant) -> Option<Timer> {
        let (&(at, seq), _) = self.timers.iter().next()?;
        if at > limit {
            return None;
        }
        let timer = self.timers.remove(&(at, seq))?;
        self.now = self.now.max(at);
        Some(timer)
    }

    /// Move the clock forward (never back) without firing anything.
    pub fn set_now(&mut self, t: Instant) {
        self.now = self.now.max(t);
    }

    /// Drop the timers matching `pred`.
    pub fn cancel(&mut self, pred: impl Fn(&Timer) -> bool) {
        self.timers.retain(|_, t| !pred(t));
    }

    /// Pending timers, in firing order (for persisting them).
    pub fn pending(&self) -> impl Iterator<Item = (Instant, &Timer)> {
        self.timers.iter().map(|((t, _), timer)| (*t, timer))
    }

    /// Re-add a persisted timer at its instant.
    pub fn restore(&mut self, at: Instant, timer: Timer) {
        self.seq += 1;
        self.timers.insert((at, self.seq), timer);
    }
}

/// Go's `time.RFC3339Nano` in UTC (`2026-01-01T00:00:01.5Z`).
pub fn rfc3339_nano(t: Instant) -> String {
    crate::go::time::format_time(i128::from(t))
}

/// Go's `time.RFC3339` in UTC (whole seconds), as in task logs.
pub fn rfc3339(t: Instant) -> String {
    crate::go::time::format_time(i128::from(t.div_euclid(1_000_000_000)) * crate::go::time::NS)
}

/// Parse an RFC 3339 time to an instant.
pub fn parse_rfc3339(s: &str) -> Option<Instant> {
    crate::sandbox::parse_rfc3339_ns(s).and_then(|n| i64::try_from(n).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_times() {
        let t = 1_767_225_600_000_000_000; // 2026-01-01T00:00:00Z
        assert_eq!(rfc3339_nano(t), "2026-01-01T00:00:00Z");
        assert_eq!(rfc3339_nano(t + 1_500_000_000), "2026-01-01T00:00:01.5Z");
        assert_eq!(rfc3339(t + 86_399_999_999_999), "2026-01-01T23:59:59Z");
        assert_eq!(
            parse_rfc3339("2026-01-01T00:00:01.5Z"),
            Some(t + 1_500_000_000)
        );
    }

    #[test]
    fn timers_fire_in_order() {
        let mut c = Clock::new(0);
        c.after(
            Duration(20),
            Timer::CheckTick {
                check: "b".into(),
                epoch: 0,
            },
        );
        c.after(
            Duration(10),
            Timer::CheckTick {
                check: "a".into(),
                epoch: 0,
            },
        );
        c.after(
            Duration(10),
            Timer::CheckTick {
                check: "c".into(),
                epoch: 0,
            },
        );
        assert_eq!(c.next_due(), Some(10));
        let names: Vec<String> = std::iter::from_fn(|| c.pop_due(15))
            .map(|t| match t {
                Timer::CheckTick { check, .. } => check,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(names, ["a", "c"]);
        assert_eq!(c.now(), 10);
    }
}
