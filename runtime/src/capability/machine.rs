//! Which commands a charm may run on its machine: the programs it declares
//! in charmcraft.yaml (`charmbox.machine-commands`) that the run also
//! grants. Every backend applies this same check before a command runs.

use std::collections::BTreeSet;

use crate::bindings::machine::CommandError;

/// The most programs a charm may declare.
pub const MAX_DECLARED: usize = 64;
/// The longest program name.
pub const MAX_PROGRAM_NAME: usize = 64;
/// The most arguments a command may have, the program included.
pub const MAX_ARGS: usize = 4096;
/// The most bytes of all arguments together.
pub const MAX_ARGV_BYTES: usize = 128 << 10;
/// The most bytes given to a command's standard input.
pub const MAX_STDIN_BYTES: usize = 16 << 20;

/// Where a program's absolute path may point (`/usr/bin/apt-get` is
/// `apt-get`); any other path is a program of its own, never declared.
const PROGRAM_DIRS: [&str; 4] = ["/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/"];

/// Check the declared program names: plain names, no paths or spaces.
pub fn declared(names: Vec<String>) -> Result<BTreeSet<String>, String> {
    if names.len() > MAX_DECLARED {
        return Err(format!(
            "{} programs declared, at most {MAX_DECLARED}",
            names.len()
        ));
    }
    let mut set = BTreeSet::new();
    for name in names {
        if !is_program_name(&name) {
            return Err(format!(
                "{name:?} is not a program name (a plain name such as \"apt-get\": \
                 no path, no spaces, at most {MAX_PROGRAM_NAME} characters)"
            ));
        }
        set.insert(name);
    }
    Ok(set)
}

fn is_program_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_PROGRAM_NAME
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+'))
}

/// The program `argv` runs, as declarations name it.
pub fn program(argv: &[String]) -> Option<&str> {
    let first = argv.first()?;
    let name = PROGRAM_DIRS
        .iter()
        .find_map(|d| first.strip_prefix(d))
        .unwrap_or(first);
    is_program_name(name).then_some(name)
}

/// Who grants commands, which the refusal of an ungranted one names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantedBy {
    /// The run: the State's `machine.granted`, `charmbox run --grant-command`.
    Run,
    /// The pack, under a unit agent: `charmbox pack --grant-command`.
    Pack,
}

/// Whether `argv` may run: well formed and within the size limits,
/// declared by the charm, granted by the run; the program's name.
pub fn check<'a>(
    argv: &'a [String],
    stdin: &[u8],
    declared: &BTreeSet<String>,
    granted: &BTreeSet<String>,
) -> Result<&'a str, CommandError> {
    check_granted_by(argv, stdin, declared, granted, GrantedBy::Run)
}

/// [`check`], the grant being `by`'s.
pub fn check_granted_by<'a>(
    argv: &'a [String],
    stdin: &[u8],
    declared: &BTreeSet<String>,
    granted: &BTreeSet<String>,
    by: GrantedBy,
) -> Result<&'a str, CommandError> {
    let Some(first) = argv.first() else {
        return Err(CommandError::Invalid("an empty command".into()));
    };
    if argv.len() > MAX_ARGS {
        return Err(CommandError::Invalid(format!(
            "{} arguments, at most {MAX_ARGS}",
            argv.len()
        )));
    }
    let bytes: usize = argv.iter().map(|a| a.len() + 1).sum();
    if bytes > MAX_ARGV_BYTES {
        return Err(CommandError::Invalid(format!(
            "{bytes} bytes of arguments, at most {MAX_ARGV_BYTES}"
        )));
    }
    if argv.iter().any(|a| a.contains('\0')) {
        return Err(CommandError::Invalid("an argument holds a NUL byte".into()));
    }
    if stdin.len() > MAX_STDIN_BYTES {
        return Err(CommandError::Invalid(format!(
            "{} bytes of standard input, at most {MAX_STDIN_BYTES}",
            stdin.len()
        )));
    }
    let name = program(argv).filter(|n| declared.contains(*n));
    let Some(name) = name else {
        return Err(CommandError::NotDeclared(format!(
            "{first:?} is not declared: a charm runs only the programs it lists under \
             `charmbox: machine-commands:` in charmcraft.yaml"
        )));
    };
    if !granted.contains(name) {
        return Err(CommandError::NotGranted(match by {
            GrantedBy::Run => format!(
                "{name:?} is declared by the charm but not granted to this run \
                 (grant it: the State's `machine.granted`, or `charmbox run --grant-command {name}`)"
            ),
            GrantedBy::Pack => format!(
                "{first:?} is declared by the charm but not granted on this machine \
                 (pack the charm with `charmbox pack --grant-command {name}`)"
            ),
        }));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    fn set(a: &[&str]) -> BTreeSet<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_declared_and_granted_program_runs_by_name_or_standard_path() {
        let d = set(&["apt-get"]);
        for a in [&["apt-get", "update"][..], &["/usr/bin/apt-get", "update"]] {
            assert_eq!(check(&argv(a), b"", &d, &d).unwrap(), "apt-get");
        }
    }

    #[test]
    fn undeclared_programs_and_other_paths_are_refused_as_not_declared() {
        let d = set(&["apt-get"]);
        for a in [
            &["systemctl", "start", "x"][..],
            &["/tmp/apt-get"],
            &["./apt-get"],
            &["/usr/bin/../bin/sh"],
        ] {
            let e = check(&argv(a), b"", &d, &d).unwrap_err();
            assert!(matches!(e, CommandError::NotDeclared(_)), "{a:?}: {e:?}");
        }
    }

    #[test]
    fn a_declared_program_not_granted_is_refused_saying_how_to_grant_it() {
        let e = check(&argv(&["apt-get"]), b"", &set(&["apt-get"]), &set(&[])).unwrap_err();
        let CommandError::NotGranted(m) = e else {
            panic!("{e:?}")
        };
        assert!(m.contains("--grant-command apt-get"), "{m}");
    }

    #[test]
    fn malformed_and_oversized_commands_are_invalid() {
        let d = set(&["x"]);
        let huge = vec!["x".to_string(); MAX_ARGS + 1];
        let long = vec!["x".to_string(), "y".repeat(MAX_ARGV_BYTES)];
        let nul = argv(&["x", "a\0b"]);
        for a in [vec![], huge, long, nul] {
            let e = check(&a, b"", &d, &d).unwrap_err();
            assert!(matches!(e, CommandError::Invalid(_)), "{e:?}");
        }
        let stdin = vec![0u8; MAX_STDIN_BYTES + 1];
        let e = check(&argv(&["x"]), &stdin, &d, &d).unwrap_err();
        assert!(matches!(e, CommandError::Invalid(_)), "{e:?}");
    }

    #[test]
    fn declarations_must_be_plain_program_names() {
        assert!(declared(argv(&["apt-get", "systemctl", "g++"])).is_ok());
        for bad in ["", "/usr/bin/apt-get", "apt get", "..", "x;y"] {
            assert!(declared(argv(&[bad])).is_err(), "{bad:?}");
        }
        assert!(declared(vec!["x".into(); MAX_DECLARED + 1]).is_err());
    }
}
