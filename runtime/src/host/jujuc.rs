//! `jujuc` import: the raw hook-tool call, answered by [`crate::jujuc`].

use super::HostState;
use crate::bindings::jujuc::{Host, ToolOutput};

impl Host for HostState {
    fn run(&mut self, argv: Vec<String>, stdin: Vec<u8>) -> wasmtime::Result<ToolOutput> {
        crate::jujuc::run(self.backend.as_mut(), &argv, &stdin)
            .map_err(|m| wasmtime::format_err!("{m}"))
    }
}
