//! `charmbox/pack.json` in a packed charm: what `charmbox pack` built and
//! with which settings, read by the packed host on every dispatch.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// The `format` of every pack.json.
pub const PACK_FORMAT: &str = "charmbox-pack/1";
/// Where pack.json sits in a packed charm.
pub const PACK_INFO: &str = "charmbox/pack.json";
/// Where the precompiled component sits in a packed charm.
pub const PACKED_CWASM: &str = "charmbox/charm.cwasm";
/// The most of pack.json read.
const MAX_INFO_BYTES: u64 = 64 << 10;

/// What a packed charm's host needs to know about its component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackInfo {
    pub format: String,
    /// The charmbox version that packed it (the host's own).
    pub charmbox: String,
    pub charm: String,
    /// sha256 of the component (`<charm>.wasm` beside it), as traces name it.
    pub component_sha256: String,
    /// charmcraft's architecture name (`amd64`) and its target triple.
    pub platform: String,
    pub triple: String,
    /// The sandbox's limits for every dispatch.
    pub limits: PackLimits,
    /// Where and how much the host records.
    pub traces: TraceSettings,
    /// The declared machine commands the packer granted
    /// (`charmbox pack --grant-command`): they run on the machine for real.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub granted_commands: Vec<String>,
    /// The declared machine directories the packer granted
    /// (`charmbox pack --grant-dir`): the guest writes the real ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub granted_dirs: Vec<String>,
    /// The loopback ports the packer granted (`charmbox pack
    /// --grant-loopback-port`): the charm's HTTP reaches them for real.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub granted_loopback_ports: Vec<u16>,
}

/// The sandbox's limits, from charmcraft.yaml's `charmbox:` section or the
/// defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PackLimits {
    /// Fuel (about one per wasm instruction) of one dispatch.
    pub fuel: u64,
    /// The guest's largest linear memory, MiB.
    pub memory_mib: u64,
    /// Wall-clock limit of one dispatch, seconds (0: none).
    pub deadline_secs: u64,
}

/// Traces kept under the charm directory: one file per dispatch, the
/// oldest dropped past either bound.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TraceSettings {
    /// Record dispatches at all.
    pub enabled: bool,
    /// The directory, relative to the charm directory unless absolute.
    pub dir: String,
    /// The most trace files kept.
    pub max_files: u32,
    /// The most bytes all trace files together may hold.
    pub max_bytes: u64,
}

impl Default for PackLimits {
    fn default() -> Self {
        let rt = crate::engine::RuntimeConfig::default();
        PackLimits {
            fuel: rt.fuel_per_event,
            memory_mib: (rt.max_memory >> 20) as u64,
            deadline_secs: rt.limits.deadline.as_secs(),
        }
    }
}

impl Default for TraceSettings {
    fn default() -> Self {
        TraceSettings {
            enabled: true,
            dir: ".charmbox/traces".into(),
            max_files: 200,
            max_bytes: 64 << 20,
        }
    }
}

impl PackLimits {
    /// The runtime settings of the packed host: precompiling and loading
    /// use the same, or wasmtime refuses the component.
    pub fn runtime_config(&self) -> crate::engine::RuntimeConfig {
        let mut c = crate::engine::RuntimeConfig {
            fuel_per_event: self.fuel,
            max_memory: (self.memory_mib.min(crate::engine::MAX_MEMORY_MIB) << 20) as usize,
            cache_dir: None,
            // One dispatch per process: no pool to reserve.
            pool_slots: None,
            ..Default::default()
        };
        c.limits.deadline = std::time::Duration::from_secs(self.deadline_secs);
        c
    }
}

/// Why pack.json could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PackInfoError {
    #[error("cannot read {path}: {source} (is this a charm packed by `charmbox pack`?)")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a charmbox pack manifest: {message}")]
    Invalid { path: String, message: String },
    #[error(
        "the charm was packed by charmbox {packed} but this host is charmbox {host}: pack the charm again"
    )]
    Version { packed: String, host: String },
}

impl PackInfo {
    /// Read and check `charmbox/pack.json` of the charm directory `dir`.
    pub fn read(dir: &Path) -> Result<PackInfo, PackInfoError> {
        use std::io::Read;
        let path = dir.join(PACK_INFO);
        let shown = path.display().to_string();
        let mut text = String::new();
        std::fs::File::open(&path)
            .and_then(|f| f.take(MAX_INFO_BYTES).read_to_string(&mut text))
            .map_err(|source| PackInfoError::Read {
                path: shown.clone(),
                source,
            })?;
        let info: PackInfo = serde_json::from_str(&text).map_err(|e| PackInfoError::Invalid {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        if info.format != PACK_FORMAT {
            return Err(PackInfoError::Invalid {
                path: shown,
                message: format!("format {:?}, not {PACK_FORMAT:?}", info.format),
            });
        }
        let host = env!("CARGO_PKG_VERSION");
        if info.charmbox != host {
            return Err(PackInfoError::Version {
                packed: info.charmbox,
                host: host.into(),
            });
        }
        Ok(info)
    }
}
