//! Go's `encoding/json` `Marshal`, compact: HTML-safe string escapes, map
//! keys sorted bytewise, Go's float formatting.

use super::value::Value;

/// Marshal `v` as Go's `json.Marshal` would (no trailing newline).
pub fn marshal(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v);
    out
}

fn write_value(out: &mut String, v: &Value) {
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&float(*f)),
        Value::Str(s) | Value::Time(s) => write_string(out, s),
        Value::Strings { nil: true, .. } => out.push_str("null"),
        Value::Strings { items, .. } => {
            out.push('[');
            for (i, s) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, s);
            }
            out.push(']');
        }
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Map { nil: true, .. } => out.push_str("null"),
        Value::Map {
            entries, sorted, ..
        } => {
            let mut refs: Vec<&(String, Value)> = entries.iter().collect();
            if *sorted {
                refs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            }
            out.push('{');
            for (i, (k, v)) in refs.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                write_value(out, v);
            }
            out.push('}');
        }
    }
}

/// A JSON string with Go's escapes (HTML-safe, `\u2028`/`\u2029` escaped).
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Go's encoding of a float64: shortest digits, `e` notation below 1e-6 and
/// from 1e21 up, the exponent with a sign and (when positive) two digits.
pub fn float(f: f64) -> String {
    if !f.is_finite() {
        // Go refuses to marshal these; print what yaml would rather than fail.
        return if f.is_nan() {
            "NaN".into()
        } else if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = format!("{f:e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        return match exp.strip_prefix('-') {
            Some(d) => format!("{mant}e-{d}"),
            None if exp.len() < 2 => format!("{mant}e+0{exp}"),
            None => format!("{mant}e+{exp}"),
        };
    }
    format_f(f)
}

/// Shortest round-trip digits in plain decimal notation (Go's `'f', -1`).
pub fn format_f(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    format!("{f}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats() {
        assert_eq!(float(45.0), "45");
        assert_eq!(float(1.5), "1.5");
        assert_eq!(float(1e21), "1e+21");
        assert_eq!(float(1.5e-7), "1.5e-7");
        assert_eq!(float(0.000001), "0.000001");
        assert_eq!(float(123456789.0), "123456789");
    }

    #[test]
    fn strings() {
        let mut s = String::new();
        write_string(&mut s, "<a&b>\u{1}\u{2028}\u{7f}");
        assert_eq!(s, "\"\\u003ca\\u0026b\\u003e\\u0001\\u2028\u{7f}\"");
    }
}
