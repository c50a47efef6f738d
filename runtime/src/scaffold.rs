//! `charmbox new`: a charm directory that builds, runs its scenario and
//! passes its test straight away, in Rust, Python, JavaScript or C, for Kubernetes or
//! machines. The files are templates under `runtime/templates/new/`,
//! embedded in the binary.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The languages `charmbox new` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Rust,
    Python,
    Js,
    C,
}

/// Where the charm runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    K8s,
    Machine,
}

/// Why a charm could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// Not a name Juju takes for a charm.
    #[error(
        "{0:?} is not a charm name: lower-case letters, digits and single hyphens, starting \
         with a letter and not ending with a hyphen (at most 50 characters)"
    )]
    BadName(String),
    /// The directory exists and is not empty: nothing is overwritten.
    #[error("{} already exists and is not empty: nothing was written", .0.display())]
    NotEmpty(PathBuf),
    /// A Rust charm needs charmbox's Rust SDK on this machine.
    #[error(
        "a Rust charm needs charmbox's Rust SDK (guest-sdk/): it is not at {}; pass --sdk",
        .0.display()
    )]
    NoSdk(PathBuf),
    /// A file could not be written.
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
}

macro_rules! template {
    ($path:literal) => {
        ($path, include_str!(concat!("../templates/new/", $path)))
    };
}

/// Files every charm gets.
const COMMON: &[(&str, &str)] = &[template!("charmcraft.yaml"), template!("scenario.yaml")];

/// Each language's own files, by path under `templates/new/<lang>/`.
fn files(lang: Lang) -> &'static [(&'static str, &'static str)] {
    match lang {
        Lang::Rust => &[template!("rust/Cargo.toml"), template!("rust/src/lib.rs")],
        Lang::Python => &[
            template!("python/requirements.txt"),
            template!("python/src/charm.py"),
            template!("python/tests/unit/test_charm.py"),
        ],
        Lang::Js => &[template!("js/package.json"), template!("js/src/charm.js")],
        Lang::C => &[template!("c/src/charm.c")],
    }
}

/// Where the Rust SDK of this charmbox is (its source tree's `guest-sdk/`).
pub fn default_sdk() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("guest-sdk")
}

/// Whether `name` is a charm name Juju accepts.
pub fn valid_name(name: &str) -> bool {
    let mut prev = '-';
    !name.is_empty()
        && name.len() <= 50
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name.chars().all(|c| {
            let ok = c.is_ascii_lowercase() || c.is_ascii_digit() || (c == '-' && prev != '-');
            prev = c;
            ok
        })
}

/// `peer-counter` → `PeerCounterCharm`.
fn type_name(name: &str) -> String {
    let mut out: String = name
        .split('-')
        .map(|part| {
            let mut c = part.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    out.push_str("Charm");
    out
}

/// Write a new charm `name` in `lang` for `kind` into `dir` (which must
/// not exist or be empty); returns the files written.
pub fn new_charm(
    dir: &Path,
    name: &str,
    lang: Lang,
    kind: Kind,
    sdk: &Path,
) -> Result<Vec<PathBuf>, ScaffoldError> {
    if !valid_name(name) {
        return Err(ScaffoldError::BadName(name.to_string()));
    }
    if fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(ScaffoldError::NotEmpty(dir.to_path_buf()));
    }
    let sdk = if lang == Lang::Rust {
        let sdk = std::path::absolute(sdk).unwrap_or_else(|_| sdk.to_path_buf());
        if !sdk.join("Cargo.toml").is_file() {
            return Err(ScaffoldError::NoSdk(sdk));
        }
        sdk.canonicalize().unwrap_or(sdk).display().to_string()
    } else {
        String::new()
    };
    let (assumes, model_type) = match kind {
        Kind::K8s => ("\nassumes:\n  - k8s-api\n", "kubernetes"),
        Kind::Machine => ("", "machine"),
    };
    let parts = match lang {
        Lang::Python => "\nparts:\n  charm:\n    plugin: charm\n    source: .\n",
        Lang::Rust | Lang::Js | Lang::C => "",
    };
    let fill = |text: &str| {
        text.replace("{{name}}", name)
            .replace("{{type_name}}", &type_name(name))
            .replace("{{sdk}}", &sdk)
            .replace("{{model_type}}", model_type)
            .replace("{{assumes}}", assumes)
            .replace("{{parts}}", parts)
    };
    let mut written = Vec::new();
    for (rel, text) in COMMON
        .iter()
        .copied()
        .chain(files(lang).iter().map(|(rel, text)| {
            // Strip the language directory: `rust/src/lib.rs` → `src/lib.rs`.
            (rel.split_once('/').map_or(*rel, |(_, r)| r), *text)
        }))
    {
        let path = dir.join(rel);
        let write = |p: &Path, bytes: String| {
            if let Some(parent) = p.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(p, bytes)
        };
        write(&path, fill(text)).map_err(|source| ScaffoldError::Write {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_jujus_rule() {
        for ok in ["a", "my-charm", "db2", "x-1-y"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in [
            "",
            "1db",
            "My",
            "a--b",
            "a-",
            "-a",
            "a_b",
            "a b",
            &"a".repeat(51),
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn type_names_are_camel_case() {
        assert_eq!(type_name("peer-counter"), "PeerCounterCharm");
        assert_eq!(type_name("db2"), "Db2Charm");
    }

    #[test]
    fn nothing_is_overwritten() {
        let dir = std::env::temp_dir().join(format!("charmbox-new-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("keep"), "mine").unwrap();
        let err = new_charm(&dir, "x", Lang::C, Kind::K8s, Path::new("/")).unwrap_err();
        assert!(matches!(err, ScaffoldError::NotEmpty(_)), "{err}");
        assert_eq!(fs::read_to_string(dir.join("keep")).unwrap(), "mine");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn templates_have_no_placeholder_left() {
        for lang in [Lang::Rust, Lang::Python, Lang::Js, Lang::C] {
            let dir =
                std::env::temp_dir().join(format!("charmbox-new-{lang:?}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            let files = new_charm(&dir, "demo", lang, Kind::Machine, &default_sdk()).unwrap();
            for f in files {
                let text = fs::read_to_string(&f).unwrap();
                assert!(!text.contains("{{"), "{}: {text}", f.display());
            }
            fs::remove_dir_all(&dir).unwrap();
        }
    }
}
