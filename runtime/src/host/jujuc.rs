//! `jujuc` import: the raw hook-tool call, answered by [`crate::jujuc`].
//!
//! Paths a tool reads or writes (`--file PATH`, `key#file=PATH`, `-o PATH`;
//! ops passes secret content as `key#file=<tmpfile>`) are the guest's: once
//! the guest has its writable directories (WASI guests), they resolve in
//! the guest's directories through [`crate::sandbox::GuestFs`]; otherwise
//! tools refuse paths, as [`crate::jujuc::run`] does.

use super::HostState;
use crate::bindings::jujuc::{Host, ToolOutput};
use crate::jujuc::FsHost;

impl Host for HostState {
    fn run(&mut self, argv: Vec<String>, stdin: Vec<u8>) -> wasmtime::Result<ToolOutput> {
        let now_ns = self.grants().now_ns;
        self.guest_fs();
        let out = match &self.guest_fs {
            Some(fs) => {
                let mut host = FsHost { fs, now_ns };
                crate::jujuc::run_with(self.backend.as_mut(), &mut host, &argv, &stdin)
            }
            None => crate::jujuc::run(self.backend.as_mut(), &argv, &stdin),
        };
        out.map_err(|m| wasmtime::format_err!("{m}"))
    }
}
