//! Layer YAML to the schema, with the errors Pebble gives: yaml.v3's syntax
//! errors (`yaml: line 3: mapping values are not allowed in this context`),
//! its decode errors with section-relative line numbers (Pebble decodes a
//! re-marshalled copy of each section), `KnownFields` rejections, and the
//! custom messages of Pebble's duration and float fields.

use std::collections::HashMap;

use serde_norway::Value;

use super::model::*;
use crate::go::duration::Duration;
use crate::go::quote::quote;
use crate::go::strconv::parse_float;
use crate::go::yaml::v3::{self, Node, Seg};

/// A decoded layer before `Layer.Validate`: null entries are kept so that
/// validation can reject them with Pebble's message.
#[derive(Debug, Default)]
pub struct Decoded {
    pub summary: String,
    pub description: String,
    pub services: Vec<(String, Option<Service>)>,
    pub checks: Vec<(String, Option<Check>)>,
    pub log_targets: Vec<(String, Option<LogTarget>)>,
    pub workloads: Vec<(String, Option<Workload>)>,
}

/// Decode layer YAML labelled `label`.
pub fn decode(label: &str, text: &str) -> Result<Decoded, FormatError> {
    let fail = |m: String| FormatError(format!("cannot parse layer {}: {m}", quote(label)));
    let value = match first_document(text) {
        Ok(v) => v,
        Err(m) => return Err(fail(m)),
    };
    let mut out = Decoded::default();
    let top = match value {
        Value::Null => return Ok(out),
        Value::Mapping(m) => m,
        other => {
            let line = first_content_line(text);
            return Err(fail(format!(
                "yaml: unmarshal errors:\n  line {line}: cannot unmarshal {} into map[string]yaml.Node",
                describe(&other)
            )));
        }
    };
    for (key, section) in top.iter() {
        let name = match scalar(key) {
            Some((_, t)) => t,
            None if key.is_null() => String::new(),
            None => {
                return Err(fail(format!(
                    "yaml: unmarshal errors:\n  line {}: cannot unmarshal {} into string",
                    first_content_line(text),
                    describe(key)
                )));
            }
        };
        let mut d = Dec::new(section);
        let section_fail = |m: String| {
            FormatError(format!(
                "cannot parse layer {} section {}: {m}",
                quote(label),
                quote(&name)
            ))
        };
        let result = match name.as_str() {
            "summary" => {
                out.summary = d.string(section, "string");
                Ok(())
            }
            "description" => {
                out.description = d.string(section, "string");
                Ok(())
            }
            "services" => d
                .entries(section, "plan.Service", Dec::service)
                .map(|e| out.services = e),
            "checks" => d
                .entries(section, "plan.Check", Dec::check)
                .map(|e| out.checks = e),
            "log-targets" => d
                .entries(section, "plan.LogTarget", Dec::log_target)
                .map(|e| out.log_targets = e),
            "workloads" => {
                // An extension section: its own wrapper message.
                match d.entries(section, "workloads.Workload", Dec::workload) {
                    Ok(e) if d.terrors.is_empty() => {
                        out.workloads = e;
                        continue;
                    }
                    Ok(_) => {
                        return Err(FormatError(format!(
                            "cannot parse the \"workloads\" section: yaml: unmarshal errors:\n  {}",
                            d.terrors.join("\n  ")
                        )));
                    }
                    Err(m) => {
                        return Err(FormatError(format!(
                            "cannot parse the \"workloads\" section: {m}"
                        )));
                    }
                }
            }
            _ => {
                return Err(fail(format!("unknown section {}", quote(&name))));
            }
        };
        if let Err(m) = result {
            return Err(section_fail(m));
        }
        if !d.terrors.is_empty() {
            return Err(section_fail(format!(
                "yaml: unmarshal errors:\n  {}",
                d.terrors.join("\n  ")
            )));
        }
    }
    Ok(out)
}

/// The first YAML document of `text` (yaml.v3 ignores the rest), within
/// charmbox's YAML limits.
fn first_document(text: &str) -> Result<Value, String> {
    crate::yaml::first_document(text).map_err(|e| match e {
        crate::yaml::YamlError::Load(e) => syntax_message(&e, text),
        limit => limit.to_string(),
    })
}

/// yaml.v3's message for a document serde_norway could not load.
fn syntax_message(e: &serde_norway::Error, text: &str) -> String {
    let debug = format!("{e:?}");
    if let Some(rest) = debug.strip_prefix("Error { kind: ") {
        let scanner = rest.starts_with("SCANNER");
        let problem = extract_quoted(&debug, "problem: ").unwrap_or_default();
        let mark_line = |field: &str| -> u64 {
            debug
                .find(&format!("{field}: Mark {{ line: "))
                .and_then(|i| {
                    let s = &debug[i + field.len() + 15..];
                    s.split(|c: char| !c.is_ascii_digit())
                        .next()
                        .and_then(|n| n.parse::<u64>().ok())
                })
                .map(|l| l.saturating_sub(1))
                .unwrap_or(0)
        };
        let (ctx, prob) = (mark_line("context_mark"), mark_line("problem_mark"));
        let bump = u64::from(scanner);
        let line = if ctx != 0 {
            ctx + bump
        } else if prob != 0 {
            prob + bump
        } else {
            0
        };
        let problem = if problem.is_empty() {
            "unknown problem parsing YAML content".to_string()
        } else {
            problem
        };
        return if line != 0 {
            format!("yaml: line {line}: {problem}")
        } else {
            format!("yaml: {problem}")
        };
    }
    let msg = e.to_string();
    if let Some(idx) = msg.find("duplicate entry with key ") {
        let key = extract_quoted(&msg[idx..], "duplicate entry with key ").unwrap_or_default();
        let loc = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((1, 1));
        let (first, dup) = duplicate_lines(text, &key, loc);
        return format!(
            "yaml: unmarshal errors:\n  line {dup}: mapping key {} already defined at line {first}",
            quote(&key)
        );
    }
    if msg.starts_with("unknown anchor") {
        let anchor = e
            .location()
            .and_then(|l| {
                text.lines()
                    .nth(l.line().saturating_sub(1))
                    .map(|s| (s, l.column()))
            })
            .map(|(line, col)| {
                line.chars()
                    .skip(col.saturating_sub(1))
                    .skip_while(|c| *c == '*')
                    .take_while(|c| !c.is_whitespace() && !",[]{}".contains(*c))
                    .collect::<String>()
            })
            .unwrap_or_default();
        return format!("yaml: unknown anchor '{anchor}' referenced");
    }
    let plain = match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    };
    format!("yaml: {plain}")
}

/// The text of a Rust-debug-quoted string following `after` in `s`.
fn extract_quoted(s: &str, after: &str) -> Option<String> {
    let start = s.find(after)? + after.len();
    let rest = s[start..].strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '0' => out.push('\0'),
                c => out.push(c),
            },
            c => out.push(c),
        }
    }
    None
}

/// Lines of the first and second `key:` at the column where the duplicated
/// mapping starts (a best effort for block-style YAML).
fn duplicate_lines(text: &str, key: &str, (line, column): (usize, usize)) -> (usize, usize) {
    let col = column.saturating_sub(1);
    let mut found = Vec::new();
    for (i, l) in text.lines().enumerate().skip(line.saturating_sub(1)) {
        let indent = l.len() - l.trim_start_matches(' ').len();
        let body = &l[indent..];
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        if indent < col && i + 1 > line {
            break;
        }
        if indent == col {
            let k = body.split(':').next().unwrap_or("").trim();
            let k = k.trim_matches(|c| c == '"' || c == '\'');
            if k == key {
                found.push(i + 1);
            }
        }
    }
    match found.as_slice() {
        [a, b, ..] => (*a, *b),
        _ => (line, line),
    }
}

/// The first line holding YAML content (not blank, not a comment).
fn first_content_line(text: &str) -> usize {
    text.lines()
        .position(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#') && t != "---"
        })
        .map(|i| i + 1)
        .unwrap_or(1)
}

/// The YAML tag and text of a scalar; `None` for null and collections.
fn scalar(v: &Value) -> Option<(String, String)> {
    match v {
        Value::Bool(b) => Some(("!!bool".into(), b.to_string())),
        Value::Number(n) => {
            let tag = if n.is_f64() { "!!float" } else { "!!int" };
            Some((tag.into(), n.to_string()))
        }
        Value::String(s) => Some(("!!str".into(), s.clone())),
        Value::Tagged(t) => scalar(&t.value).map(|(_, text)| (t.tag.to_string(), text)),
        Value::Null | Value::Sequence(_) | Value::Mapping(_) => None,
    }
}

/// How yaml.v3 names a node in `cannot unmarshal <node> into <type>`.
fn describe(v: &Value) -> String {
    match v {
        Value::Sequence(_) => "!!seq".into(),
        Value::Mapping(_) => "!!map".into(),
        Value::Null => "!!null".into(),
        Value::Tagged(t) if matches!(t.value, Value::Sequence(_) | Value::Mapping(_)) => {
            t.tag.to_string()
        }
        other => {
            let (tag, text) = scalar(other).unwrap_or_default();
            let shown = if text.len() > 10 {
                let cut: Vec<u8> = text.bytes().take(7).collect();
                format!("{}...", String::from_utf8_lossy(&cut))
            } else {
                text
            };
            format!("{tag} `{shown}`")
        }
    }
}

/// The tree shape of a value, for computing where yaml.v3 would place it.
/// Recursive: as deep as the YAML, which `crate::yaml` caps.
fn to_node(v: &Value) -> Node {
    match v {
        Value::Mapping(m) => Node::Map(m.iter().map(|(k, v)| (key_text(k), to_node(v))).collect()),
        Value::Sequence(s) => Node::Seq(s.iter().map(to_node).collect()),
        Value::String(s) => Node::Str(s.clone()),
        Value::Tagged(t) => to_node(&t.value),
        Value::Null => Node::Raw("null".into()),
        other => Node::Raw(scalar(other).map(|(_, t)| t).unwrap_or_default()),
    }
}

fn key_text(k: &Value) -> String {
    scalar(k).map(|(_, t)| t).unwrap_or_default()
}

/// A decoder over one section, collecting yaml.v3's type errors.
struct Dec {
    lines: HashMap<Vec<Seg>, (usize, usize)>,
    path: Vec<Seg>,
    terrors: Vec<String>,
}

type Custom = Result<(), String>;

impl Dec {
    fn new(section: &Value) -> Dec {
        let lines = v3::placements(&to_node(section))
            .into_iter()
            .map(|p| (p.path, (p.key_line, p.value_line)))
            .collect();
        Dec {
            lines,
            path: Vec::new(),
            terrors: Vec::new(),
        }
    }

    fn value_line(&self) -> usize {
        if self.path.is_empty() {
            return 1;
        }
        self.lines.get(&self.path).map(|l| l.1).unwrap_or(1)
    }

    fn key_line(&self) -> usize {
        self.lines.get(&self.path).map(|l| l.0).unwrap_or(1)
    }

    fn terror(&mut self, v: &Value, into: &str) {
        let line = self.value_line();
        self.terrors.push(format!(
            "line {line}: cannot unmarshal {} into {into}",
            describe(v)
        ));
    }

    /// A string-kinded field: any scalar's text, null as empty.
    fn string(&mut self, v: &Value, into: &str) -> String {
        match v {
            Value::Null => String::new(),
            Value::Tagged(t) if matches!(t.value, Value::Null) => String::new(),
            _ => match scalar(v) {
                Some((_, text)) => text,
                None => {
                    self.terror(v, into);
                    String::new()
                }
            },
        }
    }

    fn strings(&mut self, v: &Value) -> Vec<String> {
        match v {
            Value::Null => Vec::new(),
            Value::Sequence(items) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    self.path.push(Seg::Index(i));
                    out.push(self.string(item, "string"));
                    self.path.pop();
                }
                out
            }
            _ => {
                self.terror(v, "[]string");
                Vec::new()
            }
        }
    }

    fn opt_map(&mut self, v: &Value, value_type: &str) -> OptMap {
        match v {
            Value::Null => None,
            Value::Mapping(m) => {
                let mut out = std::collections::BTreeMap::new();
                for (k, val) in m.iter() {
                    self.path.push(Seg::Key(key_text(k)));
                    let key = self.key(k);
                    let value = self.string(val, value_type);
                    out.insert(key, value);
                    self.path.pop();
                }
                Some(out)
            }
            _ => {
                self.terror(v, &format!("map[string]{value_type}"));
                None
            }
        }
    }

    /// A map key decoded into a string.
    fn key(&mut self, k: &Value) -> String {
        match k {
            Value::Null => String::new(),
            _ => match scalar(k) {
                Some((_, t)) => t,
                None => {
                    let line = self.key_line();
                    self.terrors.push(format!(
                        "line {line}: cannot unmarshal {} into string",
                        describe(k)
                    ));
                    String::new()
                }
            },
        }
    }

    /// A Go `int` field; `None` for null (a nil `*int`).
    fn int(&mut self, v: &Value) -> Option<i64> {
        let ok = match v {
            Value::Null => return None,
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Some(i)
                } else if n.as_u64().is_some() {
                    None
                } else {
                    n.as_f64()
                        .filter(|f| !f.is_nan() && *f <= i64::MAX as f64)
                        .map(|f| f as i64)
                }
            }
            Value::Tagged(t) => return self.int(&t.value.clone()),
            _ => None,
        };
        if ok.is_none() {
            self.terror(v, "int");
        }
        Some(ok.unwrap_or(0))
    }

    fn duration(&mut self, v: &Value) -> Result<OptDuration, String> {
        if v.is_null() {
            return Ok(OptDuration::default());
        }
        let Some((_, text)) = scalar(v) else {
            return Err("duration must be a YAML string".into());
        };
        Duration::parse(&text)
            .map(OptDuration::set)
            .map_err(|_| format!("invalid duration {}", quote(&text)))
    }

    fn float(&mut self, v: &Value) -> Result<OptFloat, String> {
        if v.is_null() {
            return Ok(OptFloat::default());
        }
        let Some((_, text)) = scalar(v) else {
            return Err("value must be a YAML number".into());
        };
        parse_float(&text)
            .map(|value| OptFloat {
                value,
                is_set: true,
            })
            .ok_or_else(|| "value must be a YAML number".to_string())
    }

    /// A `map[string]*T` section: null entries stay `None`.
    fn entries<T>(
        &mut self,
        v: &Value,
        ty: &str,
        mut entry: impl FnMut(&mut Dec, &Value, &str) -> Result<T, String>,
    ) -> Result<Vec<(String, Option<T>)>, String> {
        let m = match v {
            Value::Null => return Ok(Vec::new()),
            Value::Mapping(m) => m,
            _ => {
                self.terror(v, &format!("map[string]*{ty}"));
                return Ok(Vec::new());
            }
        };
        let mut out = Vec::new();
        for (k, val) in m.iter() {
            self.path.push(Seg::Key(key_text(k)));
            let name = self.key(k);
            let decoded = match val {
                Value::Null => None,
                Value::Mapping(_) => Some(entry(self, val, ty)?),
                _ => {
                    self.terror(val, ty);
                    None
                }
            };
            out.push((name, decoded));
            self.path.pop();
        }
        Ok(out)
    }

    /// Walk a struct's fields, rejecting unknown ones (`KnownFields`).
    fn fields(
        &mut self,
        v: &Value,
        ty: &str,
        mut field: impl FnMut(&mut Dec, &str, &Value) -> Result<bool, String>,
    ) -> Custom {
        let Value::Mapping(m) = v else {
            if !v.is_null() {
                self.terror(v, ty);
            }
            return Ok(());
        };
        for (k, val) in m.iter() {
            self.path.push(Seg::Key(key_text(k)));
            let name = self.key(k);
            if !field(self, &name, val)? {
                let line = self.key_line();
                self.terrors
                    .push(format!("line {line}: field {name} not found in type {ty}"));
            }
            self.path.pop();
        }
        Ok(())
    }

    fn service(&mut self, v: &Value, ty: &str) -> Result<Service, String> {
        let mut s = Service::default();
        self.fields(v, ty, |d, name, val| {
            match name {
                "summary" => s.summary = d.string(val, "string"),
                "description" => s.description = d.string(val, "string"),
                "startup" => s.startup = d.string(val, "plan.ServiceStartup"),
                "override" => s.override_ = d.string(val, "plan.Override"),
                "command" => s.command = d.string(val, "string"),
                "after" => s.after = d.strings(val),
                "before" => s.before = d.strings(val),
                "requires" => s.requires = d.strings(val),
                "environment" => s.environment = d.opt_map(val, "string"),
                "user-id" => s.user_id = d.int(val),
                "user" => s.user = d.string(val, "string"),
                "group-id" => s.group_id = d.int(val),
                "group" => s.group = d.string(val, "string"),
                "working-dir" => s.working_dir = d.string(val, "string"),
                "workload" => s.workload = d.string(val, "string"),
                "on-success" => s.on_success = d.string(val, "plan.ServiceAction"),
                "on-failure" => s.on_failure = d.string(val, "plan.ServiceAction"),
                "on-check-failure" => s.on_check_failure = d.opt_map(val, "plan.ServiceAction"),
                "backoff-delay" => s.backoff_delay = d.duration(val)?,
                "backoff-factor" => s.backoff_factor = d.float(val)?,
                "backoff-limit" => s.backoff_limit = d.duration(val)?,
                "kill-delay" => s.kill_delay = d.duration(val)?,
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        Ok(s)
    }

    fn check(&mut self, v: &Value, ty: &str) -> Result<Check, String> {
        let mut c = Check::default();
        self.fields(v, ty, |d, name, val| {
            match name {
                "override" => c.override_ = d.string(val, "plan.Override"),
                "level" => c.level = d.string(val, "plan.CheckLevel"),
                "startup" => c.startup = d.string(val, "plan.CheckStartup"),
                "period" => c.period = d.duration(val)?,
                "timeout" => c.timeout = d.duration(val)?,
                "threshold" => c.threshold = d.int(val).unwrap_or(0),
                "http" => c.http = d.sub(val, "plan.HTTPCheck", Dec::http)?,
                "tcp" => c.tcp = d.sub(val, "plan.TCPCheck", Dec::tcp)?,
                "exec" => c.exec = d.sub(val, "plan.ExecCheck", Dec::exec)?,
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        Ok(c)
    }

    /// A pointer-to-struct field: null stays `None`.
    fn sub<T>(
        &mut self,
        v: &Value,
        ty: &str,
        f: impl FnOnce(&mut Dec, &Value, &str) -> Result<T, String>,
    ) -> Result<Option<T>, String> {
        match v {
            Value::Null => Ok(None),
            Value::Mapping(_) => f(self, v, ty).map(Some),
            _ => {
                self.terror(v, ty);
                Ok(None)
            }
        }
    }

    fn http(&mut self, v: &Value, ty: &str) -> Result<HttpCheck, String> {
        let mut h = HttpCheck::default();
        self.fields(v, ty, |d, name, val| {
            match name {
                "url" => h.url = d.string(val, "string"),
                "headers" => h.headers = d.opt_map(val, "string"),
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        Ok(h)
    }

    fn tcp(&mut self, v: &Value, ty: &str) -> Result<TcpCheck, String> {
        let mut t = TcpCheck::default();
        self.fields(v, ty, |d, name, val| {
            match name {
                "port" => t.port = d.int(val).unwrap_or(0),
                "host" => t.host = d.string(val, "string"),
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        Ok(t)
    }

    fn exec(&mut self, v: &Value, ty: &str) -> Result<ExecCheck, String> {
        let mut e = ExecCheck::default();
        self.fields(v, ty, |d, name, val| {
            match name {
                "command" => e.command = d.string(val, "string"),
                "service-context" => e.service_context = d.string(val, "string"),
                "environment" => e.environment = d.opt_map(val, "string"),
                "user-id" => e.user_id = d.int(val),
                "user" => e.user = d.string(val, "string"),
                "group-id" => e.group_id = d.int(val),
                "group" => e.group = d.string(val, "string"),
                "working-dir" => e.working_dir = d.string(val, "string"),
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        Ok(e)
    }

    fn log_target(&mut self, v: &Value, ty: &str) -> Result<LogTarget, String> {
        let mut t = LogTarget::default();
        self.fields(v, ty, |d, name, val| {
            match name {
                "type" => t.type_ = d.string(val, "plan.LogTargetType"),
                "location" => t.location = d.string(val, "string"),
                "services" => t.services = d.strings(val),
                "override" => t.override_ = d.string(val, "plan.Override"),
                "labels" => t.labels = d.opt_map(val, "string"),
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        Ok(t)
    }

    fn workload(&mut self, v: &Value, ty: &str) -> Result<Workload, String> {
        let mut w = Workload::default();
        self.fields(v, ty, |d, name, val| {
            match name {
                "override" => w.override_ = d.string(val, "plan.Override"),
                "environment" => w.environment = d.opt_map(val, "string"),
                "user-id" => w.user_id = d.int(val),
                "user" => w.user = d.string(val, "string"),
                "group-id" => w.group_id = d.int(val),
                "group" => w.group = d.string(val, "string"),
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        Ok(w)
    }
}
