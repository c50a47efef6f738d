//! Go's `time.Duration`: parsed like `time.ParseDuration`, printed like
//! `Duration.String()` (`90s` reads back as `1m30s`).

use std::fmt;

/// A string that is not a Go duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadDuration;

/// A signed span of nanoseconds, as Go keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub i64);

pub const NANOSECOND: i64 = 1;
pub const MICROSECOND: i64 = 1_000;
pub const MILLISECOND: i64 = 1_000_000;
pub const SECOND: i64 = 1_000_000_000;
pub const MINUTE: i64 = 60 * SECOND;
pub const HOUR: i64 = 60 * MINUTE;

impl Duration {
    pub const fn from_secs(s: i64) -> Duration {
        Duration(s * SECOND)
    }

    pub const fn from_millis(ms: i64) -> Duration {
        Duration(ms * MILLISECOND)
    }

    pub fn nanos(self) -> i64 {
        self.0
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / SECOND as f64
    }

    /// Parse a Go duration (`300ms`, `-1.5h`, `2h45m`); the caller words
    /// the error (`invalid duration "x"`).
    pub fn parse(s: &str) -> Result<Duration, BadDuration> {
        let bytes = s.as_bytes();
        let mut i = 0;
        let mut neg = false;
        if let Some(&c) = bytes.first()
            && (c == b'-' || c == b'+')
        {
            neg = c == b'-';
            i = 1;
        }
        if &s[i..] == "0" {
            return Ok(Duration(0));
        }
        if i == bytes.len() {
            return Err(BadDuration);
        }
        // Accumulate in u64 like Go, so that -9223372036854775808ns parses.
        let mut total: u64 = 0;
        while i < bytes.len() {
            // Integer part.
            let start = i;
            let mut whole: u64 = 0;
            let mut overflow = false;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                match whole
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(u64::from(bytes[i] - b'0')))
                {
                    Some(v) if v <= 1 << 63 => whole = v,
                    _ => overflow = true,
                }
                i += 1;
            }
            if overflow {
                return Err(BadDuration);
            }
            let had_whole = i > start;
            // Fraction.
            let mut frac: u64 = 0;
            let mut scale: f64 = 1.0;
            let mut had_frac = false;
            if i < bytes.len() && bytes[i] == b'.' {
                i += 1;
                let fstart = i;
                let mut dropping = false;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    if !dropping {
                        if frac > (1 << 63) / 10 {
                            dropping = true;
                        } else {
                            frac = frac * 10 + u64::from(bytes[i] - b'0');
                            scale *= 10.0;
                        }
                    }
                    i += 1;
                }
                had_frac = i > fstart;
            }
            if !had_whole && !had_frac {
                return Err(BadDuration);
            }
            // Unit.
            let ustart = i;
            while i < bytes.len() && bytes[i] != b'.' && !bytes[i].is_ascii_digit() {
                i += 1;
            }
            let unit = match &s[ustart..i] {
                "ns" => NANOSECOND,
                "us" | "\u{b5}s" | "\u{3bc}s" => MICROSECOND,
                "ms" => MILLISECOND,
                "s" => SECOND,
                "m" => MINUTE,
                "h" => HOUR,
                _ => return Err(BadDuration),
            } as u64;
            let mut v = whole.checked_mul(unit).ok_or(BadDuration)?;
            if v > 1 << 63 {
                return Err(BadDuration);
            }
            if frac > 0 {
                let add = (frac as f64 * (unit as f64 / scale)) as u64;
                v = v.checked_add(add).ok_or(BadDuration)?;
                if v > 1 << 63 {
                    return Err(BadDuration);
                }
            }
            total = total.checked_add(v).ok_or(BadDuration)?;
            if total > 1 << 63 {
                return Err(BadDuration);
            }
        }
        if neg {
            Ok(Duration((total as i128).wrapping_neg() as i64))
        } else if total > i64::MAX as u64 {
            Err(BadDuration)
        } else {
            Ok(Duration(total as i64))
        }
    }
}

/// Write `v` with `prec` fractional digits, trailing zeros (and a bare dot)
/// dropped; returns the integer part.
fn frac_part(v: u64, prec: u32) -> (String, u64) {
    let scale = 10u64.pow(prec);
    let mut digits = format!("{:0width$}", v % scale, width = prec as usize);
    while digits.ends_with('0') {
        digits.pop();
    }
    let s = if digits.is_empty() {
        String::new()
    } else {
        format!(".{digits}")
    };
    (s, v / scale)
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        if d == 0 {
            return f.write_str("0s");
        }
        let sign = if d < 0 { "-" } else { "" };
        let u = d.unsigned_abs();
        if u < SECOND as u64 {
            let (unit, prec) = if u < MICROSECOND as u64 {
                return write!(f, "{sign}{u}ns");
            } else if u < MILLISECOND as u64 {
                ("\u{b5}s", 3)
            } else {
                ("ms", 6)
            };
            let (frac, whole) = frac_part(u, prec);
            return write!(f, "{sign}{whole}{frac}{unit}");
        }
        let (frac, secs) = frac_part(u, 9);
        let s = secs % 60;
        let mins = secs / 60;
        if mins == 0 {
            return write!(f, "{sign}{s}{frac}s");
        }
        let m = mins % 60;
        let h = mins / 60;
        if h == 0 {
            write!(f, "{sign}{m}m{s}{frac}s")
        } else {
            write!(f, "{sign}{h}h{m}m{s}{frac}s")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<i64> {
        Duration::parse(s).ok().map(|d| d.0)
    }

    #[test]
    fn parses_like_go() {
        assert_eq!(p("0"), Some(0));
        assert_eq!(p("-0"), Some(0));
        assert_eq!(p("5s"), Some(5 * SECOND));
        assert_eq!(p("1.5h"), Some(90 * MINUTE));
        assert_eq!(p("2h45m"), Some(2 * HOUR + 45 * MINUTE));
        assert_eq!(p("300ms"), Some(300 * MILLISECOND));
        assert_eq!(p("-1.5s"), Some(-1500 * MILLISECOND));
        assert_eq!(p(".5s"), Some(500 * MILLISECOND));
        assert_eq!(p("1.s"), Some(SECOND));
        assert_eq!(p("1\u{b5}s"), Some(1000));
        assert_eq!(p("1us"), Some(1000));
        assert_eq!(p("9223372036854775807ns"), Some(i64::MAX));
        assert_eq!(p("-9223372036854775808ns"), Some(i64::MIN));
        assert_eq!(p("1h30m"), Some(5_400 * SECOND));
        assert_eq!(p("1.5s"), Some(1_500_000_000));
        assert_eq!(p("-2m"), Some(-120 * SECOND));
        for bad in [
            "",
            "5",
            "s",
            ".s",
            "1x",
            "1.2.3s",
            "+",
            "-",
            "1s2",
            "9223372036854775808ns",
            "1e3s",
            " 1s",
        ] {
            assert_eq!(p(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn prints_like_go() {
        let s = |n: i64| Duration(n).to_string();
        assert_eq!(s(0), "0s");
        assert_eq!(s(1), "1ns");
        assert_eq!(s(1500), "1.5\u{b5}s");
        assert_eq!(s(500 * MILLISECOND), "500ms");
        assert_eq!(s(1500 * MILLISECOND), "1.5s");
        assert_eq!(s(60 * SECOND), "1m0s");
        assert_eq!(s(90 * SECOND), "1m30s");
        assert_eq!(s(HOUR), "1h0m0s");
        assert_eq!(s(-90 * SECOND), "-1m30s");
        assert_eq!(s(30 * SECOND), "30s");
        assert_eq!(s(i64::MIN), "-2562047h47m16.854775808s");
    }
}
