//! Conformance of the raw hook tools (`charmbox::jujuc::run`) with Juju
//! 3.6, case by case from the tables in `tests/conformance/*.yaml`.
//!
//! Each file gives a charm (charmcraft.yaml text), a base State and cases.
//! A case gives the event, State overrides, optional setup calls, the argv
//! and stdin, and the exact stdout, stderr and exit code Juju's client
//! would produce; optionally the State after the hook commits (a subset:
//! only the keys given are compared). Every mismatch is reported with a
//! line diff; the test fails if there is any.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use charmbox::backend::Backend;
use charmbox::backend::unit::UnitBackend;
use charmbox::charm::CharmMeta;
use charmbox::event::EventSpec;
use charmbox::state::State;
use serde::Deserialize;
use serde_json::Value as Json;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    charm: String,
    #[serde(default)]
    state: Json,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    #[serde(default)]
    event: Option<Event>,
    #[serde(default)]
    state: Option<Json>,
    #[serde(default)]
    before: Vec<Vec<String>>,
    argv: Vec<String>,
    #[serde(default)]
    stdin: String,
    #[serde(default)]
    stdout: String,
    #[serde(default)]
    stderr: String,
    #[serde(default)]
    code: i32,
    /// Commit the hook (Backend::finish(true)) before comparing `after`.
    #[serde(default = "yes")]
    commit: bool,
    /// The `juju-log` lines of the hook (`UnitBackend::logs`), exactly.
    #[serde(default)]
    logs: Option<Json>,
    /// The commit's error (`Backend::finish`), when it must fail.
    #[serde(default)]
    commit_error: Option<String>,
    #[serde(default)]
    after: Option<Json>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Event {
    name: String,
    #[serde(default)]
    action: bool,
    relation_id: Option<u32>,
    remote_unit: Option<String>,
    departing_unit: Option<String>,
    secret_id: Option<String>,
    secret_revision: Option<u32>,
    storage_id: Option<String>,
    #[serde(default)]
    params: BTreeMap<String, Json>,
}

impl Event {
    fn spec(&self) -> EventSpec {
        EventSpec {
            name: self.name.clone(),
            action: self.action,
            relation_id: self.relation_id,
            remote_unit: self.remote_unit.clone(),
            departing_unit: self.departing_unit.clone(),
            secret_id: self.secret_id.clone(),
            secret_revision: self.secret_revision,
            storage_id: self.storage_id.clone(),
            params: self.params.clone(),
            ..EventSpec::default()
        }
    }
}

/// `over` merged into `base`: objects key by key (an empty object replaces),
/// anything else replaced.
fn merge(base: &mut Json, over: &Json) {
    match (base, over) {
        (Json::Object(b), Json::Object(o)) if !o.is_empty() => {
            for (k, v) in o {
                merge(b.entry(k.clone()).or_insert(Json::Null), v);
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// Whether `actual` holds `expected`: objects by the expected keys only
/// (a key expected `null` must be absent), arrays of objects with an `id` by
/// id (`_absent: true` for one that must not be there), everything else
/// exactly.
fn subset(expected: &Json, actual: &Json, path: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Json::Object(e), Json::Object(a)) => {
            for (k, v) in e {
                let sub = format!("{path}.{k}");
                match a.get(k) {
                    Some(av) => subset(v, av, &sub, out),
                    None if v.is_null() => {}
                    None => out.push(format!("{sub}: missing, expected {v}")),
                }
            }
        }
        // Arrays of objects with an `id` match by id; other arrays element
        // by element.
        (Json::Array(e), Json::Array(a))
            if !e.is_empty() && e.iter().all(|x| x.get("id").is_some()) =>
        {
            for x in e {
                let sub = format!("{path}[id={}]", x["id"]);
                let absent = x.get("_absent") == Some(&Json::Bool(true));
                match (a.iter().find(|y| y.get("id") == x.get("id")), absent) {
                    (Some(_), true) => out.push(format!("{sub}: expected absent")),
                    (None, true) => {}
                    (Some(y), false) => subset(x, y, &sub, out),
                    (None, false) => out.push(format!("{sub}: missing")),
                }
            }
        }
        (Json::Array(e), Json::Array(a)) if e.len() == a.len() => {
            for (i, (x, y)) in e.iter().zip(a).enumerate() {
                subset(x, y, &format!("{path}[{i}]"), out);
            }
        }
        (e, a) if e == a => {}
        (e, a) => out.push(format!("{path}: expected {e}\n      got      {a}")),
    }
}

/// A line diff of two outputs (`-` expected, `+` actual), escapes shown.
fn diff(expected: &str, actual: &str) -> String {
    let e: Vec<&str> = expected.split_inclusive('\n').collect();
    let a: Vec<&str> = actual.split_inclusive('\n').collect();
    // Longest common subsequence table.
    let mut t = vec![vec![0usize; a.len() + 1]; e.len() + 1];
    for i in (0..e.len()).rev() {
        for j in (0..a.len()).rev() {
            t[i][j] = if e[i] == a[j] {
                t[i + 1][j + 1] + 1
            } else {
                t[i + 1][j].max(t[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < e.len() || j < a.len() {
        if i < e.len() && j < a.len() && e[i] == a[j] {
            out.push_str(&format!("       {:?}\n", e[i]));
            i += 1;
            j += 1;
        } else if j < a.len() && (i == e.len() || t[i][j + 1] >= t[i + 1][j]) {
            out.push_str(&format!("     + {:?}\n", a[j]));
            j += 1;
        } else {
            out.push_str(&format!("     - {:?}\n", e[i]));
            i += 1;
        }
    }
    out
}

fn run_case(meta: &Arc<CharmMeta>, base: &Json, case: &Case) -> Result<Vec<String>, String> {
    let mut state_json = if base.is_null() {
        Json::Object(Default::default())
    } else {
        base.clone()
    };
    if let Some(s) = &case.state {
        merge(&mut state_json, s);
    }
    let state = State::from_json(&state_json.to_string(), &case.name).map_err(|e| e.to_string())?;
    let spec = case
        .event
        .as_ref()
        .map_or_else(|| EventSpec::named("start"), Event::spec);
    let event = spec.resolve(meta, &state).map_err(|e| e.to_string())?;
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
    let out = charmbox::jujuc::run(&mut backend, &case.argv, case.stdin.as_bytes())?;
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
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("conformance dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let (mut total, mut failures) = (0, Vec::new());
    let mut tools = std::collections::BTreeSet::new();
    for file in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
    {
        let text = std::fs::read_to_string(file).expect("read table");
        let table: Table =
            serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let meta =
            Arc::new(CharmMeta::parse(&table.charm, &file.display().to_string()).expect("charm"));
        let fname = file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        for case in &table.cases {
            total += 1;
            if let Some(t) = case.argv.first() {
                tools.insert(t.clone());
            }
            let title = format!("{fname}: {}  {:?}", case.name, case.argv);
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
