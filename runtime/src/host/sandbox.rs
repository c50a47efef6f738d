//! `sandbox` imports: virtual time, seeded randomness, panic reports.

use super::{HostState, stop};
use crate::bindings::sandbox::Host;
use crate::limits::{MAX_RANDOM_BYTES, mib};

/// Longest panic message kept; a guest cannot flood the host.
const MAX_PANIC_MESSAGE: usize = 16 * 1024;

impl HostState {
    /// Meter a sandbox call whose reply is `bytes` long: nothing to refuse
    /// but the guest's stop (an over-budget draw stops it too).
    pub(super) fn sandbox_call(&mut self, bytes: u64) -> wasmtime::Result<()> {
        let over = self.meter.call(0).map_err(stop)?;
        let out = self.meter.reply(bytes).map_err(stop)?;
        if let Err(e) = over.and(out) {
            return Err(stop(crate::limits::Trip::Io(e)));
        }
        Ok(())
    }
}

impl Host for HostState {
    fn now(&mut self) -> wasmtime::Result<u64> {
        self.sandbox_call(0)?;
        Ok(self.backend.now())
    }

    fn random_bytes(&mut self, len: u32) -> wasmtime::Result<Vec<u8>> {
        if u64::from(len) > MAX_RANDOM_BYTES {
            wasmtime::bail!(
                "random-bytes: {len} bytes asked, the host gives at most {} a call",
                mib(MAX_RANDOM_BYTES)
            );
        }
        self.sandbox_call(u64::from(len))?;
        Ok(self.backend.random_bytes(len))
    }

    fn sleep(&mut self, ns: u64) -> wasmtime::Result<()> {
        self.sandbox_call(0)?;
        self.backend.sleep(ns);
        Ok(())
    }

    fn report_panic(&mut self, mut message: String) -> wasmtime::Result<()> {
        if message.len() > MAX_PANIC_MESSAGE {
            let mut cut = MAX_PANIC_MESSAGE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
        }
        self.panic_message = Some(message);
        Ok(())
    }
}
