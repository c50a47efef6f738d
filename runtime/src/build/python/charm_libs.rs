//! Charm libraries (`lib/charms/<charm>/v<N>/<lib>.py`): the ones
//! charmcraft.yaml's `charm-libs` declares, and the ones the charm's code
//! imports, must be in `lib/` (or come from a requirement) before a build,
//! else the charm fails at import with an error that does not say how to
//! get them. `charmcraft fetch-libs` brings the declared ones.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::PythonCharm;

/// Most charm-libs entries and imported `charms.*` modules looked at.
const MAX_LIBS: usize = 1_000;

/// A charm library that is not there.
#[derive(Debug, Clone, PartialEq)]
pub struct MissingLib {
    /// `charms.<charm>.v<N>.<lib>`.
    pub module: String,
    /// Where charmcraft puts it, relative to the charm directory.
    pub path: PathBuf,
    /// Declared in charm-libs (else only imported).
    pub declared: bool,
}

impl std::fmt::Display for MissingLib {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let how = if self.declared {
            "declared in charm-libs".to_string()
        } else {
            format!("imported (`charmcraft fetch-lib {}`)", self.module)
        };
        write!(f, "{} ({}, {how})", self.module, self.path.display())
    }
}

#[derive(Deserialize)]
struct Charmcraft {
    #[serde(default, rename = "charm-libs")]
    charm_libs: Vec<CharmLib>,
}

#[derive(Deserialize)]
struct CharmLib {
    lib: String,
    version: serde_norway::Value,
}

/// `charms.<charm>.v<major>.<lib>` of a charm-libs entry (`lib:
/// postgresql.postgres_client`, `version: "0"` or `"0.4"`).
fn declared_module(entry: &CharmLib) -> Option<String> {
    let (charm, lib) = entry.lib.split_once('.')?;
    let version = match &entry.version {
        serde_norway::Value::String(s) => s.clone(),
        serde_norway::Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let major = version.split('.').next()?;
    if major.is_empty() || !major.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!("charms.{}.v{major}.{lib}", charm.replace('-', "_")))
}

/// `charms.a.v0.b` → `charms/a/v0/b.py`.
fn module_path(module: &str) -> PathBuf {
    PathBuf::from(format!("{}.py", module.replace('.', "/")))
}

/// `charms.<charm>.v<N>.<lib>` modules imported by the Python files of
/// `dir` (its top level: a charm's `src/`).
fn imported(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    files.sort();
    for f in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "py"))
    {
        let Ok(text) = fs::read_to_string(f) else {
            continue;
        };
        for line in text.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            let module = match words.as_slice() {
                ["from", m, "import", ..] | ["import", m, ..] => m.trim_end_matches(','),
                _ => continue,
            };
            let parts: Vec<&str> = module.split('.').collect();
            let is_lib = parts.len() == 4
                && parts[0] == "charms"
                && parts[2]
                    .strip_prefix('v')
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            if is_lib && !out.iter().any(|m| m == module) && out.len() < MAX_LIBS {
                out.push(module.to_string());
            }
        }
    }
    out
}

/// The charm libraries `charm` declares or imports that neither its `lib/`
/// nor `site` (its installed requirements) holds.
pub fn missing(charm: &PythonCharm, site: Option<&Path>) -> Vec<MissingLib> {
    let declared: Vec<String> = crate::yaml::read_file(&charm.dir.join("charmcraft.yaml"))
        .ok()
        .and_then(|text| crate::yaml::from_str::<Charmcraft>(&text).ok())
        .map(|c| {
            c.charm_libs
                .iter()
                .take(MAX_LIBS)
                .filter_map(declared_module)
                .collect()
        })
        .unwrap_or_default();
    let present = |module: &str| {
        let rel = module_path(module);
        charm.lib_dir().join(&rel).is_file() || site.is_some_and(|s| s.join(&rel).is_file())
    };
    let mut out: Vec<MissingLib> = declared
        .iter()
        .filter(|m| !present(m))
        .map(|m| MissingLib {
            module: m.clone(),
            path: Path::new("lib").join(module_path(m)),
            declared: true,
        })
        .collect();
    for m in imported(&charm.src_dir()) {
        if !present(&m) && !declared.contains(&m) {
            out.push(MissingLib {
                path: Path::new("lib").join(module_path(&m)),
                module: m,
                declared: false,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_and_imported_libraries_must_be_in_lib() {
        let dir = std::env::temp_dir().join(format!("charmbox-libs-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("src")).unwrap();
        fs::write(
            dir.join("charmcraft.yaml"),
            "name: x\ncharm-libs:\n  - lib: data-platform.data_interfaces\n    version: \"0.41\"\n  \
             - lib: tls.certs\n    version: 3\n",
        )
        .unwrap();
        fs::write(
            dir.join("src/charm.py"),
            "import ops\nfrom charms.data_platform.v0.data_interfaces import X\n\
             import charms.loki_k8s.v1.loki_push_api\nfrom charms import nothing\n",
        )
        .unwrap();
        let charm = PythonCharm::detect(&dir).unwrap();
        let names = |v: Vec<MissingLib>| -> Vec<(String, bool)> {
            v.into_iter().map(|m| (m.module, m.declared)).collect()
        };
        assert_eq!(
            names(missing(&charm, None)),
            [
                ("charms.data_platform.v0.data_interfaces".to_string(), true),
                ("charms.tls.v3.certs".to_string(), true),
                ("charms.loki_k8s.v1.loki_push_api".to_string(), false),
            ]
        );
        let m = &missing(&charm, None)[0];
        assert_eq!(
            m.to_string(),
            "charms.data_platform.v0.data_interfaces \
             (lib/charms/data_platform/v0/data_interfaces.py, declared in charm-libs)"
        );
        // Fetched into lib/, or installed by a requirement: found.
        fs::create_dir_all(dir.join("lib/charms/data_platform/v0")).unwrap();
        fs::write(
            dir.join("lib/charms/data_platform/v0/data_interfaces.py"),
            "",
        )
        .unwrap();
        let site = dir.join("site");
        fs::create_dir_all(site.join("charms/loki_k8s/v1")).unwrap();
        fs::write(site.join("charms/loki_k8s/v1/loki_push_api.py"), "").unwrap();
        assert_eq!(
            names(missing(&charm, Some(&site))),
            [("charms.tls.v3.certs".to_string(), true)]
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
