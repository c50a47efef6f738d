//! The recorder: a backend wrapping another, logging every call and its
//! result in order. The wrapped backend knows nothing of it.

use super::format::{CallRecord, HostCall, HostResult, SandboxOp};
use crate::backend::pebble::{PebbleBackend, PebbleCall, PebbleResult};
use crate::backend::{
    Backend, HookCall, HookReply, HookTools, SandboxBackend, ToolError, ToolResult,
};

/// Records the calls answered by `inner`.
pub struct Recorder<B> {
    pub inner: B,
    pub calls: Vec<CallRecord>,
}

impl<B> Recorder<B> {
    pub fn new(inner: B) -> Self {
        Recorder {
            inner,
            calls: Vec::new(),
        }
    }

    fn log(&mut self, call: HostCall, result: HostResult) {
        self.calls.push(CallRecord { call, result });
    }
}

impl<B: HookTools> HookTools for Recorder<B> {
    fn call(&mut self, call: HookCall) -> ToolResult<HookReply> {
        let result = self.inner.call(call.clone());
        let logged = match &result {
            Ok(r) => HostResult::Hook(Ok(r.clone())),
            Err(ToolError::Hook(e)) => HostResult::Hook(Err(e.clone())),
            Err(ToolError::Fatal(m)) => HostResult::Fatal(m.clone()),
        };
        self.log(HostCall::HookTools { call }, logged);
        result
    }
}

impl<B: PebbleBackend> PebbleBackend for Recorder<B> {
    fn pebble(&mut self, container: &str, call: PebbleCall) -> PebbleResult {
        let result = self.inner.pebble(container, call.clone());
        let logged = match &result {
            Ok(r) => HostResult::Pebble(r.clone()),
            Err(m) => HostResult::Fatal(m.clone()),
        };
        self.log(
            HostCall::Pebble {
                container: container.to_string(),
                call,
            },
            logged,
        );
        result
    }
}

impl<B: SandboxBackend> SandboxBackend for Recorder<B> {
    fn now(&mut self) -> u64 {
        let t = self.inner.now();
        self.log(
            HostCall::Sandbox { op: SandboxOp::Now },
            HostResult::Time(t),
        );
        t
    }

    fn monotonic(&mut self) -> u64 {
        let t = self.inner.monotonic();
        self.log(
            HostCall::Sandbox {
                op: SandboxOp::Monotonic,
            },
            HostResult::Time(t),
        );
        t
    }

    fn random_bytes(&mut self, len: u32) -> Vec<u8> {
        let b = self.inner.random_bytes(len);
        self.log(
            HostCall::Sandbox {
                op: SandboxOp::RandomBytes(len),
            },
            HostResult::Bytes(b.clone()),
        );
        b
    }
}

impl<B: Backend> Backend for Recorder<B> {
    fn finish(&mut self, success: bool) -> Result<(), String> {
        self.inner.finish(success)
    }
}
