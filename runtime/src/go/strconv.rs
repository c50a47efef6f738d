//! Go's `strconv`: parsing with its error texts, and `FormatFloat(f, 'g',
//! -1, 64)` (also what `%g` prints for a float64).

use super::quote::quote;

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

/// Why a base-0 number failed: Go's `ErrSyntax` or `ErrRange`.
enum Fail {
    Syntax,
    Range,
}

/// The unsigned value of `body` read with base 0: `0x`/`0o`/`0b`/`0`
/// prefixes and `_` digit separators, at most `u64::MAX`.
fn base0_magnitude(body: &str) -> Result<u128, Fail> {
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
        return Err(Fail::Syntax);
    }
    let mut v: u128 = 0;
    let mut any = false;
    for c in digits.chars() {
        if c == '_' {
            continue;
        }
        let d = c.to_digit(base).ok_or(Fail::Syntax)?;
        any = true;
        v = v * u128::from(base) + u128::from(d);
        if v > u128::from(u64::MAX) {
            return Err(Fail::Range);
        }
    }
    if !any {
        return Err(Fail::Syntax);
    }
    Ok(v)
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
    let v = base0_magnitude(body).map_err(|f| match f {
        Fail::Syntax => syntax(),
        Fail::Range => range(),
    })?;
    let limit = if neg { 1u128 << 63 } else { (1u128 << 63) - 1 };
    if v > limit {
        return Err(range());
    }
    Ok(if neg { (-(v as i128)) as i64 } else { v as i64 })
}

/// Go's `strconv.ParseUint(s, 0, 64)` succeeding: no sign, base prefixes
/// and `_` separators as [`parse_int`].
pub fn parse_uint_ok(s: &str) -> bool {
    !s.is_empty() && !s.starts_with(['+', '-']) && base0_magnitude(s).is_ok()
}

/// Go's `strconv.ParseInt(s, radix, 64)` with an explicit base (2 to 36):
/// an optional sign, then digits only.
pub fn parse_int_radix(s: &str, radix: u32) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let v = radix_magnitude(body, radix)?;
    let limit = if neg { 1u128 << 63 } else { (1u128 << 63) - 1 };
    (v <= limit).then(|| if neg { (-(v as i128)) as i64 } else { v as i64 })
}

/// Go's `strconv.ParseUint(s, radix, 64)` with an explicit base: digits
/// only, no sign.
pub fn parse_uint_radix(s: &str, radix: u32) -> Option<u64> {
    radix_magnitude(s, radix).map(|v| v as u64)
}

/// Digits of `radix`, at least one, at most `u64::MAX`.
fn radix_magnitude(digits: &str, radix: u32) -> Option<u128> {
    if digits.is_empty() {
        return None;
    }
    let mut v: u128 = 0;
    for c in digits.chars() {
        v = v * u128::from(radix) + u128::from(c.to_digit(radix)?);
        if v > u128::from(u64::MAX) {
            return None;
        }
    }
    Some(v)
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

/// Go's `strconv.ParseFloat(s, 64)` succeeding (decimal forms, `inf`,
/// `infinity`, `nan`; out-of-range values fail like Go's range error).
pub fn parse_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = body.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" || lower == "nan" {
        return s.to_ascii_lowercase().parse::<f64>().ok();
    }
    if body.is_empty()
        || !body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
    {
        return None;
    }
    let f: f64 = s.parse().ok()?;
    f.is_finite().then_some(f)
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`, which is also what `%g`
/// prints: the shortest digits that read back as `f`, in `%e` form below
/// 1e-4 and from 1e6 up (`1e+06`); `NaN`, `+Inf` and `-Inf`.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // Shortest round-trip digits and decimal exponent.
    let e = format!("{:e}", f.abs());
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let sign = if f < 0.0 { "-" } else { "" };
    // Shortest formatting decides between %e and %f with precision 6.
    if !(-4..6).contains(&exp) {
        let mut m = digits[..1].to_string();
        if digits.len() > 1 {
            m.push('.');
            m.push_str(&digits[1..]);
        }
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{m}e{esign}{:02}", exp.unsigned_abs());
    }
    // %f with just the needed digits.
    let point = exp + 1; // digits before the decimal point
    let s = if point <= 0 {
        format!("0.{}{}", "0".repeat((-point) as usize), digits)
    } else if point as usize >= digits.len() {
        format!("{}{}", digits, "0".repeat(point as usize - digits.len()))
    } else {
        format!(
            "{}.{}",
            &digits[..point as usize],
            &digits[point as usize..]
        )
    };
    format!("{sign}{s}")
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn uints_and_explicit_bases() {
        assert!(parse_uint_ok("18446744073709551615"));
        assert!(parse_uint_ok("0xffffffffffffffff"));
        assert!(!parse_uint_ok("18446744073709551616"));
        assert!(!parse_uint_ok("+1"));
        assert_eq!(parse_int_radix("+101", 2), Some(5));
        assert_eq!(parse_int_radix("-1", 8), Some(-1));
        assert_eq!(parse_int_radix("-+1", 2), None);
        assert_eq!(parse_int_radix("2", 2), None);
        assert_eq!(parse_uint_radix("+1", 2), None);
        assert_eq!(parse_uint_radix(&"1".repeat(64), 2), Some(u64::MAX));
    }

    #[test]
    fn floats() {
        assert_eq!(format_float(0.5), "0.5");
        assert_eq!(format_float(-1.0), "-1");
        assert_eq!(parse_float("2"), Some(2.0));
        assert_eq!(parse_float("-Inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_float(".inf"), None);
        assert_eq!(parse_float("1e400"), None);
        assert_eq!(parse_float("abc"), None);
    }

    #[test]
    fn floats_like_go() {
        assert_eq!(format_float(2.0), "2");
        assert_eq!(format_float(1.5), "1.5");
        assert_eq!(format_float(0.0001), "0.0001");
        assert_eq!(format_float(0.00001), "1e-05");
        assert_eq!(format_float(123456.0), "123456");
        assert_eq!(format_float(1e6), "1e+06");
        assert_eq!(format_float(1234567.0), "1.234567e+06");
        assert_eq!(format_float(-2.5), "-2.5");
        assert_eq!(format_float(f64::INFINITY), "+Inf");
        assert_eq!(format_float(f64::NAN), "NaN");
    }
}
