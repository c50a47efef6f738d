//! Where a Python charm's dependencies come from, read as charmcraft's
//! plugins read charmcraft.yaml's `parts`: the `charm` plugin
//! (`charm-requirements`, default requirements.txt; `charm-python-packages`,
//! `charm-binary-python-packages`), the `python` plugin
//! (`python-requirements`, `python-packages`) and the `uv` plugin
//! (`pyproject.toml` + `uv.lock`, exported at its locked versions with uv,
//! `uv-groups` and `uv-extras` honoured). Without parts, requirements.txt,
//! else a uv project. Any other plugin is refused by name. The result is one
//! requirements text, which pip installs for the guest.

use std::fs;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use super::PythonCharm;
use super::pip;
use crate::build::BuildError;

/// The uv release that exports uv.lock files (installed with pip).
pub const UV: &str = "0.13.9";

/// The largest requirements file read.
const MAX_REQUIREMENTS_BYTES: u64 = 1 << 20;

/// Plugins whose parts only copy files (nothing to install).
const FILE_PLUGINS: [&str; 2] = ["nil", "dump"];

#[derive(Deserialize, Default)]
struct Charmcraft {
    #[serde(default)]
    parts: serde_norway::Mapping,
}

/// One part, with the keys the Python plugins read.
#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct Part {
    plugin: Option<String>,
    #[serde(default)]
    charm_requirements: Option<Vec<String>>,
    #[serde(default)]
    charm_python_packages: Vec<String>,
    #[serde(default)]
    charm_binary_python_packages: Vec<String>,
    #[serde(default)]
    python_requirements: Vec<String>,
    #[serde(default)]
    python_packages: Vec<String>,
    #[serde(default)]
    uv_groups: Vec<String>,
    #[serde(default)]
    uv_extras: Vec<String>,
}

/// The dependencies a charm declares.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Declared {
    /// Requirement files, relative to the charm directory.
    pub files: Vec<String>,
    /// Requirement lines (packages given in charmcraft.yaml).
    pub packages: Vec<String>,
    /// A uv project to export: its groups and extras.
    pub uv: Option<(Vec<String>, Vec<String>)>,
}

fn inside(rel: &str) -> bool {
    !rel.is_empty()
        && Path::new(rel)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// What charmcraft.yaml's parts (or, without parts, the files present)
/// declare.
pub(crate) fn declared(charm: &PythonCharm) -> Result<Declared, BuildError> {
    let path = charm.dir.join("charmcraft.yaml");
    let yaml: Charmcraft = match crate::yaml::read_file(&path) {
        Ok(text) => crate::yaml::from_str(&text)
            .map_err(|e| BuildError::PythonSetup(format!("{}: {e}", path.display())))?,
        Err(_) => Charmcraft::default(),
    };
    let mut out = Declared::default();
    for (name, part) in &yaml.parts {
        let name = name.as_str().unwrap_or("?").to_string();
        let part: Part = serde_norway::from_value(part.clone())
            .map_err(|e| BuildError::PythonSetup(format!("charmcraft.yaml: part {name:?}: {e}")))?;
        match part.plugin.as_deref() {
            Some("charm") | None if name == "charm" || part.plugin.is_some() => {
                let files = part.charm_requirements.unwrap_or_else(|| {
                    if charm.requirements().is_file() {
                        vec!["requirements.txt".into()]
                    } else {
                        Vec::new()
                    }
                });
                out.files.extend(files);
                out.packages.extend(part.charm_python_packages);
                out.packages.extend(part.charm_binary_python_packages);
            }
            Some("python") => {
                out.files.extend(part.python_requirements);
                out.packages.extend(part.python_packages);
            }
            Some("uv") => out.uv = Some((part.uv_groups, part.uv_extras)),
            Some(p) if FILE_PLUGINS.contains(&p) => {}
            None => {}
            Some(other) => {
                return Err(BuildError::UnsupportedPlugin {
                    part: name,
                    plugin: other.to_string(),
                });
            }
        }
    }
    if yaml.parts.is_empty() {
        if charm.requirements().is_file() {
            out.files.push("requirements.txt".into());
        } else if charm.dir.join("uv.lock").is_file() {
            out.uv = Some(Default::default());
        }
    }
    if let Some(bad) = out.files.iter().find(|f| !inside(f)) {
        return Err(BuildError::PythonSetup(format!(
            "charmcraft.yaml: requirements file {bad:?} is not inside the charm directory"
        )));
    }
    if out.files.is_empty() && out.packages.is_empty() && out.uv.is_none() {
        return Err(BuildError::NoRequirements {
            dir: charm.dir.clone(),
        });
    }
    Ok(out)
}

/// The requirements text of `declared`: its files, its packages, and the
/// uv project exported at its locked versions (uv installed under `tools`).
pub(crate) fn requirements_text(
    charm: &PythonCharm,
    declared: &Declared,
    tools: &Path,
) -> Result<String, BuildError> {
    let mut text = String::new();
    for f in &declared.files {
        let path = charm.dir.join(f);
        let bytes = read_bounded(&path)?;
        text.push_str(&String::from_utf8_lossy(&bytes));
        text.push('\n');
    }
    for p in &declared.packages {
        text.push_str(p);
        text.push('\n');
    }
    if let Some((groups, extras)) = &declared.uv {
        text.push_str(&uv_export(charm, groups, extras, tools)?);
    }
    Ok(text)
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, BuildError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    fs::File::open(path)
        .and_then(|f| f.take(MAX_REQUIREMENTS_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|source| BuildError::ReadMetadata {
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > MAX_REQUIREMENTS_BYTES {
        return Err(BuildError::PythonSetup(format!(
            "{} is larger than {MAX_REQUIREMENTS_BYTES} bytes",
            path.display()
        )));
    }
    Ok(bytes)
}

/// uv, installed with pip under `tools` when missing; its binary.
pub(crate) fn uv(tools: &Path) -> Result<PathBuf, BuildError> {
    Ok(pip::install_tool(tools, "uv", UV)?.join("bin").join("uv"))
}

/// `uv export` of the charm's locked dependencies (no dev group, no hashes,
/// not the project itself) as requirements lines.
fn uv_export(
    charm: &PythonCharm,
    groups: &[String],
    extras: &[String],
    tools: &Path,
) -> Result<String, BuildError> {
    for needed in ["pyproject.toml", "uv.lock"] {
        if !charm.dir.join(needed).is_file() {
            return Err(BuildError::PythonSetup(format!(
                "{}: the uv plugin needs {needed} (run `uv lock` in the charm directory)",
                charm.dir.display()
            )));
        }
    }
    let uv = uv(tools)?;
    let mut cmd = std::process::Command::new(&uv);
    cmd.args([
        "export",
        "--frozen",
        "--no-hashes",
        "--no-dev",
        "--no-emit-project",
    ])
    .args(["--no-header", "--format", "requirements-txt", "--quiet"])
    .current_dir(&charm.dir)
    .env("UV_NO_CONFIG", "1")
    .env("UV_OFFLINE", "1")
    .stdin(std::process::Stdio::null());
    for g in groups {
        cmd.arg("--group").arg(g);
    }
    for e in extras {
        cmd.arg("--extra").arg(e);
    }
    let out = pip::run(&mut cmd, "exporting uv.lock")?;
    if !out.status.success() {
        return Err(BuildError::PythonSetup(format!(
            "`uv export` of {} failed:\n{}",
            charm.dir.join("uv.lock").display(),
            pip::tail(&out.stderr, 15)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
#[path = "deps_tests.rs"]
mod tests;
