//! gopkg.in/yaml.v2 `Marshal` (v2.4.0) for the values hook tools print.
//!
//! What matters for byte-for-byte output: which scalar style a string gets
//! (plain, single-quoted, double-quoted or literal block), yaml.v2's natural
//! ordering of map keys (`a2` before `a10`), block sequences that are not
//! indented under a mapping key, `{}`/`[]` for empty collections, and the
//! emitter's folding of long plain and quoted scalars at column 80.

use super::Version;
use super::scalar::{self, Style, is_break, needs_escape, requested_style, select_style};
use super::sort::{key_less, merge_sort};

const BEST_INDENT: i32 = 2;
const BEST_WIDTH: usize = 80;

/// How yaml.v2 sees one value: the reflection cases `Marshal` tells apart.
pub enum View<'a, V> {
    /// An untyped nil.
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A `time.Time`, already as text: asked for plain.
    Time(&'a str),
    Str(&'a str),
    /// A `[]string`.
    Strings(&'a [String]),
    /// Any other slice.
    Seq(&'a [V]),
    /// A map (`sorted`: keys in yaml.v2's order) or a struct (as given).
    Map {
        entries: &'a [(String, V)],
        sorted: bool,
    },
}

/// A value yaml.v2 can marshal.
pub trait Marshal: Sized {
    /// This value as yaml.v2's encoder sees it.
    fn view(&self) -> View<'_, Self>;
}

/// yaml.v2's `Marshal(v)`.
pub fn marshal<V: Marshal>(v: &V) -> String {
    let mut e = Emitter {
        out: String::new(),
        column: 0,
        indent: -1,
        indents: Vec::new(),
        whitespace: true,
        indention: true,
        mapping_ctx: false,
        simple_key_ctx: false,
    };
    e.node(v, false, false);
    // Document end: finish the last line.
    e.write_indent();
    e.out
}

struct Emitter {
    out: String,
    column: usize,
    indent: i32,
    indents: Vec<i32>,
    whitespace: bool,
    indention: bool,
    mapping_ctx: bool,
    simple_key_ctx: bool,
}

impl Emitter {
    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn write_str(&mut self, s: &str) {
        for c in s.chars() {
            self.put(c);
        }
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(&mut self, ind: &str, need_ws: bool, is_ws: bool, is_indention: bool) {
        if need_ws && !self.whitespace {
            self.put(' ');
        }
        self.write_str(ind);
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
    }

    fn node<V: Marshal>(&mut self, v: &V, mapping: bool, simple_key: bool) {
        self.mapping_ctx = mapping;
        self.simple_key_ctx = simple_key;
        match v.view() {
            View::Null => self.scalar("null", Style::Plain),
            View::Bool(b) => self.scalar(if b { "true" } else { "false" }, Style::Plain),
            View::Int(i) => self.scalar(&i.to_string(), Style::Plain),
            View::Float(f) => self.scalar(&scalar::float(f), Style::Plain),
            View::Time(t) => self.scalar(t, Style::Plain),
            View::Str(s) => self.string(s),
            View::Strings(items) => {
                if self.sequence_start(items.is_empty()) {
                    for item in items {
                        self.sequence_item();
                        self.mapping_ctx = false;
                        self.simple_key_ctx = false;
                        self.string(item);
                    }
                    self.pop_indent();
                }
            }
            View::Seq(items) => {
                if self.sequence_start(items.is_empty()) {
                    for item in items {
                        self.sequence_item();
                        self.node(item, false, false);
                    }
                    self.pop_indent();
                }
            }
            View::Map { entries, sorted } => {
                let mut refs: Vec<&(String, V)> = entries.iter().collect();
                if sorted {
                    refs = merge_sort(refs, &|a, b| key_less(&a.0, &b.0, Version::V2));
                }
                self.mapping(&refs);
            }
        }
    }

    /// A string scalar in the style yaml.v2's `stringv` asks for.
    fn string(&mut self, s: &str) {
        self.scalar(s, requested_style(s, Version::V2));
    }

    /// Begin a block sequence; false (and `[]` written) when it is empty.
    fn sequence_start(&mut self, empty: bool) -> bool {
        if empty {
            self.write_indicator("[", true, true, false);
            self.write_indicator("]", false, false, false);
            return false;
        }
        let indentless = self.mapping_ctx && !self.indention;
        self.increase_indent(false, indentless);
        true
    }

    fn sequence_item(&mut self) {
        self.write_indent();
        self.write_indicator("-", true, false, true);
    }

    fn mapping<V: Marshal>(&mut self, entries: &[&(String, V)]) {
        if entries.is_empty() {
            self.write_indicator("{", true, true, false);
            self.write_indicator("}", false, false, false);
            return;
        }
        self.increase_indent(false, false);
        for (k, v) in entries.iter().map(|e| (&e.0, &e.1)) {
            self.write_indent();
            let simple = !k.contains(is_break) && k.len() <= 128;
            if simple {
                self.mapping_ctx = true;
                self.simple_key_ctx = true;
                self.string(k);
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.mapping_ctx = true;
                self.simple_key_ctx = false;
                self.string(k);
                self.write_indent();
                self.write_indicator(":", true, false, true);
            }
            self.node(v, true, false);
        }
        self.pop_indent();
    }

    fn scalar(&mut self, value: &str, requested: Style) {
        let a = scalar::analyze(value, Version::V2);
        let style = select_style(value, &a, requested, self.simple_key_ctx);
        let allow_breaks = !self.simple_key_ctx;
        self.increase_indent(true, false);
        match style {
            Style::Plain => self.write_plain(value, allow_breaks),
            Style::Single => self.write_single(value, allow_breaks),
            Style::Double => self.write_double(value, allow_breaks),
            Style::Literal => self.write_literal(value),
        }
        self.pop_indent();
    }

    fn write_plain(&mut self, value: &str, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        self.write_folded(value, allow_breaks, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single(&mut self, value: &str, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        self.write_folded(value, allow_breaks, true);
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    /// The text of a plain or (`single`) single-quoted scalar: a space past
    /// the width folds (inside the text only, when quoted), breaks are kept
    /// (a first `\n` doubled), quotes doubled.
    fn write_folded(&mut self, value: &str, allow_breaks: bool, single: bool) {
        let chars: Vec<char> = value.chars().collect();
        let mut spaces = false;
        let mut breaks = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && (!single || (i > 0 && i + 1 < chars.len()))
                    && chars.get(i + 1) != Some(&' ')
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if single && c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
    }

    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
        }
    }

    fn write_double(&mut self, value: &str, allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        let chars: Vec<char> = value.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if needs_escape(c) {
                self.put('\\');
                self.write_str(&scalar::escape(c));
                spaces = false;
            } else if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i + 1 < chars.len()
                {
                    self.write_indent();
                    if chars[i + 1] == ' ' {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, value: &str) {
        self.write_indicator("|", true, false, false);
        let (indent_hint, chomp) = scalar::block_hints(value);
        if indent_hint {
            self.write_indicator(&BEST_INDENT.to_string(), false, false, false);
        }
        if let Some(ch) = chomp {
            self.write_indicator(&ch.to_string(), false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for c in value.chars() {
            if is_break(c) {
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shapes hook tools print (as `jujuc::value::Value`).
    enum Value {
        Nil,
        Bool(bool),
        Int(i64),
        Float(f64),
        Str(String),
        Strings(Vec<String>),
        List(Vec<Value>),
        Map(Vec<(String, Value)>, bool),
    }

    impl Marshal for Value {
        fn view(&self) -> View<'_, Value> {
            match self {
                Value::Nil => View::Null,
                Value::Bool(b) => View::Bool(*b),
                Value::Int(i) => View::Int(*i),
                Value::Float(f) => View::Float(*f),
                Value::Str(s) => View::Str(s),
                Value::Strings(items) => View::Strings(items),
                Value::List(items) => View::Seq(items),
                Value::Map(entries, sorted) => View::Map {
                    entries,
                    sorted: *sorted,
                },
            }
        }
    }

    impl Value {
        fn map(entries: Vec<(String, Value)>) -> Value {
            Value::Map(entries, true)
        }

        fn record(fields: Vec<(&str, Value)>) -> Value {
            Value::Map(
                fields
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
                false,
            )
        }

        fn strings(items: Vec<String>) -> Value {
            Value::Strings(items)
        }
    }

    fn y(v: Value) -> String {
        marshal(&v)
    }

    #[test]
    fn scalars() {
        assert_eq!(y(Value::Str("hello".into())), "hello\n");
        assert_eq!(y(Value::Str("".into())), "\"\"\n");
        assert_eq!(y(Value::Str("true".into())), "\"true\"\n");
        assert_eq!(y(Value::Str("yes".into())), "\"yes\"\n");
        assert_eq!(y(Value::Str("12".into())), "\"12\"\n");
        assert_eq!(y(Value::Str("1.5".into())), "\"1.5\"\n");
        assert_eq!(y(Value::Str("2024-01-02".into())), "\"2024-01-02\"\n");
        assert_eq!(y(Value::Str("1:20".into())), "\"1:20\"\n");
        assert_eq!(y(Value::Str("a: b".into())), "'a: b'\n");
        assert_eq!(y(Value::Str("- x".into())), "'- x'\n");
        assert_eq!(y(Value::Str(" x".into())), "' x'\n");
        assert_eq!(y(Value::Str("it's".into())), "it's\n");
        assert_eq!(y(Value::Str("#x".into())), "'#x'\n");
        assert_eq!(y(Value::Str("a\tb".into())), "\"a\\tb\"\n");
        assert_eq!(y(Value::Str("a\nb".into())), "|-\n  a\n  b\n");
        assert_eq!(y(Value::Str("a\nb\n".into())), "|\n  a\n  b\n");
        assert_eq!(y(Value::Str("a \nb".into())), "\"a \\nb\"\n");
        assert_eq!(y(Value::Nil), "null\n");
        assert_eq!(y(Value::Bool(false)), "false\n");
        assert_eq!(y(Value::Float(1234567.0)), "1.234567e+06\n");
        assert_eq!(y(Value::Float(100000.0)), "100000\n");
        assert_eq!(y(Value::Float(0.00001)), "1e-05\n");
        assert_eq!(y(Value::Float(2.5)), "2.5\n");
    }

    #[test]
    fn collections() {
        let m = Value::map(vec![
            ("b".into(), Value::Str("2".into())),
            ("a10".into(), Value::Int(1)),
            ("a2".into(), Value::strings(vec!["x".into(), "y".into()])),
            ("c".into(), Value::map(vec![])),
            (
                "d".into(),
                Value::List(vec![Value::record(vec![
                    ("k", Value::Int(1)),
                    ("j", Value::Int(2)),
                ])]),
            ),
        ]);
        assert_eq!(
            y(m),
            "a2:\n- x\n- \"y\"\na10: 1\nb: \"2\"\nc: {}\nd:\n- k: 1\n  j: 2\n"
        );
        assert_eq!(y(Value::strings(vec![])), "[]\n");
        assert_eq!(
            y(Value::map(vec![("m".into(), Value::Str("l1\nl2".into()))])),
            "m: |-\n  l1\n  l2\n"
        );
        assert_eq!(
            y(Value::List(vec![Value::List(vec![
                Value::Int(1),
                Value::Int(2)
            ])])),
            "- - 1\n  - 2\n"
        );
    }

    #[test]
    fn folding() {
        let long = "word ".repeat(20) + "end";
        let out = y(Value::map(vec![("k".into(), Value::Str(long))]));
        assert_eq!(
            out,
            "k: word word word word word word word word word word word word word word word word\n  word word word word end\n"
        );
    }
}
