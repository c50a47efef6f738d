//! A tool's flags (typed on top of the gnuflag parser) and juju/cmd's
//! `Output`: `--format smart|yaml|json` and `-o/--output FILE`.

use super::flags::{self, FlagError, Kind, Spec, Val};
use super::value::Value;
use super::{Ctx, Fail, Res, json, message};
use crate::backend::HookCall;
use crate::go;

/// Formatters of most tools.
pub const SMART: &[&str] = &["json", "smart", "yaml"];
/// Formatters of goal-state, secret-get and secret-info-get.
pub const YAML_JSON: &[&str] = &["json", "yaml"];

#[derive(Debug, Clone, Copy, PartialEq)]
enum FKind {
    Bool,
    Str,
    Relation,
    Storage,
    Int,
    Format(&'static [&'static str]),
}

#[derive(Debug, Clone, PartialEq)]
enum FVal {
    Bool(bool),
    Str(String),
    Relation(u32),
    Int(i64),
}

/// A handle on a declared flag.
#[derive(Debug, Clone, Copy)]
pub struct Id(usize);

/// The handles of `--format` and `-o/--output`.
#[derive(Debug, Clone, Copy)]
pub struct OutputIds {
    format: Id,
    path: Id,
    default: &'static str,
}

/// A tool's flags, declared, then parsed once.
pub struct Flags {
    usage: &'static str,
    specs: Vec<Spec>,
    kinds: Vec<FKind>,
    values: Vec<Option<FVal>>,
}

impl Flags {
    /// `usage` is the argument synopsis shown by `--help`.
    pub fn new(usage: &'static str) -> Flags {
        Flags {
            usage,
            specs: Vec::new(),
            kinds: Vec::new(),
            values: Vec::new(),
        }
    }

    fn add(&mut self, names: &'static [&'static str], kind: FKind) -> Id {
        let fk = if kind == FKind::Bool {
            Kind::Bool
        } else {
            Kind::Value
        };
        self.specs.push(Spec { names, kind: fk });
        self.kinds.push(kind);
        self.values.push(None);
        Id(self.specs.len() - 1)
    }

    pub fn bool(&mut self, names: &'static [&'static str]) -> Id {
        self.add(names, FKind::Bool)
    }

    pub fn string(&mut self, names: &'static [&'static str]) -> Id {
        self.add(names, FKind::Str)
    }

    pub fn int(&mut self, names: &'static [&'static str]) -> Id {
        self.add(names, FKind::Int)
    }

    /// `-r/--relation`: a relation id, checked against the backend.
    pub fn relation(&mut self) -> Id {
        self.add(&["r", "relation"], FKind::Relation)
    }

    /// `-s`: a storage id, checked against the backend.
    pub fn storage(&mut self) -> Id {
        self.add(&["s"], FKind::Storage)
    }

    /// `--format` (one of `formats`, `default` when absent) and `-o/--output`.
    pub fn output(&mut self, formats: &'static [&'static str], default: &'static str) -> OutputIds {
        let format = self.add(&["format"], FKind::Format(formats));
        let path = self.add(&["o", "output"], FKind::Str);
        OutputIds {
            format,
            path,
            default,
        }
    }

    /// Parse the arguments (after the tool name); returns the positional ones.
    pub fn parse(&mut self, ctx: &mut Ctx, args: &[String]) -> Res<Vec<String>> {
        let mut fatal: Option<String> = None;
        let kinds = self.kinds.clone();
        let values = &mut self.values;
        let result = flags::parse(&self.specs, args, &mut |idx, _name, val| {
            let v = match (kinds[idx], val) {
                (FKind::Bool, Val::Bool(b)) => FVal::Bool(b),
                (FKind::Str, Val::Str(s)) => FVal::Str(s),
                (FKind::Format(allowed), Val::Str(s)) => {
                    if !allowed.contains(&s.as_str()) {
                        return Err(format!("unknown format {}", go::quote::quote(&s)));
                    }
                    FVal::Str(s)
                }
                (FKind::Int, Val::Str(s)) => FVal::Int(go::strconv::parse_int(&s)?),
                (FKind::Relation, Val::Str(s)) => match relation_id(ctx, &s) {
                    Ok(id) => FVal::Relation(id),
                    Err(Fail::Fatal(m)) => {
                        fatal = Some(m);
                        return Err(String::new());
                    }
                    Err(Fail::Help(m) | Fail::Usage(m) | Fail::Run(m)) => return Err(m),
                    // A flag's value never reads stdin.
                    Err(Fail::NeedStdin) => return Err("stdin".into()),
                },
                (FKind::Storage, Val::Str(s)) => match storage_id(ctx, &s) {
                    Ok(()) => FVal::Str(s),
                    Err(Fail::Fatal(m)) => {
                        fatal = Some(m);
                        return Err(String::new());
                    }
                    Err(Fail::Help(m) | Fail::Usage(m) | Fail::Run(m)) => return Err(m),
                    // A flag's value never reads stdin.
                    Err(Fail::NeedStdin) => return Err("stdin".into()),
                },
                (_, other) => return Err(format!("unexpected value {other:?}")),
            };
            values[idx] = Some(v);
            Ok(())
        });
        if let Some(m) = fatal {
            return Err(Fail::Fatal(m));
        }
        match result {
            Ok(args) => Ok(args),
            Err(FlagError::Help) => Err(Fail::Help(self.help(ctx.name))),
            Err(FlagError::Msg(m)) => Err(Fail::Usage(m)),
        }
    }

    /// A short usage text (charmbox's own words; Juju's help text differs).
    fn help(&self, name: &str) -> String {
        let mut out = format!("Usage: {name}");
        if !self.specs.is_empty() {
            out.push_str(" [options]");
        }
        if !self.usage.is_empty() {
            out.push(' ');
            out.push_str(self.usage);
        }
        out.push('\n');
        if !self.specs.is_empty() {
            out.push_str("\nOptions:\n");
            for s in &self.specs {
                let names: Vec<String> = s.names.iter().map(|n| flags::with_minus(n)).collect();
                out.push_str(&names.join(", "));
                out.push('\n');
            }
        }
        out
    }

    pub fn get_bool(&self, id: Id) -> bool {
        matches!(self.values[id.0], Some(FVal::Bool(true)))
    }

    pub fn get_str(&self, id: Id) -> Option<&str> {
        match &self.values[id.0] {
            Some(FVal::Str(s)) => Some(s),
            _ => None,
        }
    }

    pub fn get_relation(&self, id: Id) -> Option<u32> {
        match self.values[id.0] {
            Some(FVal::Relation(r)) => Some(r),
            _ => None,
        }
    }

    pub fn get_int(&self, id: Id) -> Option<i64> {
        match self.values[id.0] {
            Some(FVal::Int(i)) => Some(i),
            _ => None,
        }
    }

    /// The parsed `--format` and `-o` as an [`Output`].
    pub fn output_of(&self, ids: OutputIds) -> Output {
        Output {
            format: self.get_str(ids.format).unwrap_or(ids.default).to_string(),
            path: self
                .get_str(ids.path)
                .filter(|p| !p.is_empty())
                .map(str::to_string),
        }
    }
}

/// `relationIdValue.Set`: the number after the last `:`, which must name a
/// relation of this unit (the endpoint before it is not checked).
fn relation_id(ctx: &mut Ctx, value: &str) -> Res<u32> {
    let trimmed = value.rsplit(':').next().unwrap_or(value);
    let id = go::strconv::atoi(trimmed).map_err(|_| Fail::Usage("invalid relation id".into()))?;
    let Ok(id) = u32::try_from(id) else {
        return Err(Fail::Usage("relation not found".into()));
    };
    match ctx.try_call(HookCall::RelationEndpoint { relation: id })? {
        Ok(_) => Ok(id),
        Err(e) => Err(Fail::Usage(message(&e).to_string())),
    }
}

/// `storageIdValue.Set`: a valid storage id (`name/N`) that the unit has.
fn storage_id(ctx: &mut Ctx, value: &str) -> Res<()> {
    if !is_valid_storage(value) {
        return Err(Fail::Usage(format!(
            "invalid storage ID {}",
            go::quote::quote(value)
        )));
    }
    match ctx.try_call(HookCall::StorageGet {
        storage_id: Some(value.to_string()),
    })? {
        Ok(_) => Ok(()),
        Err(e) => Err(Fail::Usage(message(&e).to_string())),
    }
}

/// juju/names `IsValidStorage`: `<name>/<n>`, the name lower-case
/// alphanumerics and hyphens, each hyphen-separated part holding a letter.
pub fn is_valid_storage(id: &str) -> bool {
    let Some((name, num)) = id.split_once('/') else {
        return false;
    };
    let num_ok = num == "0"
        || (!num.is_empty() && !num.starts_with('0') && num.bytes().all(|b| b.is_ascii_digit()));
    let name_ok = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.split('-').enumerate().all(|(i, part)| {
            part.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                && (i == 0 || part.chars().any(|c| c.is_ascii_lowercase()))
        });
    num_ok && name_ok
}

/// Where and how a tool's result is printed.
#[derive(Debug, Clone)]
pub struct Output {
    pub format: String,
    pub path: Option<String>,
}

impl Output {
    /// juju/cmd's `Output.Write`: format `v` and send it to stdout, or to
    /// the `-o` file (created even when there is nothing to write).
    pub fn write(&self, ctx: &mut Ctx, v: &Value) -> Res<()> {
        let bytes = format(&self.format, v);
        match &self.path {
            None => {
                ctx.out(&bytes);
                Ok(())
            }
            Some(p) => ctx
                .host
                .write_file(p, &bytes)
                .map_err(|e| Fail::Run(e.to_string())),
        }
    }
}

/// The bytes juju/cmd's formatter `name` prints for `v`.
pub fn format(name: &str, v: &Value) -> Vec<u8> {
    match name {
        "json" => {
            let mut s = json::marshal(v);
            s.push('\n');
            s.into_bytes()
        }
        "yaml" => format_yaml(v),
        _ => format_smart(v),
    }
}

/// `FormatYaml`: nothing for nil; trailing newlines folded into one.
fn format_yaml(v: &Value) -> Vec<u8> {
    if *v == Value::Nil {
        return Vec::new();
    }
    let mut s = go::yaml::v2::marshal(v).into_bytes();
    while s.len() > 1 && s.last() == Some(&b'\n') {
        s.pop();
    }
    if !s.is_empty() {
        s.push(b'\n');
    }
    s
}

/// `FormatSmart`: strings as they are, `[]string` one per line, bools as
/// `True`/`False`, nil and empty text as nothing, anything else as yaml.
fn format_smart(v: &Value) -> Vec<u8> {
    let text = match v {
        Value::Nil => return Vec::new(),
        Value::Str(s) => s.clone(),
        Value::Strings { items, .. } => items.join("\n"),
        Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        other => return format_yaml(other),
    };
    if text.is_empty() {
        return Vec::new();
    }
    let mut out = text.into_bytes();
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smart() {
        assert_eq!(format("smart", &Value::Str("p\nq\n".into())), b"p\nq\n\n");
        assert_eq!(format("smart", &Value::Str(String::new())), b"");
        assert_eq!(format("smart", &Value::Bool(true)), b"True\n");
        assert_eq!(format("smart", &Value::Nil), b"");
        assert_eq!(format("json", &Value::Nil), b"null\n");
        assert_eq!(format("yaml", &Value::Nil), b"");
        assert_eq!(format("yaml", &Value::Str(String::new())), b"\"\"\n");
        assert_eq!(
            format(
                "smart",
                &Value::Strings {
                    items: vec![],
                    nil: true
                }
            ),
            b""
        );
        assert_eq!(
            format(
                "yaml",
                &Value::Strings {
                    items: vec![],
                    nil: true
                }
            ),
            b"[]\n"
        );
        assert_eq!(
            format(
                "json",
                &Value::Strings {
                    items: vec![],
                    nil: true
                }
            ),
            b"null\n"
        );
        assert_eq!(
            format(
                "smart",
                &Value::Map {
                    entries: vec![],
                    sorted: true,
                    nil: true
                }
            ),
            b"{}\n"
        );
    }

    #[test]
    fn storage_ids() {
        for ok in ["data/0", "data-x1/12", "a/3"] {
            assert!(is_valid_storage(ok), "{ok}");
        }
        for bad in ["data", "data/01", "Data/0", "data-1/0", "1data/0", "data/x"] {
            assert!(!is_valid_storage(bad), "{bad}");
        }
    }
}
