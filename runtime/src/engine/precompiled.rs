//! Components precompiled for a packed charm: compiled at pack time for a
//! platform's baseline CPU (no features of the packing machine inferred),
//! loaded by the packed host, which has no compiler.

use std::path::Path;

use wasmtime::component::Component;

#[cfg(feature = "compiler")]
use super::engine_config;
use super::{CharmComponent, LoadError, Runtime};

/// Why a component could not be precompiled for a platform.
#[derive(Debug, thiserror::Error)]
pub enum PrecompileError {
    #[error(
        "charmbox cannot build for platform {name:?}: it builds packed charms for {supported} only (the host's architecture)"
    )]
    UnsupportedPlatform { name: String, supported: String },
    #[error("cannot precompile the component for {triple}: {message}")]
    Compile { triple: String, message: String },
}

/// The charmcraft architecture name of the machine charmbox runs on, and
/// its target triple: the one platform packed charms can be built for
/// (the packed host is a build of this machine's toolchain).
pub fn host_triple() -> (&'static str, &'static str) {
    match std::env::consts::ARCH {
        "x86_64" => ("amd64", "x86_64-unknown-linux-gnu"),
        "aarch64" => ("arm64", "aarch64-unknown-linux-gnu"),
        "powerpc64" => ("ppc64el", "powerpc64le-unknown-linux-gnu"),
        "s390x" => ("s390x", "s390x-unknown-linux-gnu"),
        "riscv64" => ("riscv64", "riscv64gc-unknown-linux-gnu"),
        other => (other, "unknown"),
    }
}

/// The target triple of a charmcraft architecture (`amd64`, `arm64`...),
/// refused unless it is this machine's.
pub fn triple_for(arch: &str) -> Result<&'static str, PrecompileError> {
    let (host_arch, triple) = host_triple();
    if arch == host_arch {
        Ok(triple)
    } else {
        Err(PrecompileError::UnsupportedPlatform {
            name: arch.to_string(),
            supported: host_arch.to_string(),
        })
    }
}

impl Runtime {
    /// A key naming this engine's settings and wasmtime build: a
    /// precompiled component loads only in an engine with the same key.
    pub fn engine_key(&self) -> String {
        super::cache::engine_key(self)
    }

    /// `bytes` compiled for `triple`'s baseline CPU with this runtime's
    /// settings: what a packed charm ships.
    #[cfg(feature = "compiler")]
    pub fn precompile_for(&self, bytes: &[u8], triple: &str) -> Result<Vec<u8>, PrecompileError> {
        let failed = |e: wasmtime::Error| PrecompileError::Compile {
            triple: triple.to_string(),
            message: format!("{e:#}"),
        };
        let mut c = engine_config(&self.config);
        // Setting the target stops wasmtime inferring this machine's CPU
        // features: the code runs on any CPU of the architecture.
        c.target(triple).map_err(failed)?;
        let engine = wasmtime::Engine::new(&c).map_err(failed)?;
        engine.precompile_component(bytes).map_err(failed)
    }

    /// Load a component precompiled by [`Runtime::precompile_for`] (a
    /// packed charm's), `hash` the sha256 of the component it was compiled
    /// from. One precompiled by another charmbox or wasmtime build, or
    /// with other settings, is refused with wasmtime's reason.
    pub fn load_precompiled(&self, path: &Path, hash: &str) -> Result<CharmComponent, LoadError> {
        let origin = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|source| LoadError::Read {
            path: origin.clone(),
            source,
        })?;
        // SAFETY: loading precompiled code runs it unchecked. The file is
        // part of the charm as deployed, as trusted as the host binary
        // beside it (whoever can replace one can replace the other); the
        // caller has checked its sha256 against the charm's manifest, and
        // wasmtime checks it was made by this wasmtime with these settings.
        let component = unsafe { Component::deserialize_file(&self.engine, path) }.map_err(|e| {
            LoadError::Invalid {
                path: origin.clone(),
                message: format!(
                    "it was not precompiled for this charmbox host ({e:#}); pack the charm again with this charmbox"
                ),
            }
        })?;
        drop(file);
        let not_charm = |e: wasmtime::Error| LoadError::NotACharm {
            path: origin.clone(),
            message: format!("{e:#}"),
        };
        let pre = self.linker.instantiate_pre(&component).map_err(not_charm)?;
        CharmComponent::new(pre, hash.to_string(), &origin)
    }
}
