//! The resolvers' view of a plain scalar (`resolve.go`'s `resolve("", s)`)
//! and the encoders' `stringv` checks on top of it: whether a string may be
//! written plain and still read back as the same string.
//!
//! Where yaml.v2 and yaml.v3 differ (all in `resolve.go` and `encode.go`):
//! - v2's `resolveMap` holds the YAML 1.1 booleans (`y`, `yes`, `on`, `off`
//!   …); v3's does not, but v3's `stringv` still quotes them (`isOldBool`).
//!   Either way they are not written plain.
//! - v3's `resolve` also reads `0o17` and `-0o17` (YAML 1.2 octals) with
//!   `strconv.ParseInt(…, 8, 64)`; v2 does not (the base-0 `ParseInt` it
//!   tries first still takes `0o17`).

use super::Version;
use crate::go::strconv::{parse_int, parse_int_radix, parse_uint_ok, parse_uint_radix};
use crate::go::time::days_in_month;

/// Whether the encoder may write `s` plain: `stringv`'s `canUsePlain`, v2
/// `rtag == strTag && !isBase60Float(s)`, v3 also `&& !isOldBool(s)`.
pub fn plain_ok(s: &str, version: Version) -> bool {
    resolves_as_string(s, version)
        && !is_base60_float(s)
        && !(version == Version::V3 && is_old_bool(s))
}

/// `resolve("", s)` returns the `!!str` tag: `s` read plain is a string,
/// not a null, bool, int, float or timestamp.
pub fn resolves_as_string(s: &str, version: Version) -> bool {
    const COMMON: &[&str] = &[
        "true", "True", "TRUE", "false", "False", "FALSE", "", "~", "null", "Null", "NULL", ".nan",
        ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf",
        "-.INF",
    ];
    // `resolveTable`: the first byte says what `s` may be; any other byte
    // (`<` of `<<` included) means a string without looking further.
    let hint = match s.as_bytes().first() {
        None => 'N',
        Some(b'+' | b'-') => 'S',
        Some(b'0'..=b'9') => 'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => 'M',
        Some(b'.') => '.',
        Some(_) => return true,
    };
    if COMMON.contains(&s) || (version == Version::V2 && is_old_bool(s)) {
        return false;
    }
    match hint {
        'M' | 'N' => true,
        '.' => !is_go_float(s),
        _ => {
            if is_timestamp(s) {
                return false;
            }
            let plain: String = s.chars().filter(|c| *c != '_').collect();
            if parse_int(&plain).is_ok() || parse_uint_ok(&plain) || is_go_float(&plain) {
                return false;
            }
            let mut prefixed = vec![("0b", "-0b", 2)];
            if version == Version::V3 {
                prefixed.push(("0o", "-0o", 8));
            }
            for (pos, neg, radix) in prefixed {
                if let Some(rest) = plain.strip_prefix(pos) {
                    if parse_int_radix(rest, radix).is_some()
                        || parse_uint_radix(rest, radix).is_some()
                    {
                        return false;
                    }
                } else if let Some(rest) = plain.strip_prefix(neg)
                    && parse_int_radix(&format!("-{rest}"), radix).is_some()
                {
                    return false;
                }
            }
            true
        }
    }
}

/// `yamlStyleFloat` (`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)
/// matches and `strconv.ParseFloat` takes it (finite). For text starting
/// with `.`, which is all `resolve` hands `ParseFloat` unchecked, the two
/// agree.
fn is_go_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len() && s.parse::<f64>().is_ok_and(f64::is_finite)
}

/// YAML 1.1 booleans: in v2's `resolveMap`, v3's `isOldBool`.
pub fn is_old_bool(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "off"
            | "Off"
            | "OFF"
    )
}

/// `isBase60Float`: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
/// (`1:20`), quoted for YAML 1.1 parsers.
pub fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() && i - start < 2 {
            i += 1;
        }
        match i - start {
            1 => {}
            2 if b[start] <= b'5' => {}
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// `parseTimestamp`: four digits and `-`, then one of
/// `2006-1-2T15:4:5.999999999Z07:00` (also with a lower-case `t`),
/// `2006-1-2 15:4:5.999999999` and `2006-1-2`, as `time.Parse` reads them.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let mut i = 5;
    let num = |i: &mut usize, max: usize| -> Option<u32> {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() && *i - start < max {
            *i += 1;
        }
        (*i > start).then(|| s[start..*i].parse().ok())?
    };
    let year: i64 = s[..4].parse().unwrap_or(0);
    let Some(month) = num(&mut i, 2) else {
        return false;
    };
    if b.get(i) != Some(&b'-') {
        return false;
    }
    i += 1;
    let Some(day) = num(&mut i, 2) else {
        return false;
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return false;
    }
    if i == b.len() {
        return true;
    }
    let sep = b[i];
    if sep != b'T' && sep != b't' && sep != b' ' {
        return false;
    }
    i += 1;
    let Some(h) = num(&mut i, 2) else {
        return false;
    };
    if b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    let Some(m) = num(&mut i, 2) else {
        return false;
    };
    if b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    let Some(sec) = num(&mut i, 2) else {
        return false;
    };
    if h > 23 || m > 59 || sec > 59 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if sep == b' ' {
        return i == b.len();
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            b.len() == i + 6
                && b[i + 1..i + 3].iter().all(u8::is_ascii_digit)
                && b[i + 3] == b':'
                && b[i + 4..i + 6].iter().all(u8::is_ascii_digit)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Version::{V2, V3};

    #[test]
    fn what_reads_back_as_another_type() {
        for s in [
            "",
            "~",
            "null",
            "true",
            "y",
            "off",
            "123",
            "1_000",
            "0x1F",
            "1.5",
            ".5",
            "1e3",
            "-0b101",
            "18446744073709551615",
            "2024-01-02",
            "2024-1-2 3:04:05.5",
            "2024-01-02T03:04:05+01:00",
            "0b+1",
            "0b-1",
        ] {
            assert!(!plain_ok(s, V2), "v2 {s:?}");
            assert!(!plain_ok(s, V3), "v3 {s:?}");
        }
        for s in [
            "hello",
            "1.2.3",
            "-x",
            "<<",
            "2024-13-01",
            "2024-02-30",
            "0b2",
            "-0b+1",
            &format!("0b{}", "1".repeat(65)),
        ] {
            assert!(plain_ok(s, V2), "v2 {s:?}");
            assert!(plain_ok(s, V3), "v3 {s:?}");
        }
        assert!(!plain_ok("12:30", V2) && !plain_ok("12:30", V3));
        // YAML 1.2 octals with a sign after the prefix only in v3.
        assert!(plain_ok("0o+7", V2));
        assert!(!plain_ok("0o+7", V3));
        assert!(!resolves_as_string("yes", V2));
        assert!(resolves_as_string("yes", V3));
    }
}
