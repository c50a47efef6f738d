//! `charmbox pack`: a `.charm` a real Juju deploys. The zip holds what
//! `charmcraft pack` would (manifest.yaml, metadata.yaml, config.yaml,
//! actions.yaml, `dispatch`), with `dispatch` the packed host — a charmbox
//! build without the compiler, statically linked — and the component twice:
//! `<name>.wasm` (what traces name and `charmbox replay` runs at home) and
//! `charmbox/charm.cwasm`, precompiled for the platform's baseline CPU.
//! See docs/juju.md.

pub mod info;
#[cfg(feature = "compiler")]
mod packer;
mod platforms;
pub(crate) mod zip_out;

use std::path::PathBuf;

use crate::build::BuildOptions;
#[cfg(feature = "compiler")]
pub use packer::pack;
pub use platforms::{Base, Platforms};
pub use zip_out::unpack;

/// The packed host's file name, as `scripts/build-dispatch-host.sh` builds it.
pub const HOST_BINARY: &str = "charmbox-dispatch";

/// Why a charm could not be packed.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error(transparent)]
    Build(#[from] crate::build::BuildError),
    #[error(transparent)]
    Meta(#[from] crate::charm::MetaError),
    #[error("{path}: {message}")]
    Charmcraft { path: String, message: String },
    #[error(transparent)]
    Platform(#[from] crate::engine::PrecompileError),
    #[error(
        "the packed host ({HOST_BINARY} built without the compiler) is not built (looked in {looked}): run scripts/build-dispatch-host.sh, or set CHARMBOX_DISPATCH_HOST"
    )]
    NoHost { looked: String },
    #[error("{path} is not a packed host this charmbox can use: {message}")]
    BadHost { path: String, message: String },
    #[error("cannot start the compiler: {0}")]
    Runtime(String),
    #[error("{0}")]
    Grant(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// How to pack.
#[derive(Debug, Default, Clone)]
pub struct PackOptions {
    /// The .charm to write; default `<dir>/<name>_<arch>.charm`.
    pub out: Option<PathBuf>,
    /// Platforms asked for (`amd64`, `ubuntu@22.04:amd64`); default:
    /// charmcraft.yaml's.
    pub platforms: Vec<String>,
    /// The packed host binary; default: found as [`find_host`] finds it.
    pub host: Option<PathBuf>,
    pub build: BuildOptions,
    /// Declared machine commands the packed charm may run on its machine
    /// (`--grant-command`).
    pub grant_commands: Vec<String>,
    /// Loopback ports the packed charm's HTTP may reach
    /// (`--grant-loopback-port`).
    pub grant_loopback_ports: Vec<u16>,
    /// Declared machine directories the packed charm may write for real
    /// (`--grant-dir`).
    pub grant_dirs: Vec<String>,
}

/// What was packed, with the sizes an operator cares about.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PackReport {
    pub charm: PathBuf,
    pub bytes: u64,
    pub host_bytes: u64,
    pub component_bytes: u64,
    pub precompiled_bytes: u64,
    pub platform: String,
    pub bases: Vec<String>,
}

/// The packed host: `$CHARMBOX_DISPATCH_HOST`, else where
/// `scripts/build-dispatch-host.sh` puts it beside this build's target
/// directory.
pub fn find_host() -> Result<PathBuf, PackError> {
    if let Some(p) = std::env::var_os("CHARMBOX_DISPATCH_HOST") {
        return Ok(PathBuf::from(p));
    }
    let (_, triple) = crate::engine::host_triple();
    let rel = format!("dispatch-host/{triple}/release/{HOST_BINARY}");
    let mut looked = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        // target/release/charmbox, or a test's target/release/deps/x.
        for up in exe.ancestors().skip(2).take(2) {
            let p = up.join(&rel);
            if p.is_file() {
                return Ok(p);
            }
            looked.push(p.display().to_string());
        }
    }
    Err(PackError::NoHost {
        looked: looked.join(", "),
    })
}
