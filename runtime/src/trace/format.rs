//! The trace's lines: a header, then per dispatch a `dispatch` line, one
//! `call` line per host call, and an `outcome` line.

use serde::{Deserialize, Serialize};

use crate::backend::pebble::{PebbleCall, PebbleReply};
use crate::backend::{HookCall, HookReply};
use crate::bindings::event::Event;
use crate::bindings::pebble::PebbleError;
use crate::bindings::types::HookError;
use crate::engine::{Charm, Outcome, Runtime};
use crate::state::State;

/// The `format` field of every header.
pub const TRACE_FORMAT: &str = "charmbox-trace";
/// The version this build writes and reads.
pub const TRACE_VERSION: u32 = 2;

/// One line of a trace.
// Lines are built and parsed one at a time, never stored in bulk: the size
// difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum TraceLine {
    Header(Header),
    Dispatch(DispatchLine),
    Call(CallLine),
    Outcome(OutcomeLine),
}

/// What produced the trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub format: String,
    pub version: u32,
    pub charmbox: String,
    pub charm: String,
    /// sha256 of the component.
    pub component: String,
    pub engine: EngineSettings,
    pub seed: u64,
    /// What recorded it when not charmbox's own backends:
    /// [`RECORDED_BY_AGENT`] for a packed charm under a Juju unit agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_by: Option<String>,
}

/// [`Header::recorded_by`] of a packed charm's traces: the world's answers
/// came from Juju's real tools and Pebble.
pub const RECORDED_BY_AGENT: &str = "juju-unit-agent";

impl Header {
    /// The header of a trace of runs of `charm` in `rt`.
    pub fn for_charm(charm: &Charm, rt: &Runtime, fuel: Option<u64>, seed: u64) -> Header {
        Header {
            format: TRACE_FORMAT.into(),
            version: TRACE_VERSION,
            charmbox: env!("CARGO_PKG_VERSION").into(),
            charm: charm.meta.name.clone(),
            component: charm.component.hash.clone(),
            engine: EngineSettings {
                fuel_per_event: fuel.unwrap_or(rt.config().fuel_per_event),
                max_memory: rt.config().max_memory,
                nan_canonicalization: true,
            },
            seed,
            recorded_by: None,
        }
    }
}

/// What a native trace names as its component: the charm ran as a process.
pub const NATIVE_COMPONENT: &str = "native";

impl Header {
    /// The header of a trace of native runs of the charm `name`.
    pub fn for_native(name: &str, seed: u64) -> Header {
        let defaults = crate::engine::RuntimeConfig::default();
        Header {
            format: TRACE_FORMAT.into(),
            version: TRACE_VERSION,
            charmbox: env!("CARGO_PKG_VERSION").into(),
            charm: name.into(),
            component: NATIVE_COMPONENT.into(),
            engine: EngineSettings {
                fuel_per_event: defaults.fuel_per_event,
                max_memory: defaults.max_memory,
                nan_canonicalization: true,
            },
            seed,
            recorded_by: None,
        }
    }

    /// Whether the trace was recorded from a native charm.
    pub fn is_native(&self) -> bool {
        self.component == NATIVE_COMPONENT
    }
}

/// The sandbox settings that change what a guest can do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineSettings {
    pub fuel_per_event: u64,
    pub max_memory: usize,
    pub nan_canonicalization: bool,
}

/// The start of a dispatch: the event and the model as the unit sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispatchLine {
    pub n: u32,
    pub unit: String,
    /// The event name as given (hook or action name).
    pub name: String,
    pub action: bool,
    pub event: Event,
    /// The dispatch environment, sorted by name (the guest's WASI
    /// environment and `event.environment`'s answer).
    pub env: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<serde_json::Map<String, serde_json::Value>>,
    pub snapshot: State,
}

/// One host call and its result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallLine {
    pub n: u32,
    pub seq: u32,
    #[serde(flatten)]
    pub record: CallRecord,
}

/// A call as the recorder saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRecord {
    pub call: HostCall,
    pub result: HostResult,
}

/// The most bytes one `wasi` random line holds: a longer run of draws
/// goes on over the next lines.
pub const MAX_RANDOM_RUN: usize = 64 * 1024;

impl CallRecord {
    /// Folds `next` into this record when both are WASI random draws from
    /// the same generator and the run stays within [`MAX_RANDOM_RUN`]
    /// bytes; gives `next` back otherwise.
    ///
    /// wasmtime-wasi draws a `u32` from the generator for each byte a guest
    /// asks for, so one `get-random-bytes` is hundreds of draws. A trace
    /// keeps each unbroken run as one line: the recorder as it logs, the
    /// reader for traces written before it did.
    pub fn absorb(&mut self, next: CallRecord) -> Option<CallRecord> {
        let (
            HostCall::Wasi { op: ours },
            HostResult::Bytes(have),
            HostCall::Wasi { op: theirs },
            HostResult::Bytes(more),
        ) = (&mut self.call, &mut self.result, &next.call, &next.result)
        else {
            return Some(next);
        };
        let (n, m) = match (ours, theirs) {
            (WasiOp::Random(n), WasiOp::Random(m))
            | (WasiOp::InsecureRandom(n), WasiOp::InsecureRandom(m)) => (n, *m),
            _ => return Some(next),
        };
        match n.checked_add(m) {
            Some(total) if have.len() + more.len() <= MAX_RANDOM_RUN => {
                *n = total;
                have.extend_from_slice(more);
                None
            }
            _ => Some(next),
        }
    }
}

/// Appends `record` to `calls`, folding a run of random draws into one
/// record ([`CallRecord::absorb`]).
pub fn push_call(calls: &mut Vec<CallRecord>, record: CallRecord) {
    let record = match calls.last_mut() {
        Some(last) => match last.absorb(record) {
            Some(record) => record,
            None => return,
        },
        None => record,
    };
    calls.push(record);
}

/// A call on one of the backend's interfaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "interface", rename_all = "kebab-case")]
pub enum HostCall {
    HookTools {
        #[serde(flatten)]
        call: HookCall,
    },
    Pebble {
        container: String,
        #[serde(flatten)]
        call: PebbleCall,
    },
    Sandbox {
        op: SandboxOp,
    },
    /// A Kubernetes API operation.
    Kubernetes {
        op: KubernetesOp,
    },
    /// HTTP to a workload on the unit's loopback address.
    Loopback {
        port: u16,
        #[serde(flatten)]
        call: crate::backend::loopback::LoopbackCall,
    },
    /// A command on the unit's machine.
    Machine {
        argv: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        stdin: Vec<u8>,
    },
    /// The raw `jujuc` import passed to a real hook tool (a packed charm
    /// under a unit agent): argv and stdin as the guest gave them.
    Jujuc {
        argv: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        stdin: Vec<u8>,
    },
    /// A WASI guest's clock or random read (not an import of the world:
    /// regenerated from the seed on replay, recorded so a trace shows it).
    Wasi {
        op: WasiOp,
    },
}

/// A WASI clock or random read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WasiOp {
    WallClock,
    MonotonicClock,
    Random(u32),
    InsecureRandom(u32),
}

/// A `kubernetes` operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KubernetesOp {
    StatefulsetPartition,
    SetStatefulsetPartition(u32),
}

/// A `sandbox` read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxOp {
    Now,
    Monotonic,
    RandomBytes(u32),
    /// `sleep(ns)`; its answer is the time it moved.
    Sleep(u64),
}

/// What a call answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostResult {
    Hook(Result<HookReply, HookError>),
    Pebble(Result<PebbleReply, PebbleError>),
    Machine(crate::backend::machine::CommandResult),
    Loopback(crate::backend::loopback::LoopbackAnswer),
    Kubernetes(Result<u32, crate::backend::kubernetes::KubernetesError>),
    Time(u64),
    /// A real hook tool's exit code and output.
    Tool {
        code: i32,
        stdout: Vec<u8>,
        stderr: Vec<u8>,
    },
    Bytes(Vec<u8>),
    /// The backend failed fatally (the guest trapped).
    Fatal(String),
}

/// The end of a dispatch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeLine {
    pub n: u32,
    pub outcome: Outcome,
    pub fuel_used: u64,
    pub logs: Vec<crate::backend::unit::LogLine>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<crate::backend::unit::ActionReport>,
    /// What the commit changed: JSON-pointer paths of the State.
    pub delta: Vec<super::delta::Change>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draw(insecure: bool, bytes: &[u8]) -> CallRecord {
        let len = bytes.len() as u32;
        let op = if insecure {
            WasiOp::InsecureRandom(len)
        } else {
            WasiOp::Random(len)
        };
        CallRecord {
            call: HostCall::Wasi { op },
            result: HostResult::Bytes(bytes.to_vec()),
        }
    }

    fn clock(ns: u64) -> CallRecord {
        CallRecord {
            call: HostCall::Wasi {
                op: WasiOp::MonotonicClock,
            },
            result: HostResult::Time(ns),
        }
    }

    #[test]
    fn a_run_of_draws_from_one_generator_is_one_record() {
        let mut calls = Vec::new();
        for b in [[1, 2, 3, 4], [5, 6, 7, 8]] {
            push_call(&mut calls, draw(false, &b));
        }
        push_call(&mut calls, draw(true, &[9]));
        push_call(&mut calls, draw(true, &[10]));
        push_call(&mut calls, clock(7));
        push_call(&mut calls, draw(false, &[11]));
        assert_eq!(
            calls,
            [
                draw(false, &[1, 2, 3, 4, 5, 6, 7, 8]),
                draw(true, &[9, 10]),
                clock(7),
                draw(false, &[11]),
            ]
        );
    }

    #[test]
    fn a_run_longer_than_the_cap_goes_on_in_the_next_record() {
        let mut calls = Vec::new();
        let chunk = vec![7u8; MAX_RANDOM_RUN / 2];
        for _ in 0..3 {
            push_call(&mut calls, draw(false, &chunk));
        }
        let lens: Vec<usize> = (calls.iter())
            .map(|c| match &c.result {
                HostResult::Bytes(b) => b.len(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(lens, [MAX_RANDOM_RUN, MAX_RANDOM_RUN / 2]);
        assert_eq!(
            calls[0].call,
            HostCall::Wasi {
                op: WasiOp::Random(MAX_RANDOM_RUN as u32)
            }
        );
    }

    /// A hostile trace's lengths need not add up: no overflow, no panic.
    #[test]
    fn lengths_that_would_overflow_are_not_folded() {
        let mut big = draw(false, &[1]);
        big.call = HostCall::Wasi {
            op: WasiOp::Random(u32::MAX),
        };
        let mut calls = vec![big.clone()];
        push_call(&mut calls, draw(false, &[2]));
        assert_eq!(calls, [big, draw(false, &[2])]);
    }
}
