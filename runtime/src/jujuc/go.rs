//! Small pieces of Go's standard library whose exact texts show up in
//! Juju's hook-tool output: `%q` quoting, `strconv` parsing and its error
//! messages, `time.ParseDuration`, RFC 3339 times, and juju/cmd's
//! `CheckEmpty` and juju/utils' `keyvalues.Parse`.

/// Go's `strconv.Quote` (what `%q` prints for a string).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if is_print(c) => out.push(c),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Go's `%q` of a `[]string`: `["a" "b"]`.
pub fn quote_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", quoted.join(" "))
}

/// An approximation of Go's `unicode.IsPrint` (letters, marks, numbers,
/// punctuation, symbols and the ASCII space). Rust has no general-category
/// table, so the non-printable classes Go escapes are listed by hand:
/// controls, separators other than U+0020, format characters, private use
/// and non-characters.
pub fn is_print(c: char) -> bool {
    let u = c as u32;
    if u < 0x80 {
        return (0x20..0x7f).contains(&u);
    }
    if c.is_control() || (c.is_whitespace() && c != ' ') {
        return false;
    }
    !matches!(u,
        0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x180e | 0x200b..=0x200f
        | 0x202a..=0x202e | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff | 0xfff9..=0xfffb
        | 0xe000..=0xf8ff | 0xfffe | 0xffff | 0xf0000..=0x10ffff | 0x1bca0..=0x1bca3
        | 0x1d173..=0x1d17a | 0xe0001 | 0xe0020..=0xe007f)
}

/// Go's `strconv.ParseBool`.
pub fn parse_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!(
            "strconv.ParseBool: parsing {}: invalid syntax",
            quote(s)
        )),
    }
}

/// Go's `strconv.Atoi` (base 10, optional sign, 64-bit).
pub fn atoi(s: &str) -> Result<i64, String> {
    let err = |what: &str| format!("strconv.Atoi: parsing {}: {what}", quote(s));
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err("invalid syntax"));
    }
    let mut v: i128 = 0;
    for b in digits.bytes() {
        v = v * 10 + i128::from(b - b'0');
        if v > i128::from(i64::MAX) + 1 {
            return Err(err("value out of range"));
        }
    }
    let v = if neg { -v } else { v };
    i64::try_from(v).map_err(|_| err("value out of range"))
}

/// Go's `strconv.ParseInt(s, 0, 64)`: sign, `0x`/`0o`/`0b`/`0` prefixes
/// and `_` digit separators.
pub fn parse_int(s: &str) -> Result<i64, String> {
    let syntax = || format!("strconv.ParseInt: parsing {}: invalid syntax", quote(s));
    let range = || format!("strconv.ParseInt: parsing {}: value out of range", quote(s));
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return Err(syntax());
    }
    let lower = body.to_ascii_lowercase();
    let (base, digits, prefixed) = if lower.starts_with("0x") {
        (16, &body[2..], true)
    } else if lower.starts_with("0o") {
        (8, &body[2..], true)
    } else if lower.starts_with("0b") {
        (2, &body[2..], true)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..], true)
    } else {
        (10, body, false)
    };
    if !underscores_ok(digits, prefixed) {
        return Err(syntax());
    }
    let mut v: u128 = 0;
    let mut any = false;
    for c in digits.chars() {
        if c == '_' {
            continue;
        }
        let d = c.to_digit(base).ok_or_else(syntax)?;
        any = true;
        v = v * u128::from(base) + u128::from(d);
        if v > u128::from(u64::MAX) {
            return Err(range());
        }
    }
    if !any {
        return Err(syntax());
    }
    let limit = if neg { 1u128 << 63 } else { (1u128 << 63) - 1 };
    if v > limit {
        return Err(range());
    }
    Ok(if neg { (-(v as i128)) as i64 } else { v as i64 })
}

/// Underscores must sit between digits (or right after a base prefix).
fn underscores_ok(digits: &str, prefixed: bool) -> bool {
    if !digits.contains('_') {
        return true;
    }
    let mut prev_digit = prefixed;
    let mut last_underscore = false;
    for c in digits.chars() {
        if c == '_' {
            if !prev_digit {
                return false;
            }
            prev_digit = false;
            last_underscore = true;
        } else {
            prev_digit = true;
            last_underscore = false;
        }
    }
    !last_underscore
}

/// Go's `time.ParseDuration`, in nanoseconds.
pub fn parse_duration(s: &str) -> Result<i128, String> {
    let err = || format!("time: invalid duration {}", quote(s));
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(err());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..num_len];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return Err(err());
        }
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let scale: f64 = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("time: missing unit in duration {}", quote(s))),
            u => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    quote(u),
                    quote(s)
                ));
            }
        };
        let n: f64 = num.parse().map_err(|_| err())?;
        total += n * scale;
        if total > 9.223_372_036_854_776e18 {
            return Err(err());
        }
    }
    let ns = total as i128;
    Ok(if neg { -ns } else { ns })
}

const NS: i128 = 1_000_000_000;

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Parse `YYYY-MM-DDTHH:MM:SS[.frac]` followed by `Z`/`±HH:MM` (when
/// `zone` is required, as Go's RFC 3339 layout) or nothing (Juju's
/// no-timezone layout). Returns nanoseconds since the Unix epoch, UTC.
pub fn parse_time(s: &str, zone: bool) -> Option<i128> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(r)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| std::str::from_utf8(part).ok()?.parse().ok())?
    };
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (y, mo, d) = (i64::from(num(0..4)?), num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59
    {
        return None;
    }
    let mut i = 19;
    let mut frac: i128 = 0;
    if b.get(i) == Some(&b'.') || b.get(i) == Some(&b',') {
        let start = i + 1;
        let mut end = start;
        while end < b.len() && b[end].is_ascii_digit() {
            end += 1;
        }
        if end == start {
            return None;
        }
        let digits = &s[start..end.min(start + 9)];
        frac = digits.parse::<i128>().ok()? * 10i128.pow(9 - digits.len() as u32);
        i = end;
    }
    let offset: i128 = if zone {
        match b.get(i) {
            Some(b'Z') if i + 1 == b.len() => 0,
            Some(&sign @ (b'+' | b'-')) if b.len() == i + 6 && b[i + 3] == b':' => {
                let oh = i128::from(num(i + 1..i + 3)?);
                let om = i128::from(num(i + 4..i + 6)?);
                if oh > 23 || om > 59 {
                    return None;
                }
                let o = (oh * 3600 + om * 60) * NS;
                if sign == b'+' { o } else { -o }
            }
            _ => return None,
        }
    } else {
        if i != b.len() {
            return None;
        }
        0
    };
    let days = i128::from(days_from_civil(y, mo, d));
    let secs = days * 86_400 + i128::from(h) * 3600 + i128::from(mi) * 60 + i128::from(sec);
    Some(secs * NS + frac - offset)
}

/// Go's `time.Time.Format(time.RFC3339Nano)` of a UTC instant.
pub fn format_time(ns: i128) -> String {
    let secs = ns.div_euclid(NS);
    let frac = ns.rem_euclid(NS);
    let days = secs.div_euclid(86_400) as i64;
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut out = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    );
    if frac != 0 {
        let f = format!("{frac:09}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// juju/cmd's `CheckEmpty`.
pub fn check_empty(args: &[String]) -> Result<(), String> {
    if args.is_empty() {
        Ok(())
    } else {
        Err(format!("unrecognized args: {}", quote_list(args)))
    }
}

/// juju/utils/v3's `keyvalues.Parse`: `key=value` pairs in order. Empty
/// arguments are skipped; spaces around the key and the value are trimmed
/// (Go's `strings.TrimSpace`, Unicode white space, as Rust's `trim`); an
/// empty key, or an empty value where none is allowed, is an error; so is a
/// duplicate key.
pub fn parse_key_values(
    args: &[String],
    allow_empty: bool,
) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for kv in args.iter().filter(|kv| !kv.is_empty()) {
        let Some((k, v)) = kv.split_once('=') else {
            return Err(format!("expected \"key=value\", got {}", quote(kv)));
        };
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() || (!allow_empty && v.is_empty()) {
            return Err(format!("expected \"key=value\", got \"{k}={v}\""));
        }
        if out.iter().any(|(x, _)| x == k) {
            return Err(format!("key {} specified more than once", quote(k)));
        }
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("a\"b\\c\n"), r#""a\"b\\c\n""#);
        assert_eq!(quote("\u{1}\u{7f}é\u{a0}"), r#""\x01\x7fé\u00a0""#);
        assert_eq!(quote_list(&["x".into(), "y z".into()]), r#"["x" "y z"]"#);
    }

    #[test]
    fn key_values_skip_empty_arguments_and_trim_spaces() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse_key_values(&args(&["", " a = 1 ", "b=", "\u{a0}c\t=x y"]), true),
            Ok(vec![
                ("a".into(), "1".into()),
                ("b".into(), "".into()),
                ("c".into(), "x y".into())
            ])
        );
        assert_eq!(
            parse_key_values(&args(&[" = v "]), true).unwrap_err(),
            r#"expected "key=value", got "=v""#
        );
        assert_eq!(
            parse_key_values(&args(&["k=  "]), false).unwrap_err(),
            r#"expected "key=value", got "k=""#
        );
        assert_eq!(
            parse_key_values(&args(&["novalue"]), true).unwrap_err(),
            r#"expected "key=value", got "novalue""#
        );
        assert_eq!(
            parse_key_values(&args(&["a=1", " a =2"]), true).unwrap_err(),
            r#"key "a" specified more than once"#
        );
    }

    #[test]
    fn ints() {
        assert_eq!(parse_int("0x10"), Ok(16));
        assert_eq!(parse_int("010"), Ok(8));
        assert_eq!(parse_int("1_000"), Ok(1000));
        assert_eq!(parse_int("-9223372036854775808"), Ok(i64::MIN));
        assert!(
            parse_int("9223372036854775808")
                .unwrap_err()
                .ends_with("value out of range")
        );
        assert_eq!(
            parse_int("x").unwrap_err(),
            r#"strconv.ParseInt: parsing "x": invalid syntax"#
        );
        assert!(parse_int("_1").is_err());
        assert_eq!(atoi("+7"), Ok(7));
        assert!(atoi("1_0").is_err());
    }

    #[test]
    fn durations_and_times() {
        assert_eq!(parse_duration("1h30m"), Ok(5_400 * NS));
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration("-2m"), Ok(-120 * NS));
        assert!(parse_duration("5").is_err());
        let t = parse_time("2025-01-01T06:06:06Z", true).unwrap();
        assert_eq!(format_time(t), "2025-01-01T06:06:06Z");
        let t = parse_time("2025-01-01T07:06:06.5+01:00", true).unwrap();
        assert_eq!(format_time(t), "2025-01-01T06:06:06.5Z");
        assert!(parse_time("2025-02-30T00:00:00Z", true).is_none());
        assert!(parse_time("2025-01-01T06:06:06", false).is_some());
    }
}
