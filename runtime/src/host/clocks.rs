//! `wasi:clocks/monotonic-clock` over the guest's [`VirtualClock`]: reads as
//! wasmtime-wasi's, but a subscription (what `time.sleep`, and `poll` or
//! `select` timeouts, become) is ready at once and moves the virtual clock
//! to its deadline instead of waiting in real time.

use wasmtime::component::{HasData, Resource, ResourceTable};
use wasmtime_wasi::WasiView;
use wasmtime_wasi::p2::bindings::clocks::monotonic_clock::{self, Duration, Instant};
use wasmtime_wasi::p2::{DynPollable, subscribe};

use super::HostState;
use crate::sandbox::VirtualClock;

/// The monotonic clock's host view: the clock and the resource table.
pub struct SleepClock<'a> {
    clock: &'a VirtualClock,
    table: &'a mut ResourceTable,
}

/// [`HasData`] for [`SleepClock`], for `add_to_linker`.
pub struct SleepClockData;

impl HasData for SleepClockData {
    type Data<'a> = SleepClock<'a>;
}

impl HostState {
    /// The monotonic clock's view (the WASI context made first if it was
    /// not yet: the clock is made with it).
    pub fn sleep_clock(&mut self) -> SleepClock<'_> {
        if self.clock.is_none() {
            let _ = self.ctx();
        }
        SleepClock {
            clock: self.clock.as_ref().expect("made with the WASI context"),
            table: &mut self.table,
        }
    }
}

impl monotonic_clock::Host for SleepClock<'_> {
    fn now(&mut self) -> wasmtime::Result<Instant> {
        Ok(wasmtime_wasi::HostMonotonicClock::now(self.clock))
    }

    fn resolution(&mut self) -> wasmtime::Result<Instant> {
        Ok(wasmtime_wasi::HostMonotonicClock::resolution(self.clock))
    }

    fn subscribe_instant(&mut self, when: Instant) -> wasmtime::Result<Resource<DynPollable>> {
        let deadline = self.table.push(self.clock.at(when))?;
        subscribe(self.table, deadline)
    }

    fn subscribe_duration(
        &mut self,
        duration: Duration,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        let deadline = self.table.push(self.clock.after(duration))?;
        subscribe(self.table, deadline)
    }
}
