//! Go's `time`: RFC 3339 instants (parsed and formatted) and the
//! proleptic Gregorian calendar under them (durations: [`super::duration`]).

/// Nanoseconds in a second.
pub const NS: i128 = 1_000_000_000;

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

/// Go's `daysIn`: the days of month `m` (1 to 12) of year `y`.
pub fn days_in_month(y: i64, m: u32) -> u32 {
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
    // At most 4 digits: no overflow.
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r)?.iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
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
        let digits = &b[start..end.min(start + 9)];
        let value = digits
            .iter()
            .fold(0i128, |acc, &c| acc * 10 + i128::from(c - b'0'));
        frac = value * 10i128.pow(9 - digits.len() as u32);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        let t = parse_time("2025-01-01T06:06:06Z", true).unwrap();
        assert_eq!(format_time(t), "2025-01-01T06:06:06Z");
        let t = parse_time("2025-01-01T07:06:06.5+01:00", true).unwrap();
        assert_eq!(format_time(t), "2025-01-01T06:06:06.5Z");
        assert!(parse_time("2025-02-30T00:00:00Z", true).is_none());
        assert!(parse_time("2025-01-01T06:06:06", false).is_some());
    }

    #[test]
    fn month_lengths() {
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(2025, 4), 30);
    }
}
