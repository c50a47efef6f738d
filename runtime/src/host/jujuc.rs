//! `jujuc` import: the raw hook-tool call, answered by [`crate::jujuc`].
//!
//! Paths a tool reads or writes (`--file PATH`, `key#file=PATH`, `-o PATH`;
//! ops passes secret content as `key#file=<tmpfile>`) are the guest's: once
//! the guest has its writable directories (WASI guests), they resolve in
//! the guest's directories through [`crate::sandbox::GuestFs`]; otherwise
//! tools refuse paths, as [`crate::jujuc::run`] does.

use super::{HostState, stop};
use crate::bindings::jujuc::{Host, ToolOutput};
use crate::jujuc::FsHost;
use crate::limits::weigh;

impl Host for HostState {
    fn run(&mut self, argv: Vec<String>, stdin: Vec<u8>) -> wasmtime::Result<ToolOutput> {
        let asked = weigh(&argv) + stdin.len() as u64;
        if let Err(e) = self.meter.call(asked).map_err(stop)? {
            return Ok(crate::jujuc::error_output(&e.to_string()));
        }
        if let Some(out) = self.backend.raw_tool(&argv, &stdin) {
            let out = out.map_err(|m| wasmtime::format_err!("{m}"))?;
            let told = (out.stdout.len() + out.stderr.len()) as u64;
            if let Err(e) = self.meter.reply(told).map_err(stop)? {
                return Ok(crate::jujuc::error_output(&e.to_string()));
            }
            return Ok(out);
        }
        let now_ns = self.grants().now_ns;
        self.guest_fs();
        let out = match &self.guest_fs {
            Some(fs) => {
                let disk = Some(&*self.disk);
                let mut host = FsHost { fs, now_ns, disk };
                crate::jujuc::run_with(self.backend.as_mut(), &mut host, &argv, &stdin)
            }
            None => crate::jujuc::run(self.backend.as_mut(), &argv, &stdin),
        };
        let out = out.map_err(|m| wasmtime::format_err!("{m}"))?;
        let told = (out.stdout.len() + out.stderr.len()) as u64;
        if let Err(e) = self.meter.reply(told).map_err(stop)? {
            return Ok(crate::jujuc::error_output(&e.to_string()));
        }
        Ok(out)
    }
}
