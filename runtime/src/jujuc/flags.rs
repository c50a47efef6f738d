//! A parser that behaves like Juju's fork of gnuflag, as juju/cmd drives it
//! for hook tools: flags and positional arguments may be interspersed,
//! one-letter flags take one dash and may be bundled (`-ab`, `-rVALUE`),
//! longer flags take two dashes and `--name=value`, `--` ends the flags,
//! and every message calls a flag an "option".

use crate::go;

/// Whether a flag takes a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// Set by its presence, or `--flag=<Go bool>`.
    Bool,
    /// Takes the next argument, or the text after `=` (long) or after the
    /// letter (short).
    Value,
}

/// One flag and its names (all names share one value, like juju/cmd's
/// `-r`/`--relation`).
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub names: &'static [&'static str],
    pub kind: Kind,
}

/// A flag's value as parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Bool(bool),
    Str(String),
}

/// Why parsing stopped.
#[derive(Debug, Clone, PartialEq)]
pub enum FlagError {
    /// `-h`/`--help` (and neither is a defined flag).
    Help,
    /// gnuflag's error text.
    Msg(String),
}

/// `-x` for one-byte names, `--name` otherwise (gnuflag counts bytes).
pub fn with_minus(name: &str) -> String {
    if name.len() > 1 {
        format!("--{name}")
    } else {
        format!("-{name}")
    }
}

/// Parse `args` against `specs`. `set(index, name, value)` receives every
/// occurrence in order (the name as typed, for messages) and may refuse a
/// value with the text gnuflag puts after `invalid value "v" for option -x: `.
/// Returns the positional arguments.
pub fn parse(
    specs: &[Spec],
    args: &[String],
    set: &mut dyn FnMut(usize, &str, Val) -> Result<(), String>,
) -> Result<Vec<String>, FlagError> {
    let mut positional = Vec::new();
    let mut i = 0;
    // Remaining letters of a bundle of one-letter flags (`-abc`), or the
    // `=value` part of a long flag.
    let mut pending = String::new();
    loop {
        let (name, long) = if let Some(c) = pending.chars().next() {
            let name = c.to_string();
            pending.drain(..c.len_utf8());
            (name, false)
        } else {
            let Some(a) = args.get(i) else { break };
            if a == "-" || !a.starts_with('-') {
                positional.push(a.clone());
                i += 1;
                continue;
            }
            if a == "--" {
                positional.extend(args[i + 1..].iter().cloned());
                break;
            }
            i += 1;
            if let Some(rest) = a.strip_prefix("--") {
                match rest.find('=') {
                    Some(0) => {
                        return Err(FlagError::Msg(format!(
                            "empty option in argument {}",
                            go::quote::quote(a)
                        )));
                    }
                    Some(eq) => {
                        pending = rest[eq..].to_string();
                        (rest[..eq].to_string(), true)
                    }
                    None => (rest.to_string(), true),
                }
            } else {
                let rest = &a[1..];
                let c = rest.chars().next().unwrap_or('-');
                pending = rest[c.len_utf8()..].to_string();
                (c.to_string(), false)
            }
        };
        let Some(idx) = specs.iter().position(|s| s.names.contains(&name.as_str())) else {
            if name == "help" || name == "h" {
                return Err(FlagError::Help);
            }
            return Err(FlagError::Msg(format!(
                "option provided but not defined: {}",
                with_minus(&name)
            )));
        };
        let kind = specs[idx].kind;
        if kind == Kind::Bool && !pending.starts_with('=') {
            set(idx, &name, Val::Bool(true)).map_err(FlagError::Msg)?;
            continue;
        }
        let value = if !pending.is_empty() {
            let v = std::mem::take(&mut pending);
            if long { v[1..].to_string() } else { v }
        } else if let Some(next) = args.get(i) {
            i += 1;
            next.clone()
        } else {
            return Err(FlagError::Msg(format!(
                "option needs an argument: {}",
                with_minus(&name)
            )));
        };
        let invalid = |e: String| {
            FlagError::Msg(format!(
                "invalid value {} for option {}: {e}",
                go::quote::quote(&value),
                with_minus(&name)
            ))
        };
        let val = match kind {
            Kind::Bool => Val::Bool(go::strconv::parse_bool(&value).map_err(invalid)?),
            Kind::Value => Val::Str(value.clone()),
        };
        set(idx, &name, val).map_err(invalid)?;
    }
    Ok(positional)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[Spec] = &[
        Spec {
            names: &["r", "relation"],
            kind: Kind::Value,
        },
        Spec {
            names: &["app"],
            kind: Kind::Bool,
        },
        Spec {
            names: &["a", "all"],
            kind: Kind::Bool,
        },
        Spec {
            names: &["format"],
            kind: Kind::Value,
        },
    ];

    type Parsed = (Vec<String>, Vec<(usize, Val)>);

    fn run(args: &[&str]) -> Result<Parsed, FlagError> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let mut seen = Vec::new();
        let pos = parse(SPECS, &args, &mut |i, _, v| {
            if matches!(&v, Val::Str(s) if s == "bad") {
                return Err("invalid relation id".into());
            }
            seen.push((i, v));
            Ok(())
        })?;
        Ok((pos, seen))
    }

    #[test]
    fn forms() {
        let (pos, seen) =
            run(&["-r", "db:1", "key", "--app", "-", "u/0", "--format=json"]).unwrap();
        assert_eq!(pos, ["key", "-", "u/0"]);
        assert_eq!(seen.len(), 3);
        let (_, seen) = run(&["-rdb:1", "--app=False", "-a"]).unwrap();
        assert_eq!(seen[0], (0, Val::Str("db:1".into())));
        assert_eq!(seen[1], (1, Val::Bool(false)));
        let (pos, _) = run(&["--app", "--", "-r", "x"]).unwrap();
        assert_eq!(pos, ["-r", "x"]);
    }

    #[test]
    fn errors() {
        let msg = |args: &[&str]| match run(args) {
            Err(FlagError::Msg(m)) => m,
            other => panic!("{other:?}"),
        };
        assert_eq!(msg(&["--foo"]), "option provided but not defined: --foo");
        assert_eq!(
            msg(&["-format=json"]),
            "option provided but not defined: -f"
        );
        assert_eq!(msg(&["-r"]), "option needs an argument: -r");
        assert_eq!(
            msg(&["--relation", "bad"]),
            "invalid value \"bad\" for option --relation: invalid relation id"
        );
        assert_eq!(
            msg(&["--app=yes"]),
            "invalid value \"yes\" for option --app: strconv.ParseBool: parsing \"yes\": invalid syntax"
        );
        assert_eq!(msg(&["--=x"]), "empty option in argument \"--=x\"");
        assert_eq!(run(&["-h"]), Err(FlagError::Help));
    }
}
