//! `sandbox` imports: virtual time, seeded randomness, panic reports.

use super::HostState;
use crate::bindings::sandbox::Host;

/// Longest panic message kept; a guest cannot flood the host.
const MAX_PANIC_MESSAGE: usize = 16 * 1024;

impl Host for HostState {
    fn now(&mut self) -> wasmtime::Result<u64> {
        Ok(self.backend.now())
    }

    fn random_bytes(&mut self, len: u32) -> wasmtime::Result<Vec<u8>> {
        if len > 1 << 20 {
            wasmtime::bail!("random-bytes: {len} bytes asked, at most 1 MiB a call");
        }
        Ok(self.backend.random_bytes(len))
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
