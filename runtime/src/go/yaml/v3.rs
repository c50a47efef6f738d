//! gopkg.in/yaml.v3 `Marshal` for Pebble's plan shapes, block style:
//! 4-space indentation, sequences indented under their key, `{}`/`[]` for
//! empty collections, yaml.v3's scalar styles.
//! It can also report the line each node lands on, which is how Pebble's
//! section-relative line numbers in decode errors are reproduced.

use super::Version;
use super::scalar::{self, Style};

/// A YAML tree in the order it is to be written.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Map(Vec<(String, Node)>),
    Seq(Vec<Node>),
    /// A string, quoted as yaml.v3 would.
    Str(String),
    /// A number or boolean, written as is.
    Raw(String),
}

/// One step of a path into a tree.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// Where a node landed: the line of its key (or `-`) and of its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub path: Vec<Seg>,
    pub key_line: usize,
    pub value_line: usize,
}

const INDENT: usize = 4;

struct Emitter<'a> {
    out: String,
    /// 1-based line of the text being written.
    line: usize,
    track: Option<&'a mut Vec<Placed>>,
    path: Vec<Seg>,
}

/// Render a tree as yaml.v3 would (`{}` for an empty top-level map).
pub fn to_string(node: &Node) -> String {
    let mut e = Emitter {
        out: String::new(),
        line: 1,
        track: None,
        path: Vec::new(),
    };
    e.document(node);
    e.out
}

/// Render a tree and report the line of every node in it.
pub fn placements(node: &Node) -> Vec<Placed> {
    let mut placed = Vec::new();
    let mut e = Emitter {
        out: String::new(),
        line: 1,
        track: Some(&mut placed),
        path: Vec::new(),
    };
    e.document(node);
    placed
}

impl Emitter<'_> {
    fn push(&mut self, s: &str) {
        self.line += s.matches('\n').count();
        self.out.push_str(s);
    }

    fn record(&mut self, key_line: usize, value_line: usize) {
        if let Some(t) = self.track.as_deref_mut() {
            t.push(Placed {
                path: self.path.clone(),
                key_line,
                value_line,
            });
        }
    }

    fn document(&mut self, node: &Node) {
        match node {
            Node::Map(m) if m.is_empty() => self.push("{}\n"),
            Node::Seq(s) if s.is_empty() => self.push("[]\n"),
            Node::Map(m) => self.map_entries(m, 0, false),
            Node::Seq(s) => self.seq_items(s, 0, false),
            scalar => {
                let line = self.line;
                self.record(line, line);
                self.inline_value(scalar, 0);
            }
        }
    }

    fn pad(&mut self, n: usize) {
        for _ in 0..n {
            self.out.push(' ');
        }
    }

    /// Entries of a block map at column `indent`; `inline_first` when the
    /// first one continues a line already started (after `- `).
    fn map_entries(&mut self, entries: &[(String, Node)], indent: usize, inline_first: bool) {
        for (i, (key, value)) in entries.iter().enumerate() {
            if !(i == 0 && inline_first) {
                self.pad(indent);
            }
            self.path.push(Seg::Key(key.clone()));
            let key_line = self.line;
            let simple = key.len() <= 128 && !scalar::analyze(key, Version::V3).multiline;
            if simple {
                let k = scalar_text(key, true);
                self.push(&k);
                self.push(":");
            } else {
                self.push("? ");
                let k = scalar::double_quoted(key);
                self.push(&k);
                self.push("\n");
                self.pad(indent);
                self.push(":");
            }
            self.value(value, indent, key_line);
            self.path.pop();
        }
    }

    /// Items of a block sequence whose `-` sits at column `indent`.
    fn seq_items(&mut self, items: &[Node], indent: usize, inline_first: bool) {
        for (i, item) in items.iter().enumerate() {
            if !(i == 0 && inline_first) {
                self.pad(indent);
            }
            self.path.push(Seg::Index(i));
            let line = self.line;
            self.push("-");
            match item {
                Node::Map(m) if !m.is_empty() => {
                    self.record(line, line);
                    // yaml.v3 pads `-` out to the next indentation level.
                    self.pad(INDENT - 1);
                    self.map_entries(m, indent + INDENT, true);
                }
                Node::Seq(s) if !s.is_empty() => {
                    self.record(line, line);
                    self.pad(INDENT - 1);
                    self.seq_items(s, indent + INDENT, true);
                }
                _ => {
                    self.record(line, line);
                    self.inline_value(item, indent);
                }
            }
            self.path.pop();
        }
    }

    /// The value after `key:` (the line is open, no space written yet).
    fn value(&mut self, node: &Node, indent: usize, key_line: usize) {
        match node {
            Node::Map(m) if !m.is_empty() => {
                self.push("\n");
                let value_line = self.line;
                self.record(key_line, value_line);
                self.map_entries(m, indent + INDENT, false);
            }
            Node::Seq(s) if !s.is_empty() => {
                self.push("\n");
                let value_line = self.line;
                self.record(key_line, value_line);
                self.seq_items(s, indent + INDENT, false);
            }
            _ => {
                self.record(key_line, key_line);
                self.inline_value(node, indent);
            }
        }
    }

    /// A scalar or empty collection after `key:` or `-`, ending the line.
    fn inline_value(&mut self, node: &Node, indent: usize) {
        match node {
            Node::Map(_) => self.push(" {}\n"),
            Node::Seq(_) => self.push(" []\n"),
            Node::Raw(r) => {
                self.push(" ");
                self.push(r);
                self.push("\n");
            }
            Node::Str(s) => {
                if scalar::string_style(s, Version::V3, false) == Style::Literal {
                    self.literal(s, indent + INDENT);
                } else {
                    let text = scalar_text(s, false);
                    self.push(" ");
                    self.push(&text);
                    self.push("\n");
                }
            }
        }
    }

    /// A literal block scalar (`|`, `|-`, `|+`, with an indentation hint
    /// when the text starts with a space or a line break).
    fn literal(&mut self, s: &str, indent: usize) {
        let mut header = String::from(" |");
        let (indent_hint, chomp) = scalar::block_hints(s);
        if indent_hint {
            header.push_str(&INDENT.to_string());
        }
        header.extend(chomp);
        let chars: Vec<char> = s.chars().collect();
        header.push('\n');
        self.push(&header);
        let mut at_line_start = true;
        let mut buf = String::new();
        for c in chars {
            if c == '\n' {
                buf.push('\n');
                at_line_start = true;
            } else {
                if at_line_start {
                    for _ in 0..indent {
                        buf.push(' ');
                    }
                    at_line_start = false;
                }
                buf.push(c);
            }
        }
        if !buf.ends_with('\n') {
            buf.push('\n');
        }
        self.push(&buf);
    }
}

/// A string written as a one-line scalar in its yaml.v3 style.
fn scalar_text(s: &str, key: bool) -> String {
    match scalar::string_style(s, Version::V3, key) {
        Style::Plain => s.to_string(),
        Style::Single => scalar::single_quoted(s),
        Style::Double | Style::Literal => scalar::double_quoted(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(entries: Vec<(&str, Node)>) -> Node {
        Node::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    }

    fn s(v: &str) -> Node {
        Node::Str(v.to_string())
    }

    #[test]
    fn nested_maps_and_lists() {
        let plan = m(vec![(
            "services",
            m(vec![(
                "svc",
                m(vec![
                    ("override", s("replace")),
                    ("command", s("/bin/sh -c \"sleep 1\"")),
                    ("after", Node::Seq(vec![s("db")])),
                    ("environment", m(vec![("y", s("true")), ("EMPTY", s(""))])),
                    ("user-id", Node::Raw("1000".into())),
                ]),
            )]),
        )]);
        assert_eq!(
            to_string(&plan),
            "services:\n    svc:\n        override: replace\n        command: /bin/sh -c \"sleep 1\"\n        after:\n            - db\n        environment:\n            \"y\": \"true\"\n            EMPTY: \"\"\n        user-id: 1000\n"
        );
        assert_eq!(to_string(&Node::Map(vec![])), "{}\n");
    }

    #[test]
    fn literal_blocks() {
        let doc = m(vec![
            ("d", s("a\n\nb\n")),
            ("e", s("x\ny")),
            ("f", s(" x\ny")),
        ]);
        assert_eq!(
            to_string(&doc),
            "d: |\n    a\n\n    b\ne: |-\n    x\n    y\nf: |4-\n     x\n    y\n"
        );
    }

    #[test]
    fn placements_report_lines() {
        let doc = m(vec![
            (
                "a",
                m(vec![("x", s("1")), ("y", Node::Seq(vec![s("p"), s("q")]))]),
            ),
            ("b", s("v")),
        ]);
        let p = placements(&doc);
        let find = |path: Vec<Seg>| p.iter().find(|x| x.path == path).cloned().unwrap();
        assert_eq!(find(vec![Seg::Key("a".into())]).value_line, 2);
        let y = find(vec![Seg::Key("a".into()), Seg::Key("y".into())]);
        assert_eq!((y.key_line, y.value_line), (3, 4));
        let q = find(vec![
            Seg::Key("a".into()),
            Seg::Key("y".into()),
            Seg::Index(1),
        ]);
        assert_eq!(q.key_line, 5);
        assert_eq!(find(vec![Seg::Key("b".into())]).key_line, 6);
    }

    #[test]
    fn floats_like_go() {
        assert_eq!(scalar::float(2.0), "2");
        assert_eq!(scalar::float(1.5), "1.5");
        assert_eq!(scalar::float(0.0001), "0.0001");
        assert_eq!(scalar::float(0.00001), "1e-05");
        assert_eq!(scalar::float(123456.0), "123456");
        assert_eq!(scalar::float(1e6), "1e+06");
        assert_eq!(scalar::float(1234567.0), "1.234567e+06");
        assert_eq!(scalar::float(-2.5), "-2.5");
        assert_eq!(scalar::float(f64::INFINITY), ".inf");
    }
}
