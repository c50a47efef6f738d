//! Layers and plans as yaml.v3 marshals them: fields in Pebble's struct
//! order, empty fields omitted (`omitempty`), map keys in yaml.v3's natural
//! order, durations as Go prints them.

use std::collections::BTreeMap;

use super::model::*;
use crate::go::yaml::Version;
use crate::go::yaml::scalar;
use crate::go::yaml::sort::sort_keys;
use crate::go::yaml::v3::{self, Node};

struct Fields(Vec<(String, Node)>);

impl Fields {
    fn str(&mut self, k: &str, v: &str) {
        if !v.is_empty() {
            self.0.push((k.into(), Node::Str(v.into())));
        }
    }
    fn list(&mut self, k: &str, v: &[String]) {
        if !v.is_empty() {
            self.0.push((k.into(), strings(v)));
        }
    }
    fn map(&mut self, k: &str, v: &OptMap) {
        if let Some(m) = v.as_ref().filter(|m| !m.is_empty()) {
            self.0.push((k.into(), string_map(m)));
        }
    }
    fn id(&mut self, k: &str, v: Option<i64>) {
        if let Some(i) = v {
            self.0.push((k.into(), Node::Raw(i.to_string())));
        }
    }
    fn dur(&mut self, k: &str, v: &OptDuration) {
        if v.is_set {
            self.0.push((k.into(), Node::Str(v.value.to_string())));
        }
    }
    fn node(self) -> Node {
        Node::Map(self.0)
    }
}

fn strings(v: &[String]) -> Node {
    Node::Seq(v.iter().map(|s| Node::Str(s.clone())).collect())
}

fn string_map(m: &BTreeMap<String, String>) -> Node {
    let mut entries: Vec<(String, Node)> = m
        .iter()
        .map(|(k, v)| (k.clone(), Node::Str(v.clone())))
        .collect();
    sort_keys(&mut entries, Version::V3);
    Node::Map(entries)
}

fn named<T>(m: &BTreeMap<String, T>, f: impl Fn(&T) -> Node) -> Node {
    let mut entries: Vec<(String, Node)> = m.iter().map(|(k, v)| (k.clone(), f(v))).collect();
    sort_keys(&mut entries, Version::V3);
    Node::Map(entries)
}

pub fn service_node(s: &Service) -> Node {
    let mut f = Fields(Vec::new());
    f.str("summary", &s.summary);
    f.str("description", &s.description);
    f.str("startup", &s.startup);
    f.str("override", &s.override_);
    f.str("command", &s.command);
    f.list("after", &s.after);
    f.list("before", &s.before);
    f.list("requires", &s.requires);
    f.map("environment", &s.environment);
    f.id("user-id", s.user_id);
    f.str("user", &s.user);
    f.id("group-id", s.group_id);
    f.str("group", &s.group);
    f.str("working-dir", &s.working_dir);
    f.str("workload", &s.workload);
    f.str("on-success", &s.on_success);
    f.str("on-failure", &s.on_failure);
    f.map("on-check-failure", &s.on_check_failure);
    f.dur("backoff-delay", &s.backoff_delay);
    if s.backoff_factor.is_set {
        f.0.push((
            "backoff-factor".into(),
            Node::Raw(scalar::float(s.backoff_factor.value)),
        ));
    }
    f.dur("backoff-limit", &s.backoff_limit);
    f.dur("kill-delay", &s.kill_delay);
    f.node()
}

pub fn check_node(c: &Check) -> Node {
    let mut f = Fields(Vec::new());
    f.str("override", &c.override_);
    f.str("level", &c.level);
    f.str("startup", &c.startup);
    f.dur("period", &c.period);
    f.dur("timeout", &c.timeout);
    if c.threshold != 0 {
        f.0.push(("threshold".into(), Node::Raw(c.threshold.to_string())));
    }
    if let Some(h) = &c.http {
        let mut p = Fields(Vec::new());
        p.str("url", &h.url);
        p.map("headers", &h.headers);
        f.0.push(("http".into(), p.node()));
    }
    if let Some(t) = &c.tcp {
        let mut p = Fields(Vec::new());
        if t.port != 0 {
            p.0.push(("port".into(), Node::Raw(t.port.to_string())));
        }
        p.str("host", &t.host);
        f.0.push(("tcp".into(), p.node()));
    }
    if let Some(e) = &c.exec {
        let mut p = Fields(Vec::new());
        p.str("command", &e.command);
        p.str("service-context", &e.service_context);
        p.map("environment", &e.environment);
        p.id("user-id", e.user_id);
        p.str("user", &e.user);
        p.id("group-id", e.group_id);
        p.str("group", &e.group);
        p.str("working-dir", &e.working_dir);
        f.0.push(("exec".into(), p.node()));
    }
    f.node()
}

pub fn log_target_node(t: &LogTarget) -> Node {
    let mut f = Fields(vec![
        ("type".into(), Node::Str(t.type_.clone())),
        ("location".into(), Node::Str(t.location.clone())),
        ("services".into(), strings(&t.services)),
    ]);
    f.str("override", &t.override_);
    f.map("labels", &t.labels);
    f.node()
}

pub fn workload_node(w: &Workload) -> Node {
    let mut f = Fields(Vec::new());
    f.str("override", &w.override_);
    f.map("environment", &w.environment);
    f.id("user-id", w.user_id);
    f.str("user", &w.user);
    f.id("group-id", w.group_id);
    f.str("group", &w.group);
    f.node()
}

/// The sections of a plan or layer, in Pebble's order.
fn sections(out: &mut Vec<(String, Node)>, l: &Layer) {
    if !l.services.is_empty() {
        out.push(("services".into(), named(&l.services, service_node)));
    }
    if !l.checks.is_empty() {
        out.push(("checks".into(), named(&l.checks, check_node)));
    }
    if !l.log_targets.is_empty() {
        out.push(("log-targets".into(), named(&l.log_targets, log_target_node)));
    }
    if !l.workloads.is_empty() {
        out.push(("workloads".into(), named(&l.workloads, workload_node)));
    }
}

/// The combined plan (summary and description are not part of it).
pub fn plan_node(combined: &Layer) -> Node {
    let mut out = Vec::new();
    sections(&mut out, combined);
    Node::Map(out)
}

/// `GET /v1/plan?format=yaml`.
pub fn plan_yaml(combined: &Layer) -> String {
    v3::to_string(&plan_node(combined))
}

/// A layer, as Pebble would marshal it.
pub fn layer_node(l: &Layer) -> Node {
    let mut out = Vec::new();
    if !l.summary.is_empty() {
        out.push(("summary".into(), Node::Str(l.summary.clone())));
    }
    if !l.description.is_empty() {
        out.push(("description".into(), Node::Str(l.description.clone())));
    }
    sections(&mut out, l);
    Node::Map(out)
}

/// A rendered tree as JSON (numbers stay numbers, key order kept).
pub fn node_json(n: &Node) -> serde_json::Value {
    use serde_json::Value as J;
    match n {
        Node::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), node_json(v))).collect()),
        Node::Seq(s) => J::Array(s.iter().map(node_json).collect()),
        Node::Str(s) => J::String(s.clone()),
        Node::Raw(r) => serde_json::from_str::<J>(r)
            .ok()
            .filter(|v| v.is_number() || v.is_boolean())
            .unwrap_or_else(|| J::String(r.clone())),
    }
}
