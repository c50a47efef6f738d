//! The conformance tables (`runtime/tests/conformance/*.yaml`): their model,
//! loading, and the comparison helpers the runners share. Used by
//! `runtime/tests/jujuc_conformance.rs` (the raw tools) and
//! `tests/e2e/typed_conformance.rs` (the same cases through a charm's typed
//! imports).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use charmbox::charm::CharmMeta;
use charmbox::event::{EventSpec, ResolvedEvent};
use charmbox::state::State;
use serde::Deserialize;
use serde_json::Value as Json;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    pub charm: String,
    #[serde(default)]
    pub state: Json,
    pub cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    #[serde(default)]
    pub event: Option<Event>,
    #[serde(default)]
    pub state: Option<Json>,
    #[serde(default)]
    pub before: Vec<Vec<String>>,
    pub argv: Vec<String>,
    #[serde(default)]
    pub stdin: String,
    #[serde(default)]
    pub stdout: String,
    #[serde(default)]
    pub stderr: String,
    #[serde(default)]
    pub code: i32,
    /// The tool stops the hook (the host traps the guest) with this
    /// message instead of answering (`juju-reboot --now`).
    #[serde(default)]
    pub fatal: Option<String>,
    /// Commit the hook (Backend::finish(true)) before comparing `after`.
    #[serde(default = "yes")]
    pub commit: bool,
    /// The `juju-log` lines of the hook (`UnitBackend::logs`), exactly.
    #[serde(default)]
    pub logs: Option<Json>,
    /// The commit's error (`Backend::finish`), when it must fail.
    #[serde(default)]
    pub commit_error: Option<String>,
    #[serde(default)]
    pub after: Option<Json>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub name: String,
    #[serde(default)]
    pub action: bool,
    pub relation_id: Option<u32>,
    pub remote_unit: Option<String>,
    pub departing_unit: Option<String>,
    pub secret_id: Option<String>,
    pub secret_revision: Option<u32>,
    pub storage_id: Option<String>,
    #[serde(default)]
    pub params: BTreeMap<String, Json>,
}

impl Event {
    pub fn spec(&self) -> EventSpec {
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
pub fn merge(base: &mut Json, over: &Json) {
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
pub fn subset(expected: &Json, actual: &Json, path: &str, out: &mut Vec<String>) {
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
pub fn diff(expected: &str, actual: &str) -> String {
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

/// One table file: its name, its charm and its cases.
pub struct Loaded {
    pub file: String,
    pub meta: Arc<CharmMeta>,
    pub table: Table,
}

/// Every table, sorted by file name.
pub fn load_all() -> Vec<Loaded> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("conformance dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|file| {
            let text = std::fs::read_to_string(file).expect("read table");
            let table: Table = charmbox::yaml::from_str(&text)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let meta = Arc::new(
                CharmMeta::parse(&table.charm, &file.display().to_string()).expect("charm"),
            );
            let file = file
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            Loaded { file, meta, table }
        })
        .collect()
}

impl Case {
    /// The case's State (the table's, with the case's overrides) and its
    /// event (`start` unless given), resolved against the charm.
    pub fn prepare(&self, meta: &CharmMeta, base: &Json) -> Result<(State, ResolvedEvent), String> {
        let mut state_json = if base.is_null() {
            Json::Object(Default::default())
        } else {
            base.clone()
        };
        if let Some(s) = &self.state {
            merge(&mut state_json, s);
        }
        let state =
            State::from_json(&state_json.to_string(), &self.name).map_err(|e| e.to_string())?;
        let spec = self
            .event
            .as_ref()
            .map_or_else(|| EventSpec::named("start"), Event::spec);
        let event = spec.resolve(meta, &state).map_err(|e| e.to_string())?;
        Ok((state, event))
    }
}
