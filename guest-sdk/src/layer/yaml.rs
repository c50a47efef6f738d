//! A minimal YAML emitter for layers: Pebble's field names bare, every
//! string double-quoted and escaped.

use std::fmt::Write as _;

/// A map key: one of Pebble's field names (written bare) or a name the
/// charm chose (written quoted).
#[derive(Debug)]
pub(super) enum Key {
    Field(&'static str),
    User(String),
}

#[derive(Debug)]
pub(super) enum Node {
    /// A string, always double-quoted.
    Str(String),
    /// A number or a fixed keyword, written as is.
    Plain(String),
    Map(Vec<(Key, Node)>),
    List(Vec<Node>),
}

pub(super) fn opt_str(m: &mut Vec<(Key, Node)>, field: &'static str, value: &Option<String>) {
    if let Some(v) = value {
        m.push((Key::Field(field), Node::Str(v.clone())));
    }
}

pub(super) fn opt_int(m: &mut Vec<(Key, Node)>, field: &'static str, value: Option<u32>) {
    if let Some(v) = value {
        m.push((Key::Field(field), Node::Plain(v.to_string())));
    }
}

pub(super) fn string_map(
    m: &mut Vec<(Key, Node)>,
    field: &'static str,
    pairs: &[(String, String)],
) {
    if !pairs.is_empty() {
        let entries = pairs
            .iter()
            .map(|(k, v)| (Key::User(k.clone()), Node::Str(v.clone())))
            .collect();
        m.push((Key::Field(field), Node::Map(entries)));
    }
}

pub(super) fn string_list(m: &mut Vec<(Key, Node)>, field: &'static str, items: &[String]) {
    if !items.is_empty() {
        let items = items.iter().map(|s| Node::Str(s.clone())).collect();
        m.push((Key::Field(field), Node::List(items)));
    }
}

/// A float as YAML reads it back (`2.0`, not `2`; no `inf`/`NaN` forms).
pub(super) fn float(f: f64) -> String {
    if f.is_finite() {
        let s = f.to_string();
        if s.contains(['.', 'e', 'E']) {
            s
        } else {
            format!("{s}.0")
        }
    } else if f.is_nan() {
        ".nan".to_string()
    } else if f > 0.0 {
        ".inf".to_string()
    } else {
        "-.inf".to_string()
    }
}

/// Write `s` as a YAML double-quoted scalar.
pub(super) fn quote(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Other C0/C1 controls, DEL, YAML's extra line breaks and the BOM.
            c if (c as u32) < 0x20
                || ('\u{7f}'..='\u{9f}').contains(&c)
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') =>
            {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

pub(super) fn emit_key(out: &mut String, key: &Key) {
    match key {
        Key::Field(f) => out.push_str(f),
        Key::User(k) => quote(out, k),
    }
}

pub(super) fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

pub(super) fn emit_map(out: &mut String, entries: &[(Key, Node)], level: usize) {
    for (key, value) in entries {
        indent(out, level);
        emit_key(out, key);
        out.push(':');
        emit_value(out, value, level);
    }
}

/// Write a value after `key:` (or `-`), ending the line.
pub(super) fn emit_value(out: &mut String, value: &Node, level: usize) {
    match value {
        Node::Str(s) => {
            out.push(' ');
            quote(out, s);
            out.push('\n');
        }
        Node::Plain(p) => {
            out.push(' ');
            out.push_str(p);
            out.push('\n');
        }
        Node::Map(m) if m.is_empty() => out.push_str(" {}\n"),
        Node::List(l) if l.is_empty() => out.push_str(" []\n"),
        Node::Map(m) => {
            out.push('\n');
            emit_map(out, m, level + 1);
        }
        Node::List(items) => {
            out.push('\n');
            for item in items {
                indent(out, level + 1);
                out.push('-');
                emit_value(out, item, level + 1);
            }
        }
    }
}
