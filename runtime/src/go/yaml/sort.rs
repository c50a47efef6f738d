//! The order both encoders give string map keys (`sorter.go`'s
//! `keyList.Less`): letters after other characters, runs of digits
//! compared as numbers (`a2` before `a10`).
//!
//! yaml.v2 and yaml.v3 differ in one step: after equal digits, v3 puts a
//! letter *before* a non-letter (its `digits` flag; `VAR1a` before
//! `VAR1_`), where v2 always puts letters after.
//!
//! Go's `unicode.IsLetter` and `unicode.IsDigit` are approximated: a letter
//! is alphabetic and not numeric, a digit is an ASCII digit (the value
//! arithmetic `r - '0'` only means something for those).

use super::Version;

/// `keyList.Less` for two string keys.
pub fn key_less(a: &str, b: &str, version: Version) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let mut digits = false;
    let n = ar.len().min(br.len());
    for i in 0..n {
        if ar[i] == br[i] {
            digits = is_digit(ar[i]);
            continue;
        }
        let al = is_letter(ar[i]);
        let bl = is_letter(br[i]);
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return if digits && version == Version::V3 {
                al
            } else {
                bl
            };
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && is_digit(ar[j - 1]) {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let value = |c: char| i64::from(c.to_digit(10).unwrap_or(0));
        let mut ai = i;
        while ai < ar.len() && is_digit(ar[ai]) {
            an = an.wrapping_mul(10).wrapping_add(value(ar[ai]));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && is_digit(br[bi]) {
            bn = bn.wrapping_mul(10).wrapping_add(value(br[bi]));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

/// `unicode.IsDigit`, restricted to what the digit arithmetic can use.
fn is_digit(c: char) -> bool {
    c.is_ascii_digit()
}

/// `unicode.IsLetter`.
fn is_letter(c: char) -> bool {
    c.is_alphabetic() && !c.is_numeric()
}

/// A stable merge sort that only asks `less` (never panics on an
/// inconsistent order, unlike the standard sorts; `keyList.Less` is not
/// always one).
pub fn merge_sort<T>(items: Vec<T>, less: &dyn Fn(&T, &T) -> bool) -> Vec<T> {
    if items.len() <= 1 {
        return items;
    }
    let mut left = items;
    let right = left.split_off(left.len() / 2);
    let left = merge_sort(left, less);
    let right = merge_sort(right, less);
    let mut out = Vec::with_capacity(left.len() + right.len());
    let (mut l, mut r) = (left.into_iter().peekable(), right.into_iter().peekable());
    loop {
        match (l.peek(), r.peek()) {
            (Some(a), Some(b)) => {
                if less(b, a) {
                    out.extend(r.next());
                } else {
                    out.extend(l.next());
                }
            }
            (Some(_), None) => out.extend(l.by_ref()),
            (None, Some(_)) => out.extend(r.by_ref()),
            (None, None) => break,
        }
    }
    out
}

/// Sort map entries by key in `version`'s order (stable for keys it deems
/// equal).
pub fn sort_keys<T>(items: &mut Vec<(String, T)>, version: Version) {
    let taken = std::mem::take(items);
    *items = merge_sort(taken, &|a, b| key_less(&a.0, &b.0, version));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(keys: &[&str], version: Version) -> Vec<String> {
        let mut v: Vec<(String, ())> = keys.iter().map(|k| (k.to_string(), ())).collect();
        sort_keys(&mut v, version);
        v.into_iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn digits_by_value() {
        for version in [Version::V2, Version::V3] {
            assert_eq!(
                sorted(&["VAR10", "VAR2", "VAR1"], version),
                ["VAR1", "VAR2", "VAR10"]
            );
            assert_eq!(
                sorted(&["b", "a", "B", "_x"], version),
                ["_x", "B", "a", "b"]
            );
            assert_eq!(
                sorted(&["svc-2", "svc-10", "svc"], version),
                ["svc", "svc-2", "svc-10"]
            );
            assert_eq!(sorted(&["a1", "a01"], version), ["a1", "a01"]);
        }
    }

    #[test]
    fn letters_after_digits_differ() {
        assert_eq!(sorted(&["a1a", "a1_"], Version::V2), ["a1_", "a1a"]);
        assert_eq!(sorted(&["a1_", "a1a"], Version::V3), ["a1a", "a1_"]);
    }
}
