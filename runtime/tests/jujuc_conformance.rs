//! Conformance of the raw hook tools (`charmbox::jujuc::run`) with Juju
//! 3.6, case by case from the tables in `tests/conformance/*.yaml`.
//!
//! Each file gives a charm (charmcraft.yaml text), a base State and cases.
//! A case gives the event, State overrides, optional setup calls, the argv
//! and stdin, and the exact stdout, stderr and exit code Juju's client
//! would produce; optionally the State after the hook commits (a subset:
//! only the keys given are compared). Every mismatch is reported with a
//! line diff; the test fails if there is any.

#[path = "conformance/table.rs"]
mod table;

use std::sync::Arc;

use charmbox::backend::Backend;
use charmbox::backend::unit::UnitBackend;
use charmbox::charm::CharmMeta;
use serde_json::Value as Json;
use table::{Case, Loaded, diff, load_all, subset};

fn run_case(meta: &Arc<CharmMeta>, base: &Json, case: &Case) -> Result<Vec<String>, String> {
    let (state, event) = case.prepare(meta, base)?;
    let mut backend = UnitBackend::new(meta.clone(), state, &event)?;
    for argv in &case.before {
        let out = charmbox::jujuc::run(&mut backend, argv, b"")?;
        if out.code != 0 {
            return Err(format!(
                "setup {argv:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    let ran = charmbox::jujuc::run(&mut backend, &case.argv, case.stdin.as_bytes());
    let out = match (ran, &case.fatal) {
        (Err(e), Some(f)) if e == *f => return Ok(Vec::new()),
        (Err(e), Some(f)) => return Ok(vec![format!("stopped the hook with {e:?}, not {f:?}")]),
        (Ok(out), Some(f)) => {
            let code = out.code;
            return Ok(vec![format!(
                "answered (exit {code}) instead of stopping with {f:?}"
            )]);
        }
        (ran, None) => ran?,
    };
    let mut problems = Vec::new();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stdout != case.stdout {
        problems.push(format!("stdout differs:\n{}", diff(&case.stdout, &stdout)));
    }
    if stderr != case.stderr {
        problems.push(format!("stderr differs:\n{}", diff(&case.stderr, &stderr)));
    }
    if out.code != case.code {
        problems.push(format!(
            "exit code: expected {}, got {}",
            case.code, out.code
        ));
    }
    if let Some(expected) = &case.logs {
        let actual = serde_json::to_value(backend.logs()).map_err(|e| e.to_string())?;
        if actual != *expected {
            problems.push(format!(
                "logs: expected {expected}\n      got      {actual}"
            ));
        }
    }
    if case.after.is_some() || case.commit_error.is_some() {
        match (backend.finish(case.commit), &case.commit_error) {
            (Ok(()), None) => {}
            (Err(e), Some(x)) if e == *x => {}
            (got, want) => problems.push(format!(
                "commit: expected {}, got {got:?}",
                want.as_ref()
                    .map_or_else(|| "success".to_string(), |w| format!("Err({w:?})"))
            )),
        }
    }
    if let Some(expected) = &case.after {
        let actual = serde_json::to_value(backend.state()).map_err(|e| e.to_string())?;
        let mut found = Vec::new();
        subset(expected, &actual, "state", &mut found);
        if !found.is_empty() {
            problems.push(format!(
                "state after commit differs:\n    {}",
                found.join("\n    ")
            ));
        }
    }
    Ok(problems)
}

#[test]
fn conformance() {
    let (mut total, mut failures) = (0, Vec::new());
    let mut tools = std::collections::BTreeSet::new();
    for Loaded { file, meta, table } in load_all() {
        for case in &table.cases {
            total += 1;
            if let Some(t) = case.argv.first() {
                tools.insert(t.clone());
            }
            let title = format!("{file}: {}  {:?}", case.name, case.argv);
            match run_case(&meta, &table.state, case) {
                Ok(p) if p.is_empty() => {}
                Ok(p) => failures.push(format!("{title}\n  {}", p.join("\n  "))),
                Err(e) => failures.push(format!("{title}\n  case could not run: {e}")),
            }
        }
    }
    eprintln!("{total} conformance cases over {} tools", tools.len());
    if !failures.is_empty() {
        panic!(
            "{} of {total} conformance cases failed:\n\n{}",
            failures.len(),
            failures.join("\n\n")
        );
    }
}
