//! yaml.v3's map key order: digit runs compare by value (`VAR2` before
//! `VAR10`), letters before other characters.

use std::cmp::Ordering;

/// yaml.v3's `keyList.Less` for two string keys.
pub fn natural_less(a: &str, b: &str) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let mut digits = false;
    let n = ar.len().min(br.len());
    for i in 0..n {
        if ar[i] == br[i] {
            digits = ar[i].is_numeric() && is_go_digit(ar[i]);
            continue;
        }
        let al = is_go_letter(ar[i]);
        let bl = is_go_letter(br[i]);
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return if digits { al } else { bl };
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && is_go_digit(ar[j - 1]) {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && is_go_digit(ar[ai]) {
            an = an
                .wrapping_mul(10)
                .wrapping_add(i64::from(ar[ai].to_digit(10).unwrap_or(0)));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && is_go_digit(br[bi]) {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(i64::from(br[bi].to_digit(10).unwrap_or(0)));
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
fn is_go_digit(c: char) -> bool {
    c.is_ascii_digit()
}

/// `unicode.IsLetter`.
fn is_go_letter(c: char) -> bool {
    c.is_alphabetic() && !c.is_numeric()
}

/// Sort keys in yaml.v3's order (stable for keys it deems equal).
pub fn sort_keys<T>(items: &mut [(String, T)]) {
    items.sort_by(|(a, _), (b, _)| {
        if natural_less(a, b) {
            Ordering::Less
        } else if natural_less(b, a) {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(keys: &[&str]) -> Vec<String> {
        let mut v: Vec<(String, ())> = keys.iter().map(|k| (k.to_string(), ())).collect();
        sort_keys(&mut v);
        v.into_iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn digits_by_value() {
        assert_eq!(
            sorted(&["VAR10", "VAR2", "VAR1"]),
            ["VAR1", "VAR2", "VAR10"]
        );
        assert_eq!(sorted(&["b", "a", "B", "_x"]), ["_x", "B", "a", "b"]);
        assert_eq!(
            sorted(&["svc-2", "svc-10", "svc"]),
            ["svc", "svc-2", "svc-10"]
        );
        assert_eq!(sorted(&["a1", "a01"]), ["a1", "a01"]);
    }
}
