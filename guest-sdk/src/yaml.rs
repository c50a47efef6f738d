//! A small reader for the block YAML Pebble writes (yaml.v3: plain,
//! single- and double-quoted scalars, literal blocks, `{}`/`[]`) and that
//! people write in layers (also simple flow collections). It is enough to
//! read plans and layers back without a YAML library in the guest.

/// A YAML tree; every scalar stays text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Yaml {
    Map(Vec<(String, Yaml)>),
    Seq(Vec<Yaml>),
    Str(String),
    Null,
}

impl Yaml {
    pub(crate) fn get(&self, key: &str) -> Option<&Yaml> {
        match self {
            Yaml::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub(crate) fn str(&self) -> Option<&str> {
        match self {
            Yaml::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn entries(&self) -> &[(String, Yaml)] {
        match self {
            Yaml::Map(m) => m,
            _ => &[],
        }
    }

    pub(crate) fn items(&self) -> &[Yaml] {
        match self {
            Yaml::Seq(s) => s,
            _ => &[],
        }
    }
}

struct Line {
    indent: usize,
    text: String,
    /// 1-based, for errors.
    number: usize,
}

struct Reader {
    lines: Vec<Line>,
    raw: Vec<String>,
    pos: usize,
}

/// Parse a YAML document.
pub(crate) fn parse(text: &str) -> Result<Yaml, String> {
    let raw: Vec<String> = text.lines().map(String::from).collect();
    let lines = raw
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let body = l.trim_start_matches(' ');
            if body.is_empty() || body.starts_with('#') || body == "---" {
                return None;
            }
            Some(Line {
                indent: l.len() - body.len(),
                text: body.trim_end().to_string(),
                number: i + 1,
            })
        })
        .collect();
    let mut r = Reader { lines, raw, pos: 0 };
    if r.lines.is_empty() {
        return Ok(Yaml::Null);
    }
    let indent = r.lines[0].indent;
    let node = r.node(indent)?;
    if r.pos < r.lines.len() {
        return Err(format!(
            "line {}: unexpected content",
            r.lines[r.pos].number
        ));
    }
    Ok(node)
}

/// Split `key: rest` (the key may be quoted); `None` if not a mapping line.
fn split_key(text: &str) -> Option<(String, String)> {
    if text.starts_with('"') || text.starts_with('\'') {
        let (key, used) = quoted(text).ok()?;
        let rest = &text[used..];
        let rest = rest.strip_prefix(':')?;
        if !(rest.is_empty() || rest.starts_with(' ')) {
            return None;
        }
        return Some((key, rest.trim().to_string()));
    }
    if text.starts_with("- ") || text == "-" || text.starts_with('[') || text.starts_with('{') {
        return None;
    }
    let mut idx = None;
    let b = text.as_bytes();
    for i in 0..b.len() {
        if b[i] == b':' && (i + 1 == b.len() || b[i + 1] == b' ') {
            idx = Some(i);
            break;
        }
        if b[i] == b'#' && i > 0 && b[i - 1] == b' ' {
            break;
        }
    }
    let i = idx?;
    Some((
        text[..i].trim().to_string(),
        text[i + 1..].trim().to_string(),
    ))
}

impl Reader {
    fn node(&mut self, indent: usize) -> Result<Yaml, String> {
        let Some(line) = self.lines.get(self.pos) else {
            return Ok(Yaml::Null);
        };
        if line.indent < indent {
            return Ok(Yaml::Null);
        }
        let indent = line.indent;
        if line.text == "-" || line.text.starts_with("- ") {
            self.seq(indent)
        } else if split_key(&line.text).is_some() {
            self.map(indent)
        } else {
            let (text, number) = (line.text.clone(), line.number);
            self.pos += 1;
            self.value(indent, &text, number, false)
        }
    }

    fn map(&mut self, indent: usize) -> Result<Yaml, String> {
        let mut entries = Vec::new();
        while let Some(line) = self.lines.get(self.pos) {
            if line.indent != indent {
                if line.indent > indent {
                    return Err(format!("line {}: bad indentation", line.number));
                }
                break;
            }
            let Some((key, rest)) = split_key(&line.text) else {
                break;
            };
            let number = line.number;
            self.pos += 1;
            let value = self.value(indent, &rest, number, true)?;
            entries.push((key, value));
        }
        Ok(Yaml::Map(entries))
    }

    fn seq(&mut self, indent: usize) -> Result<Yaml, String> {
        let mut items = Vec::new();
        while let Some(line) = self.lines.get(self.pos) {
            if line.indent != indent || !(line.text == "-" || line.text.starts_with("- ")) {
                break;
            }
            let rest = line.text[1..].trim_start().to_string();
            let pad = line.text.len() - rest.len();
            let number = line.number;
            if split_key(&rest).is_some() {
                // `- key: value`: the map continues at the key's column.
                self.lines[self.pos] = Line {
                    indent: indent + pad,
                    text: rest,
                    number,
                };
                items.push(self.map(indent + pad)?);
                continue;
            }
            self.pos += 1;
            items.push(self.value(indent, &rest, number, false)?);
        }
        Ok(Yaml::Seq(items))
    }

    /// The value after `key:` or `-` (`rest` is what follows on the line).
    fn value(
        &mut self,
        indent: usize,
        rest: &str,
        number: usize,
        in_map: bool,
    ) -> Result<Yaml, String> {
        let rest = strip_comment(rest);
        if rest.is_empty() {
            return match self.lines.get(self.pos) {
                Some(next) if next.indent > indent => self.node(indent + 1),
                Some(next)
                    if in_map
                        && next.indent == indent
                        && (next.text == "-" || next.text.starts_with("- ")) =>
                {
                    self.seq(indent)
                }
                _ => Ok(Yaml::Null),
            };
        }
        if rest.starts_with('|') || rest.starts_with('>') {
            return self.block(indent, rest, number);
        }
        if rest.starts_with('[') || rest.starts_with('{') {
            let (v, used) = flow(rest).map_err(|e| format!("line {number}: {e}"))?;
            if !rest[used..].trim().is_empty() {
                return Err(format!(
                    "line {number}: unexpected text after flow collection"
                ));
            }
            return Ok(v);
        }
        scalar(rest).map_err(|e| format!("line {number}: {e}"))
    }

    /// A literal (`|`) or folded (`>`) block scalar.
    fn block(&mut self, indent: usize, header: &str, number: usize) -> Result<Yaml, String> {
        let folded = header.starts_with('>');
        let mut chomp = ' ';
        let mut explicit = None;
        for c in header[1..].chars() {
            match c {
                '-' | '+' => chomp = c,
                d if d.is_ascii_digit() => explicit = d.to_digit(10).map(|d| d as usize),
                ' ' => {}
                _ => return Err(format!("line {number}: bad block scalar header")),
            }
        }
        // Raw lines after the header (blank ones included).
        let start_line = number; // 1-based; raw index of the next line
        let mut content: Vec<&str> = Vec::new();
        let mut block_indent = explicit.map(|e| indent + e);
        let mut i = start_line;
        while i < self.raw.len() {
            let l = &self.raw[i];
            let body = l.trim_start_matches(' ');
            let ind = l.len() - body.len();
            if body.is_empty() {
                content.push("");
                i += 1;
                continue;
            }
            let bi = *block_indent.get_or_insert(ind);
            if ind < bi || ind <= indent {
                break;
            }
            content.push(&l[bi..]);
            i += 1;
        }
        // Trailing blank lines belong to chomping.
        let mut trailing = 0;
        while content.last() == Some(&"") {
            content.pop();
            trailing += 1;
        }
        // Skip the consumed lines in the line list.
        while self.pos < self.lines.len() && self.lines[self.pos].number <= i {
            self.pos += 1;
        }
        let mut text = if folded {
            let mut out = String::new();
            for (k, l) in content.iter().enumerate() {
                if k > 0 {
                    out.push(if l.is_empty() || content[k - 1].is_empty() {
                        '\n'
                    } else {
                        ' '
                    });
                }
                out.push_str(l);
            }
            out
        } else {
            content.join("\n")
        };
        match chomp {
            '-' => {}
            '+' => {
                text.push('\n');
                for _ in 0..trailing {
                    text.push('\n');
                }
            }
            _ => {
                if !content.is_empty() {
                    text.push('\n');
                }
            }
        }
        Ok(Yaml::Str(text))
    }
}

fn strip_comment(s: &str) -> &str {
    if s.starts_with('"') || s.starts_with('\'') {
        return s;
    }
    match s.find(" #") {
        Some(i) => s[..i].trim_end(),
        None => s,
    }
}

/// A one-line scalar.
fn scalar(text: &str) -> Result<Yaml, String> {
    if text.starts_with('"') || text.starts_with('\'') {
        let (s, used) = quoted(text)?;
        if !strip_comment(text[used..].trim()).is_empty() {
            return Err("unexpected text after quoted scalar".into());
        }
        return Ok(Yaml::Str(s));
    }
    let t = strip_comment(text).trim();
    Ok(match t {
        "~" | "null" | "Null" | "NULL" => Yaml::Null,
        _ => Yaml::Str(t.to_string()),
    })
}

/// A quoted scalar at the start of `text`: its value and bytes used.
fn quoted(text: &str) -> Result<(String, usize), String> {
    let q = text.chars().next().ok_or("empty")?;
    let mut out = String::new();
    let mut it = text.char_indices().skip(1).peekable();
    while let Some((i, c)) = it.next() {
        if c == q {
            if q == '\'' && it.peek().map(|p| p.1) == Some('\'') {
                it.next();
                out.push('\'');
                continue;
            }
            return Ok((out, i + 1));
        }
        if q == '"' && c == '\\' {
            let (_, e) = it.next().ok_or("unterminated escape")?;
            let hex = |it: &mut std::iter::Peekable<std::iter::Skip<std::str::CharIndices<'_>>>,
                       n: usize|
             -> Result<char, String> {
                let mut v = 0u32;
                for _ in 0..n {
                    let (_, h) = it.next().ok_or("short escape")?;
                    v = v * 16 + h.to_digit(16).ok_or("bad hex escape")?;
                }
                char::from_u32(v).ok_or_else(|| "bad code point".to_string())
            };
            out.push(match e {
                '0' => '\0',
                'a' => '\u{7}',
                'b' => '\u{8}',
                't' | '\t' => '\t',
                'n' => '\n',
                'v' => '\u{b}',
                'f' => '\u{c}',
                'r' => '\r',
                'e' => '\u{1b}',
                ' ' => ' ',
                '"' => '"',
                '/' => '/',
                '\\' => '\\',
                'N' => '\u{85}',
                '_' => '\u{a0}',
                'L' => '\u{2028}',
                'P' => '\u{2029}',
                'x' => hex(&mut it, 2)?,
                'u' => hex(&mut it, 4)?,
                'U' => hex(&mut it, 8)?,
                other => return Err(format!("unknown escape \\{other}")),
            });
            continue;
        }
        out.push(c);
    }
    Err("unterminated quoted scalar".into())
}

/// A flow collection at the start of `text`: its value and bytes used.
fn flow(text: &str) -> Result<(Yaml, usize), String> {
    let b = text.as_bytes();
    let mut i = 0;
    fn ws(b: &[u8], i: &mut usize) {
        while *i < b.len() && b[*i] == b' ' {
            *i += 1;
        }
    }
    fn item(text: &str, i: &mut usize, stop: &[u8]) -> Result<Yaml, String> {
        let b = text.as_bytes();
        ws(b, i);
        if *i < b.len() && (b[*i] == b'[' || b[*i] == b'{') {
            let (v, used) = flow(&text[*i..])?;
            *i += used;
            return Ok(v);
        }
        if *i < b.len() && (b[*i] == b'"' || b[*i] == b'\'') {
            let (s, used) = quoted(&text[*i..])?;
            *i += used;
            return Ok(Yaml::Str(s));
        }
        let start = *i;
        while *i < b.len() && !stop.contains(&b[*i]) {
            *i += 1;
        }
        scalar(text[start..*i].trim())
    }
    let open = b[0];
    i += 1;
    if open == b'[' {
        let mut items = Vec::new();
        loop {
            ws(b, &mut i);
            if i < b.len() && b[i] == b']' {
                return Ok((Yaml::Seq(items), i + 1));
            }
            items.push(item(text, &mut i, b",]")?);
            ws(b, &mut i);
            match b.get(i) {
                Some(b',') => i += 1,
                Some(b']') => return Ok((Yaml::Seq(items), i + 1)),
                _ => return Err("unterminated flow sequence".into()),
            }
        }
    }
    let mut entries = Vec::new();
    loop {
        ws(b, &mut i);
        if i < b.len() && b[i] == b'}' {
            return Ok((Yaml::Map(entries), i + 1));
        }
        let key = match item(text, &mut i, b":,}")? {
            Yaml::Str(s) => s,
            Yaml::Null => String::new(),
            _ => return Err("bad flow mapping key".into()),
        };
        ws(b, &mut i);
        let value = if b.get(i) == Some(&b':') {
            i += 1;
            item(text, &mut i, b",}")?
        } else {
            Yaml::Null
        };
        entries.push((key, value));
        ws(b, &mut i);
        match b.get(i) {
            Some(b',') => i += 1,
            Some(b'}') => return Ok((Yaml::Map(entries), i + 1)),
            _ => return Err("unterminated flow mapping".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Yaml {
        Yaml::Str(v.into())
    }

    #[test]
    fn reads_what_pebble_writes() {
        let text = "services:\n    svc:\n        description: |\n            line one\n\n            line two\n        override: replace\n        command: /bin/sh -c \"echo hi\"\n        after:\n            - db\n        environment:\n            \"Y\": \"y\"\n            C: 'a: b'\n            E: \"tab\\there\"\n        services: []\n";
        let y = parse(text).unwrap();
        let svc = y.get("services").unwrap().get("svc").unwrap();
        assert_eq!(svc.get("description"), Some(&s("line one\n\nline two\n")));
        assert_eq!(svc.get("command"), Some(&s("/bin/sh -c \"echo hi\"")));
        assert_eq!(svc.get("after"), Some(&Yaml::Seq(vec![s("db")])));
        let env = svc.get("environment").unwrap();
        assert_eq!(env.get("Y"), Some(&s("y")));
        assert_eq!(env.get("C"), Some(&s("a: b")));
        assert_eq!(env.get("E"), Some(&s("tab\there")));
        assert_eq!(svc.get("services"), Some(&Yaml::Seq(vec![])));
    }

    #[test]
    fn reads_hand_written_layers() {
        let text = "# a layer\nservices:\n  web:\n    override: merge\n    after:\n    - db\n    environment: {A: \"1\", B: two}\n    requires: [db, cache]\nchecks:\n  up:\n    http: {url: 'http://x/'}\n";
        let y = parse(text).unwrap();
        let web = y.get("services").unwrap().get("web").unwrap();
        assert_eq!(web.get("after"), Some(&Yaml::Seq(vec![s("db")])));
        assert_eq!(web.get("environment").unwrap().get("B"), Some(&s("two")));
        assert_eq!(web.get("requires").unwrap().items().len(), 2);
        let up = y.get("checks").unwrap().get("up").unwrap();
        assert_eq!(up.get("http").unwrap().get("url"), Some(&s("http://x/")));
        assert_eq!(parse("{}\n").unwrap(), Yaml::Map(vec![]));
    }
}
