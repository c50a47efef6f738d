//! Replaying a dispatch recorded under a real unit agent against a changed
//! charm. Such a trace has no State to run the new charm from — the unit
//! knew only what Juju and Pebble answered — so the world is the recorded
//! answers: each call of the new charm is answered by an unused recorded
//! call equal to it; a write the recording lacks is accepted as Juju
//! accepts a valid one; a read it lacks cannot be answered, and fails the
//! call, naming it. The comparison then shows where the new charm went
//! its own way.

use super::format::{CallRecord, HostCall, HostResult, KubernetesOp};
use crate::backend::kubernetes::{KubernetesBackend, KubernetesResult};
use crate::backend::loopback::{LoopbackBackend, LoopbackCall, LoopbackResult};
use crate::backend::machine::{MachineBackend, MachineResult};
use crate::backend::pebble::{PebbleBackend, PebbleCall, PebbleResult};
use crate::backend::sandbox::VirtualSandbox;
use crate::backend::{
    Backend, HookCall, HookReply, HookTools, RawToolResult, SandboxBackend, ToolError, ToolResult,
};
use crate::bindings::jujuc::ToolOutput;

/// The hook tools whose success answers nothing but "done".
const WRITE_TOOLS: &[&str] = &[
    "status-set",
    "application-version-set",
    "juju-log",
    "relation-set",
    "state-set",
    "state-delete",
    "leader-set",
    "open-port",
    "close-port",
    "action-set",
    "action-log",
    "action-fail",
    "secret-set",
    "secret-remove",
    "secret-grant",
    "secret-revoke",
    "storage-add",
    "juju-reboot",
];

/// Answers from one recorded dispatch's calls, in any order.
pub struct RecordedWorld {
    records: Vec<Option<CallRecord>>,
    sandbox: VirtualSandbox,
}

impl RecordedWorld {
    /// The answers of `calls`; the clock starts at `now_ns`, randomness
    /// from `seed`, as the live backend's did.
    pub fn new(calls: &[CallRecord], now_ns: u64, seed: u64) -> Self {
        RecordedWorld {
            records: calls
                .iter()
                .filter(|c| !matches!(c.call, HostCall::Wasi { .. } | HostCall::Sandbox { .. }))
                .cloned()
                .map(Some)
                .collect(),
            sandbox: VirtualSandbox::new(now_ns, seed),
        }
    }

    /// The recorded answer to `call`, used once.
    fn take(&mut self, call: &HostCall) -> Option<HostResult> {
        let slot = self
            .records
            .iter_mut()
            .find(|r| r.as_ref().is_some_and(|r| &r.call == call))?;
        slot.take().map(|r| r.result)
    }
}

fn unanswered(what: &str) -> String {
    format!(
        "the recorded dispatch has no answer for {what}: the new charm asks what the recorded one did not"
    )
}

impl HookTools for RecordedWorld {
    fn call(&mut self, call: HookCall) -> ToolResult<HookReply> {
        let host = HostCall::HookTools { call: call.clone() };
        match self.take(&host) {
            Some(HostResult::Hook(Ok(r))) => Ok(r),
            Some(HostResult::Hook(Err(e))) => Err(ToolError::Hook(e)),
            Some(HostResult::Fatal(m)) => Err(ToolError::Fatal(m)),
            Some(_) => Err(ToolError::Fatal(unanswered(call.tool_name()))),
            None if WRITE_TOOLS.contains(&call.tool_name()) => Ok(HookReply::Done),
            None => Err(ToolError::Fatal(unanswered(&format!("{call:?}")))),
        }
    }
}

impl PebbleBackend for RecordedWorld {
    fn pebble(&mut self, container: &str, call: PebbleCall) -> PebbleResult {
        let host = HostCall::Pebble {
            container: container.to_string(),
            call: call.clone(),
        };
        match self.take(&host) {
            Some(HostResult::Pebble(r)) => Ok(r),
            Some(HostResult::Fatal(m)) => Err(m),
            _ => Err(unanswered(&format!("Pebble's {call:?} on {container:?}"))),
        }
    }
}

impl MachineBackend for RecordedWorld {
    fn run_command(&mut self, argv: &[String], stdin: &[u8]) -> MachineResult {
        let host = HostCall::Machine {
            argv: argv.to_vec(),
            stdin: stdin.to_vec(),
        };
        match self.take(&host) {
            Some(HostResult::Machine(r)) => Ok(r),
            Some(HostResult::Fatal(m)) => Err(m),
            _ => Err(unanswered(&format!("the machine command {argv:?}"))),
        }
    }
}

impl LoopbackBackend for RecordedWorld {
    fn loopback(&mut self, port: u16, call: &LoopbackCall) -> LoopbackResult {
        let host = HostCall::Loopback {
            port,
            call: call.clone(),
        };
        match self.take(&host) {
            Some(HostResult::Loopback(r)) => Ok(r),
            Some(HostResult::Fatal(m)) => Err(m),
            _ => Err(unanswered(&format!(
                "the loopback call {call:?} on port {port}"
            ))),
        }
    }
}

impl RecordedWorld {
    fn kubernetes(&mut self, op: KubernetesOp) -> KubernetesResult {
        match self.take(&HostCall::Kubernetes { op: op.clone() }) {
            Some(HostResult::Kubernetes(r)) => Ok(r),
            Some(HostResult::Fatal(m)) => Err(m),
            _ => Err(unanswered(&format!("the Kubernetes operation {op:?}"))),
        }
    }
}

impl KubernetesBackend for RecordedWorld {
    fn statefulset_partition(&mut self) -> KubernetesResult {
        self.kubernetes(KubernetesOp::StatefulsetPartition)
    }

    fn set_statefulset_partition(&mut self, partition: u32) -> KubernetesResult {
        self.kubernetes(KubernetesOp::SetStatefulsetPartition(partition))
    }
}

impl SandboxBackend for RecordedWorld {
    fn now(&mut self) -> u64 {
        self.sandbox.now()
    }

    fn monotonic(&mut self) -> u64 {
        self.sandbox.monotonic()
    }

    fn random_bytes(&mut self, len: u32) -> Vec<u8> {
        self.sandbox.random_bytes(len)
    }

    fn sleep(&mut self, ns: u64) -> u64 {
        self.sandbox.sleep(ns)
    }
}

impl Backend for RecordedWorld {
    fn finish(&mut self, _success: bool) -> Result<(), String> {
        Ok(())
    }

    fn raw_tool(&mut self, argv: &[String], stdin: &[u8]) -> Option<RawToolResult> {
        let host = HostCall::Jujuc {
            argv: argv.to_vec(),
            stdin: stdin.to_vec(),
        };
        Some(match self.take(&host) {
            Some(HostResult::Tool {
                code,
                stdout,
                stderr,
            }) => Ok(ToolOutput {
                code,
                stdout,
                stderr,
            }),
            Some(HostResult::Fatal(m)) => Err(m),
            _ if argv
                .first()
                .is_some_and(|t| WRITE_TOOLS.contains(&t.as_str())) =>
            {
                Ok(ToolOutput {
                    code: 0,
                    stdout: Vec::new(),
                    stderr: Vec::new(),
                })
            }
            _ => Err(unanswered(&argv.join(" "))),
        })
    }
}
