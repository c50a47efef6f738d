//! How libyaml's emitter (as ported in both Go libraries) writes a scalar:
//! the style `stringv` asks for, `yaml_emitter_analyze_scalar`,
//! `yaml_emitter_select_scalar_style`, double-quoted escapes and the block
//! scalar header, and the spelling of floats.
//!
//! The one difference between yaml.v2 and yaml.v3 here is in
//! `yaml_emitter_analyze_scalar`: v2 counts a tab as a special character
//! (no plain, no single quotes, no block scalar), v3 counts it apart
//! (`tab_characters`: no plain, no single quotes, a literal block allowed).

use super::Version;
use super::resolve::plain_ok;
use crate::go::strconv::format_float;

/// A scalar style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// What `yaml_emitter_analyze_scalar` finds out about a value (the parts
/// that apply outside flow context).
#[derive(Debug, Clone, Copy)]
pub struct Analysis {
    pub multiline: bool,
    pub block_plain: bool,
    pub single_quoted: bool,
    pub block: bool,
}

/// libyaml's `is_break`: the line breaks YAML knows.
pub fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// `is_printable`: LF, printable ASCII, and the BMP from U+00A0 minus
/// surrogates, the BOM and U+FFFE/U+FFFF. C1 controls (NEL included) and
/// characters beyond the BMP are not printable to it, so they force double
/// quotes.
pub fn is_printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || (0xA0..=0xD7FF).contains(&u)
        || ((0xE000..=0xFFFD).contains(&u) && u != 0xFEFF)
}

/// `yaml_emitter_analyze_scalar`.
pub fn analyze(value: &str, version: Version) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            block_plain: true,
            single_quoted: true,
            block: false,
        };
    }
    let chars: Vec<char> = value.chars().collect();
    let mut block_indicators = value.starts_with("---") || value.starts_with("...");
    let (mut line_breaks, mut special, mut tabs) = (false, false, false);
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_whitespace = true;
    let n = chars.len();
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_whitespace = i + 1 >= n || is_blank(chars[i + 1]) || is_break(chars[i + 1]);
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if c == '\t' && version == Version::V3 {
            tabs = true;
        } else if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i == n - 1 {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i == n - 1 {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blank(c) || is_break(c);
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain: true,
        single_quoted: true,
        block: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain = false;
    }
    if trailing_space {
        a.block = false;
    }
    if break_space {
        a.block_plain = false;
        a.single_quoted = false;
    }
    if space_break || tabs || special {
        a.block_plain = false;
        a.single_quoted = false;
    }
    if space_break || special {
        a.block = false;
    }
    if line_breaks || block_indicators {
        a.block_plain = false;
    }
    a
}

/// The style the encoder's `stringv` asks for: literal when the string has
/// a newline, plain when it reads back as the same string, else double.
pub fn requested_style(s: &str, version: Version) -> Style {
    if s.contains('\n') {
        Style::Literal
    } else if plain_ok(s, version) {
        Style::Plain
    } else {
        Style::Double
    }
}

/// `yaml_emitter_select_scalar_style` in block context: the style a value
/// is written in, given what was asked for and whether it is a simple key.
pub fn select_style(value: &str, a: &Analysis, requested: Style, simple_key: bool) -> Style {
    let mut style = requested;
    if simple_key && a.multiline {
        style = Style::Double;
    }
    if style == Style::Plain && (!a.block_plain || (value.is_empty() && simple_key)) {
        style = Style::Single;
    }
    if style == Style::Single && !a.single_quoted {
        style = Style::Double;
    }
    if style == Style::Literal && (!a.block || simple_key) {
        style = Style::Double;
    }
    style
}

/// The style a string gets, as a value (`simple_key` false) or a key.
pub fn string_style(s: &str, version: Version, simple_key: bool) -> Style {
    let a = analyze(s, version);
    select_style(s, &a, requested_style(s, version), simple_key)
}

/// Whether `yaml_emitter_write_double_quoted_scalar` escapes `c`.
pub fn needs_escape(c: char) -> bool {
    !is_printable(c) || c == '\u{feff}' || is_break(c) || c == '"' || c == '\\'
}

/// The escape written after `\` for a character [`needs_escape`] names.
pub fn escape(c: char) -> String {
    match c {
        '\0' => "0".into(),
        '\u{7}' => "a".into(),
        '\u{8}' => "b".into(),
        '\t' => "t".into(),
        '\n' => "n".into(),
        '\u{b}' => "v".into(),
        '\u{c}' => "f".into(),
        '\r' => "r".into(),
        '\u{1b}' => "e".into(),
        '"' => "\"".into(),
        '\\' => "\\".into(),
        '\u{85}' => "N".into(),
        '\u{a0}' => "_".into(),
        '\u{2028}' => "L".into(),
        '\u{2029}' => "P".into(),
        c => {
            let v = c as u32;
            if v <= 0xFF {
                format!("x{v:02X}")
            } else if v <= 0xFFFF {
                format!("u{v:04X}")
            } else {
                format!("U{v:08X}")
            }
        }
    }
}

/// `s` double-quoted on one line (no folding).
pub fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if needs_escape(c) {
            out.push('\\');
            out.push_str(&escape(c));
        } else {
            out.push(c);
        }
    }
    out.push('"');
    out
}

/// `s` single-quoted on one line (it holds no line break here).
pub fn single_quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `yaml_emitter_write_block_scalar_hints`: whether the header needs an
/// indentation indicator (the text starts with a space or a break), and
/// the chomping indicator (`-` without a final break, `+` with more than
/// one, none with exactly one).
pub fn block_hints(value: &str) -> (bool, Option<char>) {
    let first = value.chars().next();
    let indent = first == Some(' ') || first.is_some_and(is_break);
    let mut rev = value.chars().rev();
    let chomp = match (rev.next(), rev.next()) {
        (None, _) => Some('-'),
        (Some(last), _) if !is_break(last) => Some('-'),
        (Some(_), None) => Some('+'),
        (Some(_), Some(prev)) if is_break(prev) => Some('+'),
        _ => None,
    };
    (indent, chomp)
}

/// A float64 as both encoders write it: `strconv.FormatFloat(f, 'g', -1,
/// 64)` with YAML's spellings of the infinities and NaN.
pub fn float(f: f64) -> String {
    match format_float(f).as_str() {
        "NaN" => ".nan".into(),
        "+Inf" => ".inf".into(),
        "-Inf" => "-.inf".into(),
        s => s.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Version::{V2, V3};

    #[test]
    fn styles() {
        use Style::*;
        for (s, style) in [
            ("hello", Plain),
            ("/bin/sh -c 'echo hi'", Plain),
            ("1m0s", Plain),
            ("", Double),
            ("123", Double),
            ("1.5", Double),
            ("0x1F", Double),
            ("1_000", Double),
            ("true", Double),
            ("y", Double),
            ("off", Double),
            ("~", Double),
            ("12:30", Double),
            ("2024-01-02", Double),
            ("1e3", Double),
            (".5", Double),
            ("1.2.3", Plain),
            ("-x", Plain),
            ("- x", Single),
            ("-", Single),
            ("a: b", Single),
            ("a:b", Plain),
            ("a #b", Single),
            ("a#b", Plain),
            ("*star", Single),
            ("it's", Plain),
            ("'q", Single),
            (" lead", Single),
            ("trail ", Single),
            ("tab\there", Double),
            ("smile \u{1F600}", Double),
            ("caf\u{e9}", Plain),
            ("line1\nline2", Literal),
            ("line1\nline2\n", Literal),
            ("trail \nx", Double),
        ] {
            assert_eq!(string_style(s, V3, false), style, "{s:?}");
            assert_eq!(string_style(s, V2, false), style, "{s:?}");
        }
        assert_eq!(string_style("a\nb", V3, true), Double);
        // A tab: special to v2 (no block scalar), only no-plain to v3.
        assert_eq!(string_style("a\tb\nc", V2, false), Double);
        assert_eq!(string_style("a\tb\nc", V3, false), Literal);
        // NEL is a break and not printable: double quotes.
        assert_eq!(string_style("a\u{85}b", V2, false), Double);
    }

    #[test]
    fn escapes() {
        assert_eq!(double_quoted("a\"b\\c\td\u{1}"), r#""a\"b\\c\td\x01""#);
        assert_eq!(double_quoted("\u{1F600}"), r#""\U0001F600""#);
        assert_eq!(single_quoted("it's: x"), "'it''s: x'");
    }

    #[test]
    fn headers_and_floats() {
        assert_eq!(block_hints("a\nb"), (false, Some('-')));
        assert_eq!(block_hints(" a\nb\n"), (true, None));
        assert_eq!(block_hints("\u{2028}a\n\n"), (true, Some('+')));
        assert_eq!(float(f64::INFINITY), ".inf");
        assert_eq!(float(f64::NEG_INFINITY), "-.inf");
        assert_eq!(float(f64::NAN), ".nan");
        assert_eq!(float(1e6), "1e+06");
    }
}
