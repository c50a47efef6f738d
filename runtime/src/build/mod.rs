//! Building charms into components: read the charm's `charmcraft.yaml`,
//! compile its Rust crate for `wasm32-unknown-unknown`, and wrap the core
//! module into a `juju:charm` component next to the charm (`<name>.wasm`).
//!
//! The guest toolchain is installed on demand ([`toolchain`]); cargo does
//! the incremental work; [`component`] checks and encodes the module.
//! A Python charm (`src/charm.py` with ops, no Cargo.toml) is built by
//! [`python`] with componentize-py instead.
//!
//! Building needs the `compiler` feature: without it (the packed host,
//! which only loads precompiled components) [`build_charm`] and its
//! `wit-component` and C-bindings steps are left out, with their crates.
//! The rest stays for the types and helpers other modules name, so
//! what only the builder used is allowed to go unused there.
#![cfg_attr(not(feature = "compiler"), allow(dead_code, unused_imports))]

pub(crate) mod c;
mod cargo;
#[cfg(feature = "compiler")]
mod component;
mod js;
pub(crate) mod progress;
mod python;
mod sources;
pub(crate) use python::install_for_host;
mod toolchain;

pub use c::CBuildError;
pub use js::JsBuildError;
pub use python::COMPONENTIZE_PY;

use sha2::Digest;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Deserialize;

/// How to build a charm.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Build with cargo's release profile (the default). A debug build is
    /// much slower to run.
    pub release: bool,
    /// Ask cargo for less output (`--quiet`).
    pub quiet: bool,
    /// Where progress lines go (cargo's own output, the steps of a Python
    /// build, the component written); none: nowhere. Whatever is shown, a
    /// failed build's error keeps the tail of cargo's output.
    pub progress: Option<fn(&str)>,
}

impl BuildOptions {
    /// Tell `line` to the progress sink, if any.
    pub(crate) fn say(&self, line: &str) {
        if let Some(p) = self.progress {
            p(line);
        }
    }
}

impl Default for BuildOptions {
    /// A release build, its progress told nowhere.
    fn default() -> Self {
        BuildOptions {
            release: true,
            quiet: false,
            progress: None,
        }
    }
}

/// A built charm.
#[derive(Debug, Clone)]
pub struct BuildOutput {
    /// The component: `<charm dir>/<charm name>.wasm`.
    pub component: PathBuf,
    /// The charm's name from `charmcraft.yaml`.
    pub charm_name: String,
}

/// Why a charm could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The directory has no `charmcraft.yaml`.
    #[error("{} has no charmcraft.yaml: is it a charm directory?", .dir.display())]
    NoCharmcraft {
        /// The charm directory.
        dir: PathBuf,
    },
    /// A metadata file could not be read.
    #[error("cannot read {}: {source}", .path.display())]
    ReadMetadata {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// A metadata file is not valid YAML of the expected shape.
    #[error("malformed {}: {source}", .path.display())]
    MalformedMetadata {
        /// The file.
        path: PathBuf,
        /// The YAML error (or the limit it broke).
        source: crate::yaml::YamlError,
    },
    /// `charmcraft.yaml` describes something other than a charm.
    #[error("{} has type {kind:?}: only charms can be built", .path.display())]
    NotACharm {
        /// The file.
        path: PathBuf,
        /// Its `type`.
        kind: String,
    },
    /// Neither `charmcraft.yaml` nor `metadata.yaml` names the charm.
    #[error("{} has no `name` (and there is no metadata.yaml with one)", .path.display())]
    MissingName {
        /// The charmcraft.yaml.
        path: PathBuf,
    },
    /// The name is not a valid Juju charm name.
    #[error(
        "invalid charm name {name:?}: use lowercase letters, digits and single hyphens, \
         starting with a letter, each part having a letter"
    )]
    InvalidName {
        /// The name.
        name: String,
    },
    /// The charm is neither a Rust crate nor a Python charm.
    #[error(
        "{} has no Cargo.toml (a Rust charm), src/charm.c (C), src/charm.js (JavaScript) or src/charm.py (Python): nothing to build",
        .dir.display()
    )]
    NoCargoToml {
        /// The charm directory.
        dir: PathBuf,
    },
    /// A Python charm without requirements.txt (ops comes from there).
    #[error(
        "{} declares no dependencies: a Python charm lists them, ops included (e.g. `ops==3.9.0`), in requirements.txt, in charmcraft.yaml's charm or python part, or in pyproject.toml with uv.lock (the uv plugin)",
        .dir.display()
    )]
    NoRequirements {
        /// The charm directory.
        dir: PathBuf,
    },
    /// Charm libraries the charm declares (charm-libs) or imports are not
    /// in its `lib/` nor in its requirements.
    #[error(
        "{}: charm libraries missing from lib/: {}; `charmcraft fetch-libs` in the charm \
         directory fetches those charmcraft.yaml's charm-libs declares",
        .dir.display(), .libs.join("; ")
    )]
    MissingCharmLibs {
        /// The charm directory.
        dir: PathBuf,
        /// Each missing library, with its path and how it is wanted.
        libs: Vec<String>,
    },
    /// A part of charmcraft.yaml uses a plugin charmbox cannot build.
    #[error(
        "charmcraft.yaml: part {part:?} uses the {plugin:?} plugin, which charmbox cannot \
         build; it builds the charm, python and uv plugins (requirements files, packages, \
         or pyproject.toml with uv.lock)"
    )]
    UnsupportedPlugin {
        /// The part's name.
        part: String,
        /// Its plugin.
        plugin: String,
    },
    /// python3, pip or componentize-py could not be set up or run.
    /// A C charm did not build.
    #[error(transparent)]
    C(#[from] c::CBuildError),
    /// A JavaScript charm did not build.
    #[error(transparent)]
    Js(#[from] js::JsBuildError),
    #[error("cannot build a Python charm: {0}")]
    PythonSetup(String),
    /// A requirement of a Python charm cannot run in a component.
    #[error("requirement {package}: {reason}")]
    PythonRequirement {
        /// The distribution (and what pulled it in).
        package: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// pip failed for another reason.
    #[error("pip could not install the charm's requirements:\n{0}")]
    PipFailed(String),
    /// componentize-py failed: the charm (or a module it imports) failed at
    /// build time, when everything is imported.
    #[error("componentize-py could not build {}:\n{output}", .charm.display())]
    Componentize {
        /// The charm directory.
        charm: PathBuf,
        /// The end of componentize-py's output (a Python traceback).
        output: String,
    },
    /// The guest toolchain could not be installed.
    #[error("cannot install the wasm32-unknown-unknown toolchain: {0}")]
    ToolchainInstall(String),
    /// cargo could not be started.
    #[error("cannot run {program}: {source}")]
    CargoSpawn {
        /// The cargo binary.
        program: String,
        /// The I/O error.
        source: io::Error,
    },
    /// cargo ran and failed.
    #[error("cargo build failed ({status}):\n{stderr_tail}")]
    CargoFailed {
        /// cargo's exit status.
        status: String,
        /// The last lines cargo wrote to stderr.
        stderr_tail: String,
    },
    /// cargo succeeded but produced no wasm cdylib for the crate.
    #[error(
        "cargo built no wasm module for the crate in {}: set `[lib] crate-type = [\"cdylib\"]` in its Cargo.toml",
        .dir.display()
    )]
    NoArtifact {
        /// The charm directory.
        dir: PathBuf,
    },
    /// The core module could not be read.
    #[error("cannot read the core module {}: {source}", .path.display())]
    ReadModule {
        /// The module.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The file cargo produced is not a core wasm module.
    #[error("{} is not a core WebAssembly module: {reason}", .path.display())]
    NotAModule {
        /// The module.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The core module carries no WIT world (no `component-type` section).
    #[error(
        "{} carries no WIT world: the crate must depend on charmbox-sdk (or generate \
         juju:charm bindings with wit-bindgen)",
        .path.display()
    )]
    NoWorld {
        /// The module.
        path: PathBuf,
    },
    /// The core module does not export the `juju:charm/handler` interface.
    #[error(
        "{} does not export the charm world's `{export}`: call \
         `charmbox_sdk::export_charm!(YourCharm);` at the crate root",
        .path.display()
    )]
    MissingExport {
        /// The module.
        path: PathBuf,
        /// The core export that is missing.
        export: String,
    },
    /// wit-component could not turn the module into a component.
    #[error("wit-component encoding of {} failed: {message}", .path.display())]
    Encode {
        /// The module.
        path: PathBuf,
        /// wit-component's error chain.
        message: String,
    },
    /// The encoded component does not have the `juju:charm` shape.
    #[error("the component does not fit the juju:charm world: {0}")]
    WrongWorld(String),
    /// The component could not be written.
    #[error("cannot write {}: {source}", .path.display())]
    WriteOutput {
        /// The output file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
}

/// The part of `charmcraft.yaml` (or `metadata.yaml`) the build needs.
#[derive(Debug, Deserialize)]
struct CharmcraftHead {
    name: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// Build the charm in `charm_dir` (a Rust crate, or a Python ops charm)
/// into `<charm_dir>/<name>.wasm`.
#[cfg(feature = "compiler")]
pub fn build_charm(charm_dir: &Path, opts: &BuildOptions) -> Result<BuildOutput, BuildError> {
    let charm_name = read_charm_name(charm_dir)?;
    // cargo runs inside the charm dir: relative paths must not be resolved twice.
    let absolute = std::path::absolute(charm_dir).unwrap_or_else(|_| charm_dir.to_path_buf());
    let charm_dir = absolute.as_path();
    let bytes = if charm_dir.join("Cargo.toml").is_file() {
        build_rust(charm_dir, opts)?
    } else if c::detect(charm_dir) {
        let cache = python_cache_dir(charm_dir).with_file_name("c");
        let (module, bytes) = c::build(charm_dir, &cache, opts)?;
        component::encode(&module, &bytes)?
    } else if js::detect(charm_dir) {
        let cache = python_cache_dir(charm_dir).with_file_name("js");
        let bytes = js::build(charm_dir, &cache, opts)?;
        exports_handler(bytes)?
    } else if let Some(py) = python::PythonCharm::detect(charm_dir) {
        let bytes = python::build(&py, &charm_name, &python_cache_dir(charm_dir), opts)?;
        exports_handler(bytes)?
    } else {
        return Err(BuildError::NoCargoToml {
            dir: charm_dir.to_path_buf(),
        });
    };
    let component = charm_dir.join(format!("{charm_name}.wasm"));
    if fs::read(&component).ok().as_deref() == Some(&bytes[..]) {
        tracing::debug!(component = %component.display(), "component unchanged");
    } else {
        write_atomically(&component, &bytes)?;
        opts.say(&format!(
            "{:>12} {} ({} bytes)",
            "Component",
            component.display(),
            bytes.len()
        ));
    }
    Ok(BuildOutput {
        component,
        charm_name,
    })
}

/// `bytes` (a component made by another tool) when it exports the handler.
#[cfg(feature = "compiler")]
fn exports_handler(bytes: Vec<u8>) -> Result<Vec<u8>, BuildError> {
    let world = component::world_of(&bytes)?;
    if !world.exports.iter().any(|e| e == component::HANDLER) {
        return Err(BuildError::WrongWorld(format!(
            "it exports {:?}, not {}",
            world.exports,
            component::HANDLER
        )));
    }
    Ok(bytes)
}

/// The host interpreter for Python tooling: `$CHARMBOX_PYTHON`, else `python3`.
pub fn host_python() -> String {
    python::host_python()
}

/// Where Python builds are cached: `<charmbox workspace>/target/python` for
/// charms inside this repository, else the user's charmbox cache
/// (`~/.cache/charmbox/python`, see [`crate::engine::default_cache_dir`]),
/// shared by every charm: componentize-py, uv and each distinct set of
/// requirements are installed once, content-addressed; only without a home
/// directory the charm's own `target/python`.
pub fn python_cache_dir(charm_dir: &Path) -> PathBuf {
    match workspace_root(charm_dir) {
        Some(root) => root.join("target").join("python"),
        None => crate::engine::default_cache_dir()
            .map(|d| d.join("python"))
            .unwrap_or_else(|| charm_dir.join("target").join("python")),
    }
}

/// Compile the Rust crate in `charm_dir` and encode it; the component's bytes.
#[cfg(feature = "compiler")]
fn build_rust(charm_dir: &Path, opts: &BuildOptions) -> Result<Vec<u8>, BuildError> {
    let toolchain = toolchain::ensure(charm_dir)?;
    let target_dir = guest_target_dir(charm_dir);
    // Charms share one guest target dir, where two crates of the same name
    // (a charm and a changed copy of it) uplift to the same core-module path:
    // build, read and encode as one step per process.
    static BUILDING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    let core = cargo::build(charm_dir, &target_dir, &toolchain, opts)?;
    let module = fs::read(&core).map_err(|source| BuildError::ReadModule {
        path: core.clone(),
        source,
    })?;
    component::encode(&core, &module)
}

/// The charm's name: charmcraft.yaml `name`, else metadata.yaml `name`.
fn read_charm_name(charm_dir: &Path) -> Result<String, BuildError> {
    let path = charm_dir.join("charmcraft.yaml");
    if !path.is_file() {
        return Err(BuildError::NoCharmcraft {
            dir: charm_dir.to_path_buf(),
        });
    }
    let head = read_head(&path)?;
    if let Some(kind) = head.kind
        && kind != "charm"
    {
        return Err(BuildError::NotACharm { path, kind });
    }
    let name = match head.name {
        Some(name) => name,
        None => {
            let legacy = charm_dir.join("metadata.yaml");
            let legacy_name = if legacy.is_file() {
                read_head(&legacy)?.name
            } else {
                None
            };
            legacy_name.ok_or(BuildError::MissingName { path })?
        }
    };
    validate_charm_name(&name)?;
    Ok(name)
}

fn read_head(path: &Path) -> Result<CharmcraftHead, BuildError> {
    let malformed = |source| BuildError::MalformedMetadata {
        path: path.to_path_buf(),
        source,
    };
    let text = crate::yaml::read_file(path).map_err(|e| match e {
        crate::yaml::YamlError::Io(source) => BuildError::ReadMetadata {
            path: path.to_path_buf(),
            source,
        },
        limit => malformed(limit),
    })?;
    parse_head(&text).map_err(malformed)
}

fn parse_head(text: &str) -> Result<CharmcraftHead, crate::yaml::YamlError> {
    crate::yaml::from_str(text)
}

/// Juju's rule for charm names: `^[a-z][a-z0-9]*(-[a-z0-9]*[a-z][a-z0-9]*)*$`.
/// It also keeps the name safe as a file name.
fn validate_charm_name(name: &str) -> Result<(), BuildError> {
    let invalid = || BuildError::InvalidName {
        name: name.to_string(),
    };
    let mut parts = name.split('-');
    let first = parts.next().unwrap_or_default();
    if !first.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(invalid());
    }
    let part_ok = |p: &str| {
        p.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    if !part_ok(first) {
        return Err(invalid());
    }
    for part in parts {
        if !part_ok(part) || !part.chars().any(|c| c.is_ascii_lowercase()) {
            return Err(invalid());
        }
    }
    Ok(())
}

/// Where guest builds go: `<charmbox workspace>/target/guest` for charms
/// inside this repository (shared, so guest dependencies are compiled
/// once), else the charm's own `target/`.
fn guest_target_dir(charm_dir: &Path) -> PathBuf {
    let Some(root) = workspace_root(charm_dir) else {
        return charm_dir.join("target");
    };
    let shared = root.join("target").join("guest");
    // cargo names a cdylib's output after the crate alone, and trusts its
    // fingerprints over the file: two crates of one name (a charm and a
    // changed copy of it) sharing a target dir would hand each other's
    // module out. The first charm dir to claim a crate name keeps the shared
    // dir; another one gets a dir of its own.
    let Some(krate) = package_name(charm_dir) else {
        return shared;
    };
    let me = charm_dir
        .canonicalize()
        .unwrap_or_else(|_| charm_dir.to_path_buf())
        .display()
        .to_string();
    let owners = shared.join(".owners");
    let claim = owners.join(&krate);
    match fs::read_to_string(&claim) {
        Ok(owner) if owner == me => shared,
        Ok(_) => {
            let tag: String = sha2::Sha256::digest(me.as_bytes())[..6]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            root.join("target")
                .join("guest-copies")
                .join(format!("{krate}-{tag}"))
        }
        Err(_) => {
            let _ = fs::create_dir_all(&owners).and_then(|()| fs::write(&claim, &me));
            shared
        }
    }
}

/// The `[package]` name in the charm's Cargo.toml.
fn package_name(charm_dir: &Path) -> Option<String> {
    let text = fs::read_to_string(charm_dir.join("Cargo.toml")).ok()?;
    let mut in_package = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package && let Some(rest) = line.strip_prefix("name") {
            let value = rest.trim_start().strip_prefix('=')?.trim();
            return Some(value.trim_matches('"').to_string());
        }
    }
    None
}

/// The charmbox workspace enclosing `charm_dir`: the nearest ancestor with a
/// `Cargo.toml` holding a `[workspace]` table and a `wit/` directory. The
/// charm's own directory is skipped (a charm is its own one-crate workspace).
fn workspace_root(charm_dir: &Path) -> Option<PathBuf> {
    let start = charm_dir.canonicalize().ok()?;
    start
        .ancestors()
        .skip(1)
        .find(|dir| is_charmbox_workspace(dir))
        .map(Path::to_path_buf)
}

fn is_charmbox_workspace(dir: &Path) -> bool {
    if !dir.join("wit").is_dir() {
        return false;
    }
    fs::read_to_string(dir.join("Cargo.toml"))
        .map(|text| text.lines().any(|l| l.trim() == "[workspace]"))
        .unwrap_or(false)
}

/// Write `bytes` to `path` through a temporary file and a rename, so a
/// reader never sees half a component. The temporary name is unique per
/// process and call: concurrent builds of one charm each rename a whole file.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), BuildError> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let err = |source| BuildError::WriteOutput {
        path: path.to_path_buf(),
        source,
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_file_name(format!(".{file_name}.{}.{seq}.tmp", std::process::id()));
    fs::write(&tmp, bytes).map_err(err)?;
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        err(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_builds_outside_the_workspace_share_the_user_cache() {
        let inside = workspace_root(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        assert_eq!(
            python_cache_dir(&inside.join("examples/peer-counter-py")),
            inside.join("target/python")
        );
        let outside = std::env::temp_dir().join("some-charm");
        let want = crate::engine::default_cache_dir()
            .map(|d| d.join("python"))
            .unwrap_or_else(|| outside.join("target/python"));
        assert_eq!(python_cache_dir(&outside), want);
        assert!(
            !python_cache_dir(&outside).starts_with(&outside) || std::env::var_os("HOME").is_none()
        );
    }

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "charmbox-build-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn name_and_type_are_read_and_the_rest_ignored() {
        let head = parse_head(
            "name: peer-counter\ntype: charm\npeers:\n  fastapi-peer:\n    interface: x\n",
        )
        .unwrap();
        assert_eq!(head.name.as_deref(), Some("peer-counter"));
        assert_eq!(head.kind.as_deref(), Some("charm"));
    }

    #[test]
    fn malformed_yaml_names_the_serde_error() {
        let dir = temp_dir("malformed");
        fs::write(dir.join("charmcraft.yaml"), "name: [unclosed\n").unwrap();
        let err = read_charm_name(&dir).unwrap_err();
        assert!(matches!(err, BuildError::MalformedMetadata { .. }), "{err}");
        assert!(err.to_string().starts_with("malformed "), "{err}");

        fs::write(dir.join("charmcraft.yaml"), "- a\n- list\n").unwrap();
        assert!(matches!(
            read_charm_name(&dir).unwrap_err(),
            BuildError::MalformedMetadata { .. }
        ));

        fs::write(dir.join("charmcraft.yaml"), "name: {first: a}\n").unwrap();
        let err = read_charm_name(&dir).unwrap_err();
        assert!(matches!(err, BuildError::MalformedMetadata { .. }), "{err}");

        // A scalar that is not a valid name is read, then refused as a name.
        fs::write(dir.join("charmcraft.yaml"), "name: 42\n").unwrap();
        let err = read_charm_name(&dir).unwrap_err();
        assert!(matches!(err, BuildError::InvalidName { .. }), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_charmcraft_and_missing_name_are_reported() {
        let dir = temp_dir("missing");
        let err = read_charm_name(&dir).unwrap_err();
        assert!(matches!(err, BuildError::NoCharmcraft { .. }));
        assert!(err.to_string().contains("has no charmcraft.yaml"), "{err}");

        fs::write(dir.join("charmcraft.yaml"), "type: charm\n").unwrap();
        let err = read_charm_name(&dir).unwrap_err();
        assert!(matches!(err, BuildError::MissingName { .. }), "{err}");

        fs::write(dir.join("metadata.yaml"), "name: legacy-charm\n").unwrap();
        assert_eq!(read_charm_name(&dir).unwrap(), "legacy-charm");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bundles_and_bad_names_are_refused() {
        let dir = temp_dir("kinds");
        fs::write(dir.join("charmcraft.yaml"), "name: b\ntype: bundle\n").unwrap();
        assert!(matches!(
            read_charm_name(&dir).unwrap_err(),
            BuildError::NotACharm { .. }
        ));
        fs::write(dir.join("charmcraft.yaml"), "name: ../escape\n").unwrap();
        assert!(matches!(
            read_charm_name(&dir).unwrap_err(),
            BuildError::InvalidName { .. }
        ));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn charm_names_follow_juju() {
        for ok in [
            "a",
            "peer-counter",
            "postgresql-k8s",
            "mysql8",
            "a1-b2c",
            "x-1a",
        ] {
            assert!(validate_charm_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "1abc",
            "Peer",
            "peer_counter",
            "peer--counter",
            "peer-",
            "-peer",
            "app-2",
            "a/b",
            "a.b",
            "../x",
            "é",
        ] {
            assert!(validate_charm_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_crate_is_required() {
        let dir = temp_dir("nocrate");
        fs::write(dir.join("charmcraft.yaml"), "name: nocrate\ntype: charm\n").unwrap();
        let err = build_charm(&dir, &BuildOptions::default()).unwrap_err();
        assert!(matches!(err, BuildError::NoCargoToml { .. }), "{err}");
        assert!(err.to_string().contains("has no Cargo.toml"), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn guest_builds_share_the_workspace_target_inside_the_repo() {
        let root = temp_dir("ws");
        fs::create_dir_all(root.join("wit")).unwrap();
        fs::write(root.join("Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
        let charm = root.join("examples").join("c");
        fs::create_dir_all(&charm).unwrap();
        fs::write(
            charm.join("Cargo.toml"),
            "[package]\nname = \"c\"\n[workspace]\n",
        )
        .unwrap();
        let root = root.canonicalize().unwrap();
        assert_eq!(guest_target_dir(&charm), root.join("target").join("guest"));

        // Without the wit/ directory it is some other workspace.
        fs::remove_dir(root.join("wit")).unwrap();
        assert_eq!(guest_target_dir(&charm), charm.join("target"));
        fs::remove_dir_all(&root).unwrap();
    }

    /// Builds the repository's Rust charms for real (cargo, wasm32, encoding).
    /// `cargo test -p charmbox build:: -- --ignored --nocapture`
    #[test]
    #[ignore = "runs cargo builds of the example charms (slow the first time)"]
    fn builds_the_repository_charms_into_components() {
        let root = workspace_root(Path::new(env!("CARGO_MANIFEST_DIR")))
            .expect("run from inside the charmbox repository");
        for (dir, name) in [
            ("examples/peer-counter", "peer-counter"),
            ("tests/charms/misbehave", "misbehave"),
        ] {
            let opts = BuildOptions {
                release: true,
                quiet: true,
                ..Default::default()
            };
            let out = build_charm(&root.join(dir), &opts).unwrap_or_else(|e| panic!("{dir}: {e}"));
            assert_eq!(out.charm_name, name);
            assert_eq!(out.component, root.join(dir).join(format!("{name}.wasm")));
            let bytes = fs::read(&out.component).unwrap();
            let world = component::world_of(&bytes).unwrap();
            assert_eq!(world.exports, [component::HANDLER]);
            for import in ["juju:charm/hook-tools@0.1.0", "juju:charm/sandbox@0.1.0"] {
                assert!(
                    world.imports.iter().any(|i| i == import),
                    "{dir}: {world:?}"
                );
            }
            eprintln!("{name}: {} bytes, imports {:?}", bytes.len(), world.imports);

            // A second build finds everything up to date and keeps the file.
            let before = fs::metadata(&out.component).unwrap().modified().unwrap();
            build_charm(&root.join(dir), &opts).unwrap();
            let after = fs::metadata(&out.component).unwrap().modified().unwrap();
            assert_eq!(before, after, "{dir}: re-encoded although nothing changed");
        }
    }

    #[test]
    fn up_to_date_compares_modification_times() {
        let dir = temp_dir("mtime");
        let out = dir.join("out.wasm");
        write_atomically(&out, b"component").unwrap();
        assert_eq!(fs::read(&out).unwrap(), b"component");
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
