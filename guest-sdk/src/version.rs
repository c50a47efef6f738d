//! Versions and Poetry-style version constraints, as in-place upgrade
//! protocols use them: a charm's dependency model says which versions of
//! itself and of related workloads it supports (`"^3"`, `"~3.3"`,
//! `">=0.8"`, `">5, <7"`, `"1.2.*"`, `"*"`), and a refresh is allowed only
//! when the running version meets the new charm's `upgrade_supported`.
//!
//! The rules are Poetry's dependency specification, on numeric versions
//! (missing components are zeros: `3.3` is `3.3.0`):
//!
//! | constraint | means |
//! |---|---|
//! | `^1.2.3` | `>=1.2.3, <2.0.0`: the first non-zero component is kept |
//! | `^0.2.3` / `^0.0.3` | `>=0.2.3, <0.3.0` / `>=0.0.3, <0.0.4` |
//! | `^0` / `^0.0` | `>=0.0.0, <1.0.0` / `>=0.0.0, <0.1.0` |
//! | `~1.2.3` / `~1.2` / `~1` | `>=1.2.3, <1.3.0` / `>=1.2.0, <1.3.0` / `>=1.0.0, <2.0.0` |
//! | `~=1.2` / `~=1.2.3` | PEP 440's compatible release: `>=1.2, <2.0` / `>=1.2.3, <1.3.0` |
//! | `*`, `1.*`, `1.2.*` | anything; `>=1.0.0, <2.0.0`; `>=1.2.0, <1.3.0` |
//! | `>`, `>=`, `<`, `<=`, `==`, `=`, `!=` | comparisons; a bare version is `==` |
//! | `a, b` (or `a b`) / `a \|\| b` | both / either |

use std::cmp::Ordering;
use std::fmt;

/// The longest constraint text parsed.
pub const MAX_CONSTRAINT_LEN: usize = 1024;
/// The most numeric components of a version.
pub const MAX_COMPONENTS: usize = 8;

/// A numeric version (`3.3.2`, `100`); compared with missing components as
/// zeros.
#[derive(Debug, Clone, Eq)]
pub struct Version(Vec<u64>);

/// Why a version or constraint was not understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionError {
    /// The text given.
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for VersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid version constraint {:?}: {}",
            self.text, self.reason
        )
    }
}

impl std::error::Error for VersionError {}

fn error(text: &str, reason: impl Into<String>) -> VersionError {
    VersionError {
        text: text.chars().take(80).collect(),
        reason: reason.into(),
    }
}

impl Version {
    /// Parse `1`, `3.3`, `3.3.2` (a leading `v` is allowed).
    pub fn parse(text: &str) -> Result<Version, VersionError> {
        let t = text.trim();
        let t = t.strip_prefix('v').unwrap_or(t);
        if t.is_empty() {
            return Err(error(text, "an empty version"));
        }
        let parts: Vec<&str> = t.split('.').collect();
        if parts.len() > MAX_COMPONENTS {
            return Err(error(
                text,
                format!("more than {MAX_COMPONENTS} components"),
            ));
        }
        parts
            .iter()
            .map(|p| {
                p.parse::<u64>().map_err(|_| {
                    error(
                        text,
                        format!("{p:?} is not a number (versions are like 3.3.2)"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Version)
    }

    fn component(&self, i: usize) -> u64 {
        self.0.get(i).copied().unwrap_or(0)
    }

    /// The version with component `i` raised by one and those after it
    /// dropped (zeros): `1.2.3` bumped at 1 is `1.3`.
    fn bump(&self, i: usize) -> Version {
        let mut parts: Vec<u64> = (0..=i).map(|k| self.component(k)).collect();
        parts[i] = parts[i].saturating_add(1);
        Version(parts)
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.0.len().max(other.0.len());
        (0..n)
            .map(|i| self.component(i).cmp(&other.component(i)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u64::to_string).collect();
        f.write_str(&parts.join("."))
    }
}

#[derive(Debug, Clone)]
enum Bound {
    Gt(Version),
    Ge(Version),
    Lt(Version),
    Le(Version),
    Eq(Version),
    Ne(Version),
    /// `>= low, < high`.
    Range(Version, Version),
    /// Outside `>= low, < high` (`!=1.2.*`).
    NotRange(Version, Version),
    Any,
}

impl Bound {
    fn allows(&self, v: &Version) -> bool {
        match self {
            Bound::Gt(b) => v > b,
            Bound::Ge(b) => v >= b,
            Bound::Lt(b) => v < b,
            Bound::Le(b) => v <= b,
            Bound::Eq(b) => v == b,
            Bound::Ne(b) => v != b,
            Bound::Range(lo, hi) => v >= lo && v < hi,
            Bound::NotRange(lo, hi) => v < lo || v >= hi,
            Bound::Any => true,
        }
    }
}

/// A parsed constraint: alternatives (`||`) of clauses that must all hold.
#[derive(Debug, Clone)]
pub struct Constraint {
    any_of: Vec<Vec<Bound>>,
}

/// The most clauses of one constraint.
const MAX_CLAUSES: usize = 64;

impl Constraint {
    /// Parse a Poetry-style constraint (see the module's table).
    pub fn parse(text: &str) -> Result<Constraint, VersionError> {
        if text.len() > MAX_CONSTRAINT_LEN {
            return Err(error(
                text,
                format!("longer than {MAX_CONSTRAINT_LEN} bytes"),
            ));
        }
        let mut any_of = Vec::new();
        let mut clauses = 0;
        for alternative in text.split("||") {
            let mut all = Vec::new();
            for clause in split_clauses(alternative) {
                clauses += 1;
                if clauses > MAX_CLAUSES {
                    return Err(error(text, format!("more than {MAX_CLAUSES} clauses")));
                }
                all.push(clause_bound(text, &clause)?);
            }
            if all.is_empty() {
                return Err(error(text, "an empty alternative"));
            }
            any_of.push(all);
        }
        Ok(Constraint { any_of })
    }

    /// Whether `version` meets the constraint.
    pub fn allows(&self, version: &Version) -> bool {
        self.any_of
            .iter()
            .any(|all| all.iter().all(|b| b.allows(version)))
    }
}

/// The clauses of one alternative: split at commas and at spaces that do
/// not follow an operator (`>= 1.2, < 2` and `>=1.2 <2` both give two).
fn split_clauses(alternative: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for piece in alternative.split(',') {
        let mut current = String::new();
        for word in piece.split_whitespace() {
            let is_operator = word.chars().all(|c| "<>=!~^".contains(c));
            current.push_str(word);
            if !is_operator {
                out.push(std::mem::take(&mut current));
            }
        }
        if !current.is_empty() {
            out.push(current);
        }
    }
    out
}

fn clause_bound(text: &str, clause: &str) -> Result<Bound, VersionError> {
    let ops = ["~=", ">=", "<=", "==", "!=", ">", "<", "=", "^", "~"];
    let (op, rest) = ops
        .iter()
        .find_map(|op| clause.strip_prefix(op).map(|r| (*op, r)))
        .unwrap_or(("", clause));
    if rest == "*" {
        return match op {
            "" | "==" | "=" | ">=" => Ok(Bound::Any),
            _ => Err(error(text, format!("{clause:?}: `*` only stands alone"))),
        };
    }
    if let Some(prefix) = rest.strip_suffix(".*") {
        let base = Version::parse(prefix).map_err(|e| error(text, e.reason))?;
        let (lo, hi) = (base.clone(), base.bump(base.0.len() - 1));
        return match op {
            "" | "==" | "=" => Ok(Bound::Range(lo, hi)),
            "!=" => Ok(Bound::NotRange(lo, hi)),
            _ => Err(error(
                text,
                format!("{clause:?}: a wildcard takes ==, != or nothing"),
            )),
        };
    }
    let v = Version::parse(rest).map_err(|e| error(text, e.reason))?;
    let given = v.0.len();
    Ok(match op {
        ">" => Bound::Gt(v),
        ">=" => Bound::Ge(v),
        "<" => Bound::Lt(v),
        "<=" => Bound::Le(v),
        "!=" => Bound::Ne(v),
        "" | "==" | "=" => Bound::Eq(v),
        "^" => {
            let at = v.0.iter().position(|&c| c != 0).unwrap_or(given - 1);
            let hi = v.bump(at);
            Bound::Range(v, hi)
        }
        "~" => {
            let hi = v.bump(if given >= 2 { 1 } else { 0 });
            Bound::Range(v, hi)
        }
        _ => {
            // "~=": the last given component may grow.
            if given < 2 {
                return Err(error(text, format!("{clause:?}: ~= needs two components")));
            }
            let hi = v.bump(given - 2);
            Bound::Range(v, hi)
        }
    })
}

/// Whether `version` meets `constraint`; a constraint or version that does
/// not parse is an error.
pub fn satisfies(version: &str, constraint: &str) -> Result<bool, VersionError> {
    Ok(Constraint::parse(constraint)?.allows(&Version::parse(version)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (constraint, version, allowed): Poetry's documented examples, the
    /// seed's dependency models, and the edges around each bound.
    const TABLE: &[(&str, &str, bool)] = &[
        // caret
        ("^1.2.3", "1.2.3", true),
        ("^1.2.3", "1.9.9", true),
        ("^1.2.3", "2.0.0", false),
        ("^1.2.3", "1.2.2", false),
        ("^1.2", "1.2.0", true),
        ("^1.2", "1.99", true),
        ("^1.2", "2", false),
        ("^1", "1.0.0", true),
        ("^1", "2.0.0", false),
        ("^0.2.3", "0.2.9", true),
        ("^0.2.3", "0.3.0", false),
        ("^0.0.3", "0.0.3", true),
        ("^0.0.3", "0.0.4", false),
        ("^0.0", "0.0.9", true),
        ("^0.0", "0.1.0", false),
        ("^0", "0.9.9", true),
        ("^0", "1.0.0", false),
        ("^3", "3.3.2", true),
        ("^3", "4", false),
        // tilde
        ("~1.2.3", "1.2.3", true),
        ("~1.2.3", "1.2.9", true),
        ("~1.2.3", "1.3.0", false),
        ("~1.2", "1.2.0", true),
        ("~1.2", "1.3", false),
        ("~1", "1.9", true),
        ("~1", "2.0", false),
        ("~3.3", "3.3.2", true),
        ("~3.3", "3.4.0", false),
        ("~3.3", "3.2.9", false),
        // compatible release
        ("~=1.2", "1.9", true),
        ("~=1.2", "2.0", false),
        ("~=1.2.3", "1.2.5", true),
        ("~=1.2.3", "1.3", false),
        // wildcards
        ("*", "0", true),
        ("*", "123.4", true),
        ("1.*", "1.0", true),
        ("1.*", "1.99.1", true),
        ("1.*", "2.0", false),
        ("1.2.*", "1.2.7", true),
        ("1.2.*", "1.3.0", false),
        ("!=1.2.*", "1.2.7", false),
        ("!=1.2.*", "1.3.0", true),
        // comparisons (the seed's `>90`, `>50`, `>=0.8`, `>5`)
        (">90", "100", true),
        (">90", "90", false),
        (">=0.8", "0.8", true),
        (">=0.8", "0.7.9", false),
        (">5", "5.0.1", true),
        ("<2", "1.9.9", true),
        ("<2", "2.0", false),
        ("<=2", "2.0.0", true),
        ("==1.2", "1.2.0", true),
        ("=1.2", "1.2.1", false),
        ("1.2.3", "1.2.3", true),
        ("!=1.2.3", "1.2.3", false),
        ("!=1.2.3", "1.2.4", true),
        // ranges and alternatives
        (">=1.2, <1.5", "1.4.9", true),
        (">=1.2, <1.5", "1.5", false),
        (">= 1.2 < 1.5", "1.3", true),
        (">=1.2,<1.5", "1.1", false),
        ("^1 || ^3", "3.1", true),
        ("^1 || ^3", "2.1", false),
        ("v1.2.3", "1.2.3", true),
    ];

    #[test]
    fn poetrys_constraints_hold_as_documented() {
        for (constraint, version, allowed) in TABLE {
            assert_eq!(
                satisfies(version, constraint),
                Ok(*allowed),
                "{version} against {constraint}"
            );
        }
    }

    #[test]
    fn versions_compare_with_missing_components_as_zeros() {
        let v = |s| Version::parse(s).unwrap();
        assert_eq!(v("3.3"), v("3.3.0"));
        assert!(v("3.10") > v("3.9"));
        assert!(v("100") > v("90"));
        assert_eq!(v("1.2.0").to_string(), "1.2.0");
    }

    #[test]
    fn malformed_constraints_are_refused_naming_the_problem() {
        for (bad, reason) in [
            ("", "an empty alternative"),
            ("^", "an empty version"),
            ("^1.x", "\"x\" is not a number"),
            (">=1.2.3-rc1", "is not a number"),
            ("~=1", "~= needs two components"),
            (">*", "`*` only stands alone"),
            ("<1.*", "a wildcard takes"),
            ("^1 ||", "an empty alternative"),
            ("1.2.3.4.5.6.7.8.9", "more than 8 components"),
            ("99999999999999999999999", "is not a number"),
        ] {
            let err = Constraint::parse(bad).unwrap_err();
            assert!(err.reason.contains(reason), "{bad:?}: {err}");
        }
        let long = ">1,".repeat(400);
        assert!(
            Constraint::parse(&long)
                .unwrap_err()
                .reason
                .contains("longer than")
        );
        let many = ">1,".repeat(100);
        assert!(
            Constraint::parse(&many)
                .unwrap_err()
                .reason
                .contains("more than 64 clauses")
        );
        assert!(Version::parse("1.2.3-rc1").is_err());
    }
}
