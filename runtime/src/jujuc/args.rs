//! Juju's own argument rules that hook tools share: juju/cmd's
//! `CheckEmpty` and juju/utils' `keyvalues.Parse`.

use crate::go::quote::{quote, quote_list};

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
}
