//! `jujuc` import: the raw hook-tool call, answered by [`crate::jujuc`].
//!
//! Paths a tool reads or writes (`--file PATH`, `key#file=PATH`, `-o PATH`;
//! ops passes secret content as `key#file=<tmpfile>`) are the guest's: once
//! the guest has its writable directories (WASI guests), they resolve in
//! the unit directory, laid out as the guest sees it; otherwise tools refuse
//! paths, as [`crate::jujuc::run`] does.

use super::HostState;
use crate::bindings::jujuc::{Host, ToolOutput};
use crate::jujuc::DirHost;

impl Host for HostState {
    fn run(&mut self, argv: Vec<String>, stdin: Vec<u8>) -> wasmtime::Result<ToolOutput> {
        let dir_host = self.unit_dirs().map(|dirs| DirHost {
            root: dirs.root().to_path_buf(),
            cwd: self
                .grants()
                .charm_dir
                .as_ref()
                .map_or_else(|| "/".to_string(), |(_, guest)| guest.clone()),
            now_ns: self.grants().now_ns,
        });
        let out = match dir_host {
            Some(mut host) => {
                crate::jujuc::run_with(self.backend.as_mut(), &mut host, &argv, &stdin)
            }
            None => crate::jujuc::run(self.backend.as_mut(), &argv, &stdin),
        };
        out.map_err(|m| wasmtime::format_err!("{m}"))
    }
}
