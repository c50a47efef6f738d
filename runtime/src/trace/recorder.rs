//! The recorder: a backend wrapping another, logging every call and its
//! result in order. The wrapped backend knows nothing of it.

use std::sync::{Arc, Mutex};

use super::format::{CallRecord, HostCall, HostResult, KubernetesOp, SandboxOp, WasiOp, push_call};
use crate::backend::kubernetes::{KubernetesBackend, KubernetesResult};
use crate::backend::loopback::{LoopbackBackend, LoopbackCall, LoopbackResult};
use crate::backend::machine::{MachineBackend, MachineResult};
use crate::backend::pebble::{PebbleBackend, PebbleCall, PebbleResult};
use crate::backend::{
    Backend, HookCall, HookReply, HookTools, SandboxBackend, ToolError, ToolResult,
};
use crate::sandbox::WasiTap;

/// The calls of one dispatch, in order; shared with the WASI tap.
#[derive(Clone, Default)]
pub struct CallLog(Arc<Mutex<Vec<CallRecord>>>);

impl CallLog {
    fn push(&self, call: HostCall, result: HostResult) {
        let mut log = self.0.lock().unwrap_or_else(|e| e.into_inner());
        push_call(&mut log, CallRecord { call, result });
    }

    /// Everything logged so far.
    pub fn take(&self) -> Vec<CallRecord> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl WasiTap for CallLog {
    fn clock(&self, monotonic: bool, ns: u64) {
        let op = if monotonic {
            WasiOp::MonotonicClock
        } else {
            WasiOp::WallClock
        };
        self.push(HostCall::Wasi { op }, HostResult::Time(ns));
    }

    fn random(&self, insecure: bool, bytes: &[u8]) {
        let len = bytes.len() as u32;
        let op = if insecure {
            WasiOp::InsecureRandom(len)
        } else {
            WasiOp::Random(len)
        };
        self.push(HostCall::Wasi { op }, HostResult::Bytes(bytes.to_vec()));
    }
}

/// Records the calls answered by `inner`.
pub struct Recorder<B> {
    pub inner: B,
    log: CallLog,
}

impl<B> Recorder<B> {
    pub fn new(inner: B) -> Self {
        Recorder {
            inner,
            log: CallLog::default(),
        }
    }

    /// A handle on the log, for the WASI tap of the same dispatch.
    pub fn tap(&self) -> Arc<dyn WasiTap> {
        Arc::new(self.log.clone())
    }

    /// The wrapped backend and the calls recorded, in order.
    pub fn into_parts(self) -> (B, Vec<CallRecord>) {
        let calls = self.log.take();
        (self.inner, calls)
    }

    fn log(&mut self, call: HostCall, result: HostResult) {
        self.log.push(call, result);
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

impl<B: MachineBackend> MachineBackend for Recorder<B> {
    fn run_command(&mut self, argv: &[String], stdin: &[u8]) -> MachineResult {
        let result = self.inner.run_command(argv, stdin);
        let logged = match &result {
            Ok(r) => HostResult::Machine(r.clone()),
            Err(m) => HostResult::Fatal(m.clone()),
        };
        let call = HostCall::Machine {
            argv: argv.to_vec(),
            stdin: stdin.to_vec(),
        };
        self.log(call, logged);
        result
    }

    /// Not a call of the guest's: the files reach the backend unrecorded.
    fn keep_files(&mut self, files: std::collections::BTreeMap<String, Vec<u8>>) {
        self.inner.keep_files(files);
    }
}

impl<B: LoopbackBackend> LoopbackBackend for Recorder<B> {
    fn loopback(&mut self, port: u16, call: &LoopbackCall) -> LoopbackResult {
        let result = self.inner.loopback(port, call);
        let logged = match &result {
            Ok(r) => HostResult::Loopback(r.clone()),
            Err(m) => HostResult::Fatal(m.clone()),
        };
        let call = HostCall::Loopback {
            port,
            call: call.clone(),
        };
        self.log(call, logged);
        result
    }
}

impl<B: KubernetesBackend> Recorder<B> {
    fn kubernetes(&mut self, op: KubernetesOp, result: KubernetesResult) -> KubernetesResult {
        let logged = match &result {
            Ok(r) => HostResult::Kubernetes(r.clone()),
            Err(m) => HostResult::Fatal(m.clone()),
        };
        self.log(HostCall::Kubernetes { op }, logged);
        result
    }
}

impl<B: KubernetesBackend> KubernetesBackend for Recorder<B> {
    fn statefulset_partition(&mut self) -> KubernetesResult {
        let r = self.inner.statefulset_partition();
        self.kubernetes(KubernetesOp::StatefulsetPartition, r)
    }

    fn set_statefulset_partition(&mut self, partition: u32) -> KubernetesResult {
        let r = self.inner.set_statefulset_partition(partition);
        self.kubernetes(KubernetesOp::SetStatefulsetPartition(partition), r)
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

    fn sleep(&mut self, ns: u64) -> u64 {
        let moved = self.inner.sleep(ns);
        self.log(
            HostCall::Sandbox {
                op: SandboxOp::Sleep(ns),
            },
            HostResult::Time(moved),
        );
        moved
    }
}

impl<B: Backend> Backend for Recorder<B> {
    fn finish(&mut self, success: bool) -> Result<(), String> {
        self.inner.finish(success)
    }

    fn set_limits(&mut self, limits: &crate::limits::HostLimits) {
        self.inner.set_limits(limits)
    }

    fn raw_tool(&mut self, argv: &[String], stdin: &[u8]) -> Option<crate::backend::RawToolResult> {
        let result = self.inner.raw_tool(argv, stdin)?;
        let logged = match &result {
            Ok(o) => HostResult::Tool {
                code: o.code,
                stdout: o.stdout.clone(),
                stderr: o.stderr.clone(),
            },
            Err(m) => HostResult::Fatal(m.clone()),
        };
        let call = HostCall::Jujuc {
            argv: argv.to_vec(),
            stdin: stdin.to_vec(),
        };
        self.log(call, logged);
        Some(result)
    }
}
