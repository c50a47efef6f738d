//! The host's `python3 -m pip`: installs componentize-py, and a charm's
//! requirements as the guest's CPython 3.14 would take them, into cached
//! directories. Packages with native code cannot run in a component: the
//! build names them.

use std::collections::{BTreeMap, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use sha2::{Digest, Sha256};

use super::sdist_wheel;
use crate::build::{BuildError, BuildOptions};

/// The componentize-py release charmbox builds with (CPython 3.14 inside).
pub const COMPONENTIZE_PY: &str = "0.25.1";
/// The guest's Python, for which requirements are resolved.
pub(crate) const GUEST_PYTHON: &str = "3.14";
/// Platforms whose wheels pip may take (their native parts are removed or
/// refused): a pure wheel (`py3-none-any`) always fits.
const PLATFORMS: [&str; 2] = ["manylinux_2_28_x86_64", "manylinux2014_x86_64"];

/// Distributions whose native code only speeds up a pure-Python
/// implementation: the native files are dropped and the package kept.
const OPTIONAL_NATIVE: [&str; 3] = [
    // yaml/_yaml*.so (libyaml); `import yaml` falls back to pure Python.
    "pyyaml",
    // markupsafe/_speedups*.so; jinja2's markupsafe falls back to _native.py.
    "markupsafe",
    // charset_normalizer/{cd,md}*.so are mypyc builds of cd.py and md.py,
    // which the wheel ships too (requests' encoding detection).
    "charset-normalizer",
];

/// The host interpreter: `$CHARMBOX_PYTHON`, else `python3`.
pub(crate) fn python() -> String {
    std::env::var("CHARMBOX_PYTHON")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "python3".to_string())
}

pub(super) fn pip(python: &str) -> Command {
    let mut cmd = Command::new(python);
    cmd.args([
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
    ])
    .env("PIP_NO_WARN_SCRIPT_LOCATION", "1")
    // Every install goes to a directory of ours (--target), never into the
    // interpreter's environment: a distribution's PEP 668 marker (Debian,
    // Ubuntu) does not apply, but some pip versions refuse anyway.
    .env("PIP_BREAK_SYSTEM_PACKAGES", "1")
    .stdin(Stdio::null());
    cmd
}

pub(super) fn run(cmd: &mut Command, what: &str) -> Result<Output, BuildError> {
    tracing::debug!(?cmd, "{what}");
    cmd.output().map_err(|e| {
        BuildError::PythonSetup(format!(
            "cannot run {:?} ({e}): building Python charms needs python3 with pip \
             (scripts/setup.sh installs them; CHARMBOX_PYTHON names another interpreter)",
            cmd.get_program()
        ))
    })
}

/// The last lines of a command's stderr.
pub(crate) fn tail(bytes: &[u8], lines: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// `<root>/<key>`, filled by `fill` unless a complete one is already
/// there (`crate::cached_dir`); the directory.
fn cached_dir(
    root: &Path,
    key: &str,
    fill: impl FnOnce(&Path) -> Result<(), BuildError>,
) -> Result<PathBuf, BuildError> {
    let _ = fs::create_dir_all(root);
    crate::cached_dir::fill_once(&root.join(key), fill, BuildError::PythonSetup)
}

/// The first 12 bytes of a digest, in hex: a cache key.
fn key_of(h: Sha256) -> String {
    h.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// componentize-py, installed with pip under `tools` when missing; the
/// directory to put on `PYTHONPATH`.
pub(crate) fn componentize_py(tools: &Path) -> Result<PathBuf, BuildError> {
    install_tool(tools, "componentize-py", COMPONENTIZE_PY)
}

/// `package==version` installed with pip into `<tools>/<package>-<version>`
/// once (a complete directory is kept); the directory.
pub(crate) fn install_tool(
    tools: &Path,
    package: &str,
    version: &str,
) -> Result<PathBuf, BuildError> {
    let _ = fs::create_dir_all(tools);
    crate::cached_dir::fill_once(
        &tools.join(format!("{package}-{version}")),
        |tmp| {
            let out = run(
                pip(&python())
                    .arg("--target")
                    .arg(tmp)
                    .arg(format!("{package}=={version}")),
                &format!("installing {package}"),
            )?;
            if !out.status.success() {
                return Err(BuildError::PythonSetup(format!(
                    "pip could not install {package}=={version}:\n{}",
                    tail(&out.stderr, 15)
                )));
            }
            Ok(())
        },
        BuildError::PythonSetup,
    )
}

/// The cache key of a requirements file: its content and how it is resolved.
pub(crate) fn requirements_key(requirements: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(requirements);
    h.update(GUEST_PYTHON.as_bytes());
    h.update(super::native::RECIPE.as_bytes());
    for p in PLATFORMS.iter().chain(&OPTIONAL_NATIVE) {
        h.update(p.as_bytes());
    }
    key_of(h)
}

/// Install `requirements` (a requirements.txt) for the guest into
/// `<site_root>/<key>`, unless already there; the directory.
pub(crate) fn install_requirements(
    requirements: &Path,
    site_root: &Path,
    opts: &BuildOptions,
) -> Result<PathBuf, BuildError> {
    let text = fs::read(requirements).map_err(|source| BuildError::ReadMetadata {
        path: requirements.to_path_buf(),
        source,
    })?;
    cached_dir(site_root, &requirements_key(&text), |tmp| {
        let report = tmp.with_extension("report.json");
        let native_cache = site_root.parent().unwrap_or(site_root);
        // Requirements with no wheel for the guest, built from source and
        // offered to pip as pure wheels: pip names one at a time.
        let mut built: Vec<(String, PathBuf)> = Vec::new();
        let report_json = loop {
            let mut cmd = pip(&python());
            cmd.arg("--target")
                .arg(tmp)
                .args([
                    "--only-binary=:all:",
                    "--no-compile",
                    "--implementation",
                    "cp",
                ])
                .args(["--python-version", GUEST_PYTHON]);
            for p in PLATFORMS {
                cmd.args(["--platform", p]);
            }
            for (_, wheels) in &built {
                cmd.arg("--find-links").arg(wheels);
            }
            cmd.arg("--report").arg(&report).arg("-r").arg(requirements);
            let out = run(&mut cmd, "installing the charm's requirements")?;
            let report_json = fs::read_to_string(&report).unwrap_or_default();
            let _ = fs::remove_file(&report);
            if out.status.success() {
                break report_json;
            }
            let Some((name, version)) = sdist_wheel::missing_pin(&out.stderr) else {
                return Err(pip_failure(&out.stderr));
            };
            if built.iter().any(|(n, _)| *n == name) || built.len() >= sdist_wheel::MAX_BUILT {
                return Err(pip_failure(&out.stderr));
            }
            opts.say(&format!(
                "{:>12} {name} {version} from its source distribution (no wheel for CPython \
                 {GUEST_PYTHON})",
                "Building"
            ));
            let wheels = sdist_wheel::wheel_from_sdist(&name, &version, native_cache, opts)?;
            built.push((name, wheels));
        };
        let deps = Dependencies::from_report(&report_json);
        check_native(tmp, &deps, native_cache, opts)
    })
}

/// Install `requirements` for the host's own interpreter (a native charm's
/// dependencies, as charmcraft puts them in the charm's `venv/`) into
/// `<site_root>/<key>`, unless already there; the directory.
pub(crate) fn install_for_host(
    requirements: &Path,
    site_root: &Path,
) -> Result<PathBuf, BuildError> {
    let text = fs::read(requirements).map_err(|source| BuildError::ReadMetadata {
        path: requirements.to_path_buf(),
        source,
    })?;
    let interpreter = python();
    let version = run(
        Command::new(&interpreter).args(["-c", "import sys; print(sys.version)"]),
        "asking the host's python3 for its version",
    )?;
    let mut h = Sha256::new();
    h.update(&text);
    h.update(b"host\0");
    h.update(&version.stdout);
    cached_dir(site_root, &key_of(h), |tmp| {
        let mut cmd = pip(&interpreter);
        cmd.arg("--target").arg(tmp).arg("-r").arg(requirements);
        let out = run(&mut cmd, "installing the native charm's requirements")?;
        if !out.status.success() {
            return Err(pip_failure(&out.stderr));
        }
        Ok(())
    })
}

/// The error of a failed pip run: a named requirement when pip says which.
fn pip_failure(stderr: &[u8]) -> BuildError {
    let text = String::from_utf8_lossy(stderr);
    let missing = text.lines().find_map(|l| {
        l.split("No matching distribution found for ")
            .nth(1)
            .map(|r| r.trim().to_string())
    });
    match missing {
        Some(req) => BuildError::PythonRequirement {
            package: req,
            reason: format!(
                "no wheel for CPython {GUEST_PYTHON} on the package index (only a source \
                 distribution, or builds for other Pythons or platforms): charmbox builds \
                 a source distribution into a wheel only for an exact pin (`name==version`, \
                 as uv.lock and pip-compile give)"
            ),
        },
        None => BuildError::PipFailed(tail(stderr, 15)),
    }
}

/// Lowercase, `-` for runs of `-_.` (PEP 503).
pub(crate) fn normalize(name: &str) -> String {
    let mut out = String::new();
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Who requires whom, from pip's installation report.
#[derive(Debug, Default)]
pub(crate) struct Dependencies {
    requested: Vec<String>,
    requires: BTreeMap<String, Vec<String>>,
}

impl Dependencies {
    pub(crate) fn from_report(json: &str) -> Dependencies {
        let mut deps = Dependencies::default();
        let Ok(v) = serde_json::from_str::<serde_json::Value>(json) else {
            return deps;
        };
        for item in v["install"].as_array().into_iter().flatten() {
            let Some(name) = item["metadata"]["name"].as_str().map(normalize) else {
                continue;
            };
            if item["requested"].as_bool() == Some(true) {
                deps.requested.push(name.clone());
            }
            let reqs = item["metadata"]["requires_dist"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r.as_str())
                .map(|r| {
                    let end = r
                        .find(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
                        .unwrap_or(r.len());
                    normalize(&r[..end])
                })
                .collect();
            deps.requires.insert(name, reqs);
        }
        deps
    }

    /// The chain from a requested distribution down to `name`
    /// (`["pydantic", "pydantic-core"]`), shortest first.
    pub(crate) fn chain_to(&self, name: &str) -> Vec<String> {
        let mut queue: VecDeque<Vec<String>> =
            self.requested.iter().map(|r| vec![r.clone()]).collect();
        let mut seen: Vec<String> = Vec::new();
        while let Some(path) = queue.pop_front() {
            let last = path.last().expect("paths are never empty");
            if last == name {
                return path;
            }
            if seen.contains(last) {
                continue;
            }
            seen.push(last.clone());
            for next in self.requires.get(last).into_iter().flatten() {
                let mut p = path.clone();
                p.push(next.clone());
                queue.push_back(p);
            }
        }
        vec![name.to_string()]
    }
}

fn is_native(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.ends_with(".so")
        || file.contains(".so.")
        || file.ends_with(".pyd")
        || file.ends_with(".dylib")
}

/// Refuse distributions with native code, except [`OPTIONAL_NATIVE`] ones,
/// whose native files are removed, and those charmbox builds for WASI
/// (`native::buildable`), whose native file is replaced by the WASI build
/// kept under `cache`.
fn check_native(
    site: &Path,
    deps: &Dependencies,
    cache: &Path,
    opts: &BuildOptions,
) -> Result<(), BuildError> {
    let Ok(entries) = fs::read_dir(site) else {
        return Ok(());
    };
    let mut infos: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "dist-info"))
        .collect();
    infos.sort();
    for info in infos {
        let name = dist_name(&info);
        let record = fs::read_to_string(info.join("RECORD")).unwrap_or_default();
        let native: Vec<&str> = record
            .lines()
            .filter_map(|l| l.split(',').next())
            .filter(|p| is_native(p))
            .collect();
        if native.is_empty() {
            continue;
        }
        if OPTIONAL_NATIVE.contains(&name.as_str()) {
            for f in &native {
                let _ = fs::remove_file(site.join(f));
            }
            continue;
        }
        if super::native::buildable(&name) {
            let version = dist_version(&info);
            super::native::replace(site, &name, &version, &native, cache, opts)?;
            continue;
        }
        let chain = deps.chain_to(&name);
        let via = if chain.len() > 1 {
            format!(" (required by {})", chain[..chain.len() - 1].join(" -> "))
        } else {
            String::new()
        };
        return Err(BuildError::PythonRequirement {
            package: format!("{name}{via}"),
            reason: format!(
                "it has native code ({}), which cannot run in a WebAssembly component: \
                 charmbox runs pure-Python packages only",
                native.join(", ")
            ),
        });
    }
    Ok(())
}

/// The `Version:` of a dist-info's METADATA ("" when missing).
fn dist_version(info: &Path) -> String {
    fs::read_to_string(info.join("METADATA"))
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("Version:").map(|v| v.trim().to_string()))
        })
        .unwrap_or_default()
}

/// The normalized `Name:` of a dist-info's METADATA, else its directory name.
fn dist_name(info: &Path) -> String {
    let from_metadata = fs::read_to_string(info.join("METADATA"))
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("Name:").map(|n| n.trim().to_string()))
        });
    let name = from_metadata.unwrap_or_else(|| {
        let stem = info.file_stem().unwrap_or_default().to_string_lossy();
        stem.split('-').next().unwrap_or_default().to_string()
    });
    normalize(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalized_as_pep_503_says() {
        assert_eq!(normalize("PyYAML"), "pyyaml");
        assert_eq!(normalize("pydantic_core"), "pydantic-core");
        assert_eq!(normalize("zope.interface"), "zope-interface");
        assert_eq!(normalize("a__-b"), "a-b");
    }

    #[test]
    fn native_files_are_recognised() {
        assert!(is_native("yaml/_yaml.cpython-314-x86_64-linux-gnu.so"));
        assert!(is_native("x/libfoo.so.1"));
        assert!(is_native("x/y.abi3.so"));
        assert!(!is_native("ops/model.py"));
        assert!(!is_native("solution/so.py"));
    }

    const REPORT: &str = r#"{"install": [
        {"requested": true, "metadata": {"name": "my-charm-deps", "requires_dist": ["pydantic>=2; python_version >= '3.8'"]}},
        {"requested": false, "metadata": {"name": "pydantic", "requires_dist": ["pydantic-core==2.41.5", "orjson>=0.5", "typing_extensions[x]>=4"]}},
        {"requested": false, "metadata": {"name": "pydantic_core"}},
        {"requested": false, "metadata": {"name": "orjson"}}
    ]}"#;

    #[test]
    fn the_report_says_who_pulled_a_package_in() {
        let deps = Dependencies::from_report(REPORT);
        assert_eq!(
            deps.chain_to("pydantic-core"),
            ["my-charm-deps", "pydantic", "pydantic-core"]
        );
        assert_eq!(deps.chain_to("other"), ["other"]);
        assert!(Dependencies::from_report("not json").requested.is_empty());
    }

    fn site_with(dist: &str, files: &[&str]) -> PathBuf {
        let site = std::env::temp_dir().join(format!(
            "charmbox-pip-{dist}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = fs::remove_dir_all(&site);
        let info = site.join(format!("{dist}-1.0.dist-info"));
        fs::create_dir_all(&info).unwrap();
        fs::write(
            info.join("METADATA"),
            format!("Metadata-Version: 2.1\nName: {dist}\n"),
        )
        .unwrap();
        let mut record = String::new();
        for f in files {
            let p = site.join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, "x").unwrap();
            record.push_str(&format!("{f},sha256=x,1\n"));
        }
        fs::write(info.join("RECORD"), record).unwrap();
        site
    }

    #[test]
    fn native_code_is_refused_with_the_package_named() {
        let site = site_with(
            "orjson",
            &[
                "orjson/__init__.py",
                "orjson/orjson.cpython-314-x86_64-linux-gnu.so",
            ],
        );
        let err = check_native(
            &site,
            &Dependencies::from_report(REPORT),
            &site,
            &BuildOptions::default(),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("orjson (required by my-charm-deps -> pydantic)"),
            "{text}"
        );
        assert!(
            text.contains("orjson/orjson.cpython-314-x86_64-linux-gnu.so"),
            "{text}"
        );
        assert!(text.contains("pure-Python"), "{text}");
        fs::remove_dir_all(&site).unwrap();
    }

    #[test]
    fn optional_accelerators_are_dropped_and_pure_packages_kept() {
        let so = "yaml/_yaml.cpython-314-x86_64-linux-gnu.so";
        let site = site_with("PyYAML", &["yaml/__init__.py", so]);
        check_native(
            &site,
            &Dependencies::default(),
            &site,
            &BuildOptions::default(),
        )
        .unwrap();
        assert!(!site.join(so).exists());
        assert!(site.join("yaml/__init__.py").exists());
        fs::remove_dir_all(&site).unwrap();
    }

    #[test]
    fn pip_naming_a_missing_wheel_becomes_a_requirement_error() {
        let err = pip_failure(b"ERROR: Could not find a version that satisfies the requirement numpy-only-sdist (from versions: none)\nERROR: No matching distribution found for numpy-only-sdist\n");
        assert!(
            matches!(&err, BuildError::PythonRequirement { package, .. } if package == "numpy-only-sdist"),
            "{err}"
        );
        assert!(matches!(
            pip_failure(b"ERROR: boom\n"),
            BuildError::PipFailed(_)
        ));
    }
}
