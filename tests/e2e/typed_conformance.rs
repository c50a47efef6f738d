//! The conformance tables (`runtime/tests/conformance/*.yaml`) through the
//! typed `hook-tools` imports of a real charm component in the real host,
//! asserting the same effects as the raw `jujuc` call.
//!
//! For each case, the raw path runs the case's argv (after its `before`
//! setup calls) with `charmbox::jujuc::run` on a `UnitBackend`, recording
//! every `HookCall` jujuc's argv parsing produced and the backend's answer.
//! That recorded sequence is the argv mapped onto typed requests by the one
//! parser there is. The typed path hands the same sequence to
//! `tests/charms/hook-driver`, which performs each request through its typed
//! import and reports each result; the hook then ends as the case says
//! (failing when the case does not commit). The test asserts, case by case:
//!
//! * the component made exactly those requests (the typed arguments arrived
//!   intact);
//! * every result is identical: the reply, or Juju's error kind and message;
//! * the committed State is identical (all of it), and so are the commit's
//!   error, the `juju-log` lines and the action report.
//!
//! A case applies when its raw run makes at least one request a typed import
//! can make: argv errors caught before any request, the legacy tools and
//! `hook-relation` (the raw tools' `-r` default, which no import asks) do not
//! apply. The number of cases covered both ways is printed and bounded below.

use crate::common;
#[path = "../../runtime/tests/conformance/table.rs"]
mod table;

use std::sync::Arc;

use charmbox::backend::pebble::{PebbleCall, PebbleResult};
use charmbox::backend::unit::{DEFAULT_NOW_NS, UnitBackend};
use charmbox::backend::{
    Backend, HookCall, HookReply, HookTools, PebbleBackend, SandboxBackend, ToolError, ToolResult,
};
use charmbox::bindings::types::HookError;
use charmbox::charm::CharmMeta;
use charmbox::engine::{CharmComponent, DispatchOptions, Failure, Outcome, Runtime};
use charmbox::sandbox::WasiGrants;
use serde_json::{Value as Json, json};
use table::{Case, Loaded, load_all};

/// Where hook-driver reads its script, and how its reports begin.
const SCRIPT_VAR: &str = "CHARMBOX_HOOK_DRIVER_SCRIPT";
const REPORT: &str = "\u{1}hook-driver\u{1}";
const FAIL_MESSAGE: &str = "hook-driver: failing as the script asks";

/// Fewer covered cases than this means the mapping broke somewhere.
const MIN_COVERED: usize = 250;

type Answer = Result<HookReply, HookError>;

/// A typed run: the requests the backend saw, the results the component
/// reported (`None` for a request no typed import makes), the effects.
type TypedRun = (Vec<HookCall>, Vec<Option<Answer>>, Effects);

/// Forwards to a backend, recording each request and its answer, and
/// the request that stopped the hook, if one did.
struct Recording<'a> {
    inner: &'a mut UnitBackend,
    calls: Vec<(HookCall, Answer)>,
    stopped: Option<HookCall>,
}

impl HookTools for Recording<'_> {
    fn call(&mut self, call: HookCall) -> ToolResult<HookReply> {
        let result = self.inner.call(call.clone());
        let answer = match &result {
            Ok(r) => Ok(r.clone()),
            Err(ToolError::Hook(e)) => Err(e.clone()),
            Err(ToolError::Fatal(_)) => {
                self.stopped = Some(call);
                return result;
            }
        };
        self.calls.push((call, answer));
        result
    }
}

/// The backend of the typed run: takes hook-driver's reports out of the
/// `juju-log` stream and records every other request before forwarding it.
struct Typed {
    inner: UnitBackend,
    calls: Vec<HookCall>,
    reports: Vec<String>,
}

impl HookTools for Typed {
    fn call(&mut self, call: HookCall) -> ToolResult<HookReply> {
        if let HookCall::JujuLog { message, .. } = &call
            && let Some(report) = message.strip_prefix(REPORT)
        {
            self.reports.push(report.to_string());
            return Ok(HookReply::Done);
        }
        self.calls.push(call.clone());
        self.inner.call(call)
    }
}

impl PebbleBackend for Typed {
    fn pebble(&mut self, container: &str, call: PebbleCall) -> PebbleResult {
        self.inner.pebble(container, call)
    }
}

impl charmbox::backend::MachineBackend for Typed {
    fn run_command(
        &mut self,
        argv: &[String],
        stdin: &[u8],
    ) -> charmbox::backend::machine::MachineResult {
        self.inner.run_command(argv, stdin)
    }
}

impl charmbox::backend::LoopbackBackend for Typed {
    fn loopback(
        &mut self,
        port: u16,
        call: &charmbox::backend::loopback::LoopbackCall,
    ) -> charmbox::backend::loopback::LoopbackResult {
        self.inner.loopback(port, call)
    }
}

impl charmbox::backend::KubernetesBackend for Typed {
    fn statefulset_partition(&mut self) -> charmbox::backend::kubernetes::KubernetesResult {
        self.inner.statefulset_partition()
    }
    fn set_statefulset_partition(
        &mut self,
        partition: u32,
    ) -> charmbox::backend::kubernetes::KubernetesResult {
        self.inner.set_statefulset_partition(partition)
    }
}

impl SandboxBackend for Typed {
    fn now(&mut self) -> u64 {
        self.inner.now()
    }
    fn monotonic(&mut self) -> u64 {
        self.inner.monotonic()
    }
    fn random_bytes(&mut self, len: u32) -> Vec<u8> {
        self.inner.random_bytes(len)
    }
    fn sleep(&mut self, ns: u64) -> u64 {
        self.inner.sleep(ns)
    }
}

impl Backend for Typed {
    fn finish(&mut self, success: bool) -> Result<(), String> {
        self.inner.finish(success)
    }
}

/// What a hook left behind, for comparison.
#[derive(Debug, PartialEq)]
struct Effects {
    commit: Result<(), String>,
    state: Json,
    logs: Json,
    action: Json,
}

fn effects(backend: &UnitBackend, commit: Result<(), String>) -> Effects {
    Effects {
        commit,
        state: serde_json::to_value(backend.state()).expect("state as JSON"),
        logs: serde_json::to_value(backend.logs()).expect("logs as JSON"),
        action: serde_json::to_value(backend.action_report()).expect("report as JSON"),
    }
}

/// The case through `jujuc::run`: the requests made, with their answers,
/// and the effects.
fn raw(
    meta: &Arc<CharmMeta>,
    base: &Json,
    case: &Case,
) -> Result<(Vec<(HookCall, Answer)>, Effects), String> {
    let (state, event) = case.prepare(meta, base)?;
    let mut backend = UnitBackend::new(meta.clone(), state, &event)?;
    let mut rec = Recording {
        inner: &mut backend,
        calls: Vec::new(),
        stopped: None,
    };
    for argv in &case.before {
        charmbox::jujuc::run(&mut rec, argv, b"")?;
    }
    charmbox::jujuc::run(&mut rec, &case.argv, case.stdin.as_bytes())?;
    let calls = rec.calls;
    let commit = backend.finish(case.commit);
    Ok((calls, effects(&backend, commit)))
}

/// The same requests through hook-driver's typed imports.
fn typed(
    rt: &Runtime,
    component: &CharmComponent,
    meta: &Arc<CharmMeta>,
    base: &Json,
    case: &Case,
    calls: &[HookCall],
) -> Result<TypedRun, String> {
    let script = json!({ "calls": calls, "fail": !case.commit });
    let (typed, outcome) = drive(rt, component, meta, base, case, script)?;
    let commit = match (outcome, case.commit) {
        (Outcome::Ok, true) => Ok(()),
        (
            Outcome::Failed {
                failure: Failure::CommitFailed(m),
            },
            true,
        ) => Err(m),
        (
            Outcome::Failed {
                failure: Failure::CharmError(m),
            },
            false,
        ) if m == FAIL_MESSAGE => Ok(()),
        (other, _) => return Err(format!("the hook-driver dispatch ended {other:?}")),
    };
    let results = typed
        .reports
        .iter()
        .map(|r| serde_json::from_str(r).map_err(|e| format!("report {r:?}: {e}")))
        .collect::<Result<Vec<Option<Answer>>, String>>()?;
    let effects = effects(&typed.inner, commit);
    Ok((typed.calls, results, effects))
}

/// Run hook-driver with `script` on the case's State and event.
fn drive(
    rt: &Runtime,
    component: &CharmComponent,
    meta: &Arc<CharmMeta>,
    base: &Json,
    case: &Case,
    script: Json,
) -> Result<(Typed, Outcome), String> {
    let (state, mut event) = case.prepare(meta, base)?;
    let mut env = event.env.list().to_vec();
    env.push((SCRIPT_VAR.to_string(), script.to_string()));
    event.env = env.into();
    let grants = WasiGrants {
        now_ns: DEFAULT_NOW_NS,
        seed: state.seed,
        charm_dir: None,
        env: event.env.clone(),
        ..WasiGrants::default()
    };
    let backend = Typed {
        inner: UnitBackend::new(meta.clone(), state, &event)?,
        calls: Vec::new(),
        reports: Vec::new(),
    };
    let opts = DispatchOptions { grants, fuel: None };
    let (typed, outcome, _) = component.dispatch(rt, backend, &event.event, &opts);
    Ok((typed, outcome))
}

/// A case whose tool stops the hook (`fatal`, `juju-reboot --now`): the
/// raw tool stops with that message, and the same request through the
/// typed import traps the guest with it.
fn stops_both_ways(
    rt: &Runtime,
    component: &CharmComponent,
    meta: &Arc<CharmMeta>,
    base: &Json,
    case: &Case,
    fatal: &str,
) -> Result<Vec<String>, String> {
    let (state, event) = case.prepare(meta, base)?;
    let mut backend = UnitBackend::new(meta.clone(), state, &event)?;
    let mut rec = Recording {
        inner: &mut backend,
        calls: Vec::new(),
        stopped: None,
    };
    let ran = charmbox::jujuc::run(&mut rec, &case.argv, case.stdin.as_bytes());
    let mut problems = Vec::new();
    if ran.as_ref().err().map(String::as_str) != Some(fatal) {
        problems.push(format!(
            "the raw tool did not stop the hook with {fatal:?}: {ran:?}"
        ));
    }
    let Some(call) = rec.stopped else {
        problems.push("no request stopped the raw tool".into());
        return Ok(problems);
    };
    let script = json!({ "calls": [call], "fail": false });
    match drive(rt, component, meta, base, case, script)?.1 {
        Outcome::Failed {
            failure: Failure::Trap(m),
        } if m.contains(fatal) => {}
        other => problems.push(format!("the typed import did not stop the hook: {other:?}")),
    }
    Ok(problems)
}

/// Both ways; `Ok(None)` when the case makes no typed request.
fn compare(
    rt: &Runtime,
    component: &CharmComponent,
    meta: &Arc<CharmMeta>,
    base: &Json,
    case: &Case,
) -> Result<Option<Vec<String>>, String> {
    if let Some(fatal) = &case.fatal {
        return stops_both_ways(rt, component, meta, base, case, fatal).map(Some);
    }
    let (recorded, raw_effects) = raw(meta, base, case)?;
    let typed_calls: Vec<HookCall> = recorded
        .iter()
        .map(|(c, _)| c.clone())
        .filter(|c| *c != HookCall::HookRelation)
        .collect();
    if typed_calls.is_empty() {
        return Ok(None);
    }
    let all: Vec<HookCall> = recorded.iter().map(|(c, _)| c.clone()).collect();
    let (seen, results, typed_effects) = typed(rt, component, meta, base, case, &all)?;
    let mut problems = Vec::new();
    if seen != typed_calls {
        problems.push(format!(
            "the component's requests differ:\n    raw   {typed_calls:?}\n    typed {seen:?}"
        ));
    }
    if results.len() != recorded.len() {
        problems.push(format!(
            "{} results reported for {} requests",
            results.len(),
            recorded.len()
        ));
    }
    for ((call, want), got) in recorded.iter().zip(&results) {
        match (call, got) {
            (HookCall::HookRelation, None) => {}
            (_, Some(got)) if got == want => {}
            (call, got) => {
                problems.push(format!("{call:?}:\n    raw   {want:?}\n    typed {got:?}"))
            }
        }
    }
    if raw_effects.commit != typed_effects.commit {
        problems.push(format!(
            "commit: raw {:?}, typed {:?}",
            raw_effects.commit, typed_effects.commit
        ));
    }
    for (what, r, t) in [
        ("state", &raw_effects.state, &typed_effects.state),
        ("logs", &raw_effects.logs, &typed_effects.logs),
        ("action report", &raw_effects.action, &typed_effects.action),
    ] {
        if r != t {
            problems.push(format!("{what} differs:\n    raw   {r}\n    typed {t}"));
        }
    }
    Ok(Some(problems))
}

#[test]
fn conformance_tables_through_typed_imports() {
    let rt = common::runtime();
    let wasm = common::built("tests/charms/hook-driver").join("hook-driver.wasm");
    let component = rt.load(&wasm).expect("load hook-driver");
    let (mut total, mut covered, mut failures) = (0, 0, Vec::new());
    let mut tools = std::collections::BTreeSet::new();
    for Loaded { file, meta, table } in load_all() {
        for case in &table.cases {
            total += 1;
            let title = format!("{file}: {}  {:?}", case.name, case.argv);
            match compare(&rt, &component, &meta, &table.state, case) {
                Ok(None) => {}
                Ok(Some(p)) => {
                    covered += 1;
                    if let Some(t) = case.argv.first() {
                        tools.insert(t.clone());
                    }
                    if !p.is_empty() {
                        failures.push(format!("{title}\n  {}", p.join("\n  ")));
                    }
                }
                Err(e) => failures.push(format!("{title}\n  case could not run: {e}")),
            }
        }
    }
    eprintln!(
        "{covered} of {total} conformance cases ran both ways (raw and typed), over {} tools",
        tools.len()
    );
    if !failures.is_empty() {
        panic!(
            "{} of {total} cases differ between the raw and the typed path, or could not run:\n\n{}",
            failures.len(),
            failures.join("\n\n")
        );
    }
    assert!(
        covered >= MIN_COVERED,
        "only {covered} cases made a typed request"
    );
}
