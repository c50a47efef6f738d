//! Replay: answer a charm's calls from a trace and check it makes the same
//! ones (exact replay), or run each recorded dispatch again with a new charm
//! against the State backend and report what it does differently.

use serde::Serialize;

use super::delta::{Change, diff};
use super::format::{CallRecord, HostCall, HostResult, KubernetesOp, SandboxOp};
use super::reader::{RecordedDispatch, Trace};
use super::recorded_world::RecordedWorld;
use super::recorder::Recorder;
use crate::backend::kubernetes::{KubernetesBackend, KubernetesResult};
use crate::backend::loopback::{LoopbackBackend, LoopbackCall, LoopbackResult};
use crate::backend::machine::{MachineBackend, MachineResult};
use crate::backend::pebble::{PebbleBackend, PebbleCall, PebbleResult};
use crate::backend::unit::UnitBackend;
use crate::backend::{
    Backend, HookCall, HookReply, HookTools, SandboxBackend, ToolError, ToolResult,
};
use crate::engine::{Charm, Dispatcher, InRuntime, wasi_grants};
use crate::engine::{DispatchOptions, Failure, Outcome, Runtime};
use crate::event::ResolvedEvent;
use crate::sandbox::GuestEnv;

/// Where a replay first went its own way.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Divergence {
    /// 1-based position of the call in the dispatch (0: not about a call).
    pub seq: usize,
    pub what: String,
    /// A unified diff of the recorded and the replayed value.
    pub diff: String,
}

/// Pretty JSON of a value, for diffs.
fn pretty<T: Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default() + "\n"
}

/// A unified diff between the recorded and the replayed text.
pub fn text_diff(recorded: &str, replayed: &str) -> String {
    similar::TextDiff::from_lines(recorded, replayed)
        .unified_diff()
        .context_radius(3)
        .header("recorded", "replayed")
        .to_string()
}

/// A backend answering from one recorded dispatch.
pub struct Replayer {
    expected: Vec<CallRecord>,
    pos: usize,
    commit: Option<String>,
    /// The trace holds raw tool runs (recorded under a unit agent).
    raw_tools: bool,
    pub divergence: Option<Divergence>,
}

impl Replayer {
    fn new(d: &RecordedDispatch) -> Self {
        let commit = match &d.end.outcome {
            Outcome::Failed {
                failure: Failure::CommitFailed(m),
            } => Some(m.clone()),
            _ => None,
        };
        // WASI reads come again from the same seed and clock; only calls
        // through the world's imports are answered from the trace.
        let expected = d
            .calls
            .iter()
            .filter(|c| !matches!(c.call, HostCall::Wasi { .. }))
            .cloned()
            .collect();
        let raw_tools = d
            .calls
            .iter()
            .any(|c| matches!(c.call, HostCall::Jujuc { .. }));
        Replayer {
            expected,
            pos: 0,
            commit,
            raw_tools,
            divergence: None,
        }
    }

    fn next(&mut self, got: HostCall) -> Result<HostResult, String> {
        if self.divergence.is_some() {
            return Err("replay already diverged".into());
        }
        match self.expected.get(self.pos) {
            Some(rec) if rec.call == got => {
                self.pos += 1;
                // Each answer is given once: take it rather than copy it.
                let taken = HostResult::Time(0);
                Ok(std::mem::replace(
                    &mut self.expected[self.pos - 1].result,
                    taken,
                ))
            }
            recorded => {
                let seq = self.pos + 1;
                let (what, diff) = match recorded {
                    Some(rec) => (
                        format!("call #{seq} differs"),
                        text_diff(&pretty(&rec.call), &pretty(&got)),
                    ),
                    None => (
                        format!(
                            "call #{seq} is beyond the {} recorded calls",
                            self.expected.len()
                        ),
                        text_diff("", &pretty(&got)),
                    ),
                };
                self.divergence = Some(Divergence { seq, what, diff });
                Err(format!("replay diverged at call #{seq}"))
            }
        }
    }

    fn mismatch(&mut self, result: HostResult) -> String {
        let seq = self.pos;
        let m = format!("the trace answers call #{seq} with a result of another kind: {result:?}");
        self.divergence = Some(Divergence {
            seq,
            what: m.clone(),
            diff: String::new(),
        });
        m
    }
}

impl HookTools for Replayer {
    fn call(&mut self, call: HookCall) -> ToolResult<HookReply> {
        match self
            .next(HostCall::HookTools { call })
            .map_err(ToolError::Fatal)?
        {
            HostResult::Hook(Ok(r)) => Ok(r),
            HostResult::Hook(Err(e)) => Err(ToolError::Hook(e)),
            HostResult::Fatal(m) => Err(ToolError::Fatal(m)),
            other => Err(ToolError::Fatal(self.mismatch(other))),
        }
    }
}

impl PebbleBackend for Replayer {
    fn pebble(&mut self, container: &str, call: PebbleCall) -> PebbleResult {
        match self.next(HostCall::Pebble {
            container: container.to_string(),
            call,
        })? {
            HostResult::Pebble(r) => Ok(r),
            HostResult::Fatal(m) => Err(m),
            other => Err(self.mismatch(other)),
        }
    }
}

impl MachineBackend for Replayer {
    fn run_command(&mut self, argv: &[String], stdin: &[u8]) -> MachineResult {
        match self.next(HostCall::Machine {
            argv: argv.to_vec(),
            stdin: stdin.to_vec(),
        })? {
            HostResult::Machine(r) => Ok(r),
            HostResult::Fatal(m) => Err(m),
            other => Err(self.mismatch(other)),
        }
    }
}

impl LoopbackBackend for Replayer {
    fn loopback(&mut self, port: u16, call: &LoopbackCall) -> LoopbackResult {
        match self.next(HostCall::Loopback {
            port,
            call: call.clone(),
        })? {
            HostResult::Loopback(r) => Ok(r),
            HostResult::Fatal(m) => Err(m),
            other => Err(self.mismatch(other)),
        }
    }
}

impl Replayer {
    fn kubernetes(&mut self, op: KubernetesOp) -> KubernetesResult {
        match self.next(HostCall::Kubernetes { op })? {
            HostResult::Kubernetes(r) => Ok(r),
            HostResult::Fatal(m) => Err(m),
            other => Err(self.mismatch(other)),
        }
    }
}

impl KubernetesBackend for Replayer {
    fn statefulset_partition(&mut self) -> KubernetesResult {
        self.kubernetes(KubernetesOp::StatefulsetPartition)
    }

    fn set_statefulset_partition(&mut self, partition: u32) -> KubernetesResult {
        self.kubernetes(KubernetesOp::SetStatefulsetPartition(partition))
    }
}

impl SandboxBackend for Replayer {
    fn now(&mut self) -> u64 {
        match self.next(HostCall::Sandbox { op: SandboxOp::Now }) {
            Ok(HostResult::Time(t)) => t,
            Ok(other) => {
                self.mismatch(other);
                0
            }
            Err(_) => 0,
        }
    }

    fn monotonic(&mut self) -> u64 {
        match self.next(HostCall::Sandbox {
            op: SandboxOp::Monotonic,
        }) {
            Ok(HostResult::Time(t)) => t,
            Ok(other) => {
                self.mismatch(other);
                0
            }
            Err(_) => 0,
        }
    }

    fn random_bytes(&mut self, len: u32) -> Vec<u8> {
        match self.next(HostCall::Sandbox {
            op: SandboxOp::RandomBytes(len),
        }) {
            Ok(HostResult::Bytes(b)) => b,
            Ok(other) => {
                self.mismatch(other);
                vec![0; len as usize]
            }
            Err(_) => vec![0; len as usize],
        }
    }

    fn sleep(&mut self, ns: u64) -> u64 {
        match self.next(HostCall::Sandbox {
            op: SandboxOp::Sleep(ns),
        }) {
            Ok(HostResult::Time(t)) => t,
            Ok(other) => {
                self.mismatch(other);
                0
            }
            Err(_) => 0,
        }
    }
}

impl Backend for Replayer {
    fn finish(&mut self, _success: bool) -> Result<(), String> {
        match &self.commit {
            Some(m) => Err(m.clone()),
            None => Ok(()),
        }
    }

    /// A trace recorded under a unit agent answers raw tool runs itself;
    /// any other leaves them to the jujuc rules, whose typed calls it holds.
    fn raw_tool(&mut self, argv: &[String], stdin: &[u8]) -> Option<crate::backend::RawToolResult> {
        if !self.raw_tools {
            return None;
        }
        let call = HostCall::Jujuc {
            argv: argv.to_vec(),
            stdin: stdin.to_vec(),
        };
        Some(match self.next(call) {
            Ok(HostResult::Tool {
                code,
                stdout,
                stderr,
            }) => Ok(crate::bindings::jujuc::ToolOutput {
                code,
                stdout,
                stderr,
            }),
            Ok(HostResult::Fatal(m)) => Err(m),
            Ok(other) => Err(self.mismatch(other)),
            Err(m) => Err(m),
        })
    }
}

/// The result of replaying one dispatch exactly.
#[derive(Debug, Clone, Serialize)]
pub struct ExactReplay {
    pub n: u32,
    pub name: String,
    pub calls: usize,
    pub divergence: Option<Divergence>,
}

/// Replay every dispatch of `trace` with `component`, answering from the trace.
pub fn replay_exact(rt: &Runtime, charm: &Charm, trace: &Trace) -> Vec<ExactReplay> {
    let component = &charm.component;
    trace
        .dispatches
        .iter()
        .map(|d| {
            let opts = DispatchOptions {
                grants: wasi_grants(
                    &d.start.snapshot,
                    &d.start.event,
                    GuestEnv::of(d.start.env.as_slice()),
                    None,
                    &charm.meta,
                ),
                fuel: Some(trace.header.engine.fuel_per_event),
            };
            let (replayer, outcome, _) =
                component.dispatch(rt, Replayer::new(d), &d.start.event, &opts);
            let mut divergence = replayer.divergence.clone();
            let expected = &replayer.expected;
            if divergence.is_none() && replayer.pos < expected.len() {
                let rest: Vec<&HostCall> =
                    expected[replayer.pos..].iter().map(|c| &c.call).collect();
                divergence = Some(Divergence {
                    seq: replayer.pos + 1,
                    what: format!(
                        "the charm stopped after {} calls; the trace has {}",
                        replayer.pos,
                        expected.len()
                    ),
                    diff: text_diff(&pretty(&rest), ""),
                });
            }
            if divergence.is_none() && outcome != d.end.outcome {
                divergence = Some(Divergence {
                    seq: 0,
                    what: "the outcome differs".into(),
                    diff: text_diff(&pretty(&d.end.outcome), &pretty(&outcome)),
                });
            }
            ExactReplay {
                n: d.start.n,
                name: d.start.name.clone(),
                calls: d.calls.len(),
                divergence,
            }
        })
        .collect()
}

/// How one dispatch went with the new charm, compared with the trace.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub n: u32,
    pub name: String,
    pub unit: String,
    /// The first differing call, if any.
    pub calls: Option<Divergence>,
    pub outcome: Option<Divergence>,
    /// Recorded and replayed committed deltas, when they differ.
    pub delta: Option<Divergence>,
    /// The snapshot did not fit the new charm.
    pub error: Option<String>,
}

impl Comparison {
    pub fn same(&self) -> bool {
        self.calls.is_none()
            && self.outcome.is_none()
            && self.delta.is_none()
            && self.error.is_none()
    }
}

fn first_call_difference(recorded: &[CallRecord], replayed: &[CallRecord]) -> Option<Divergence> {
    let len = recorded.len().max(replayed.len());
    (0..len).find_map(|i| {
        let (a, b) = (recorded.get(i), replayed.get(i));
        if a == b {
            return None;
        }
        let what = match (a, b) {
            (Some(x), Some(y)) if x.call == y.call => {
                format!("call #{} answered differently", i + 1)
            }
            (Some(_), Some(_)) => format!("call #{} differs", i + 1),
            (Some(_), None) => format!(
                "the new charm stops after {} calls; the trace has {}",
                replayed.len(),
                recorded.len()
            ),
            (None, _) => format!(
                "the new charm makes {} calls; the trace has {}",
                replayed.len(),
                recorded.len()
            ),
        };
        Some(Divergence {
            seq: i + 1,
            what,
            diff: text_diff(&pretty(&a), &pretty(&b)),
        })
    })
}

/// Re-run every dispatch of `trace` from its snapshot with `charm` against
/// the State backend, and compare calls, outcome and committed delta.
pub fn replay_against(rt: &Runtime, charm: &Charm, trace: &Trace) -> Vec<Comparison> {
    replay_on(&InRuntime { rt, charm }, trace)
}

/// [`replay_against`] for any [`Dispatcher`]: a component, or a native
/// charm. When either side ran natively, WASI clock and random reads are
/// left out of the comparison (a process's are not recorded).
pub fn replay_on<D: Dispatcher>(d: &D, trace: &Trace) -> Vec<Comparison> {
    let wasi = d.records_wasi() && !trace.header.is_native();
    let agent = trace.header.recorded_by.is_some();
    trace
        .dispatches
        .iter()
        .map(|r| compare_one(d, r, wasi, agent))
        .collect()
}

fn without_wasi(calls: &[CallRecord]) -> Vec<CallRecord> {
    calls
        .iter()
        .filter(|c| !matches!(c.call, HostCall::Wasi { .. }))
        .cloned()
        .collect()
}

fn compare_one<D: Dispatcher>(
    charm: &D,
    d: &RecordedDispatch,
    wasi: bool,
    agent: bool,
) -> Comparison {
    if agent
        || d.calls
            .iter()
            .any(|c| matches!(c.call, HostCall::Jujuc { .. }))
    {
        return compare_recorded(charm, d);
    }
    let mut cmp = Comparison {
        n: d.start.n,
        name: d.start.name.clone(),
        unit: d.start.unit.clone(),
        calls: None,
        outcome: None,
        delta: None,
        error: None,
    };
    let resolved = ResolvedEvent {
        event: d.start.event.clone(),
        env: GuestEnv::of(d.start.env.as_slice()),
        params: d.start.params.clone(),
    };
    let backend = match UnitBackend::new(charm.meta().clone(), d.start.snapshot.clone(), &resolved)
    {
        Ok(b) => b,
        Err(e) => {
            cmp.error = Some(format!(
                "the recorded state does not fit the new charm: {e}"
            ));
            return cmp;
        }
    };
    let mut grants = wasi_grants(
        &d.start.snapshot,
        &d.start.event,
        resolved.env.clone(),
        Some(charm.dir()),
        charm.meta(),
    );
    let recorder = Recorder::new(backend);
    grants.tap = Some(recorder.tap());
    let done = charm.dispatch(recorder, &d.start.event, grants, None);
    let outcome = done.outcome;
    let (backend, calls) = done.backend.into_parts();
    cmp.calls = if wasi {
        first_call_difference(&d.calls, &calls)
    } else {
        first_call_difference(&without_wasi(&d.calls), &without_wasi(&calls))
    };
    if outcome != d.end.outcome {
        cmp.outcome = Some(Divergence {
            seq: 0,
            what: "the outcome differs".into(),
            diff: text_diff(&pretty(&d.end.outcome), &pretty(&outcome)),
        });
    }
    let before = serde_json::to_value(&d.start.snapshot).unwrap_or_default();
    let after = serde_json::to_value(backend.state()).unwrap_or_default();
    let delta: Vec<Change> = diff(&before, &after);
    if delta != d.end.delta {
        cmp.delta = Some(Divergence {
            seq: 0,
            what: "the committed state differs".into(),
            diff: text_diff(&pretty(&d.end.delta), &pretty(&delta)),
        });
    }
    cmp
}

/// [`compare_one`] for a dispatch recorded under a unit agent: the new
/// charm answered from the recorded calls ([`RecordedWorld`]); no State,
/// so no delta to compare.
fn compare_recorded<D: Dispatcher>(charm: &D, d: &RecordedDispatch) -> Comparison {
    let snapshot = &d.start.snapshot;
    let grants = wasi_grants(
        snapshot,
        &d.start.event,
        GuestEnv::of(d.start.env.as_slice()),
        Some(charm.dir()),
        charm.meta(),
    );
    let world = RecordedWorld::new(&d.calls, grants.now_ns, grants.seed);
    let recorder = Recorder::new(world);
    let mut grants = grants;
    grants.tap = Some(recorder.tap());
    let done = charm.dispatch(recorder, &d.start.event, grants, None);
    let (_, calls) = done.backend.into_parts();
    let outcome = (done.outcome != d.end.outcome).then(|| Divergence {
        seq: 0,
        what: "the outcome differs".into(),
        diff: text_diff(&pretty(&d.end.outcome), &pretty(&done.outcome)),
    });
    Comparison {
        n: d.start.n,
        name: d.start.name.clone(),
        unit: d.start.unit.clone(),
        calls: first_call_difference(&d.calls, &calls),
        outcome,
        delta: None,
        error: None,
    }
}
