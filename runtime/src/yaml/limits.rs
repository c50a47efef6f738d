//! The YAML limits: defaults, and the process's setting (the CLI's
//! `--yaml-max-*` flags set it once at start).

use std::sync::RwLock;

/// Default input size: 16 MiB. The largest legitimate YAML charmbox reads
/// is a `relation-set --file` map carrying a dashboard or a certificate
/// bundle (hundreds of KiB); Juju itself cannot store a relation bag over
/// MongoDB's 16 MB document limit. Alias expansion may not grow the
/// document's scalar text past this either.
pub const DEFAULT_MAX_BYTES: u64 = 16 << 20;

/// Default nesting depth: 64 collections. Pebble layers nest 4 deep,
/// `charmcraft.yaml` 5, scenario files about 6; serde_norway refuses 128
/// anyway, and this guard must refuse first, in linear time (libyaml's
/// scanner costs O(depth) per token inside flow collections).
pub const DEFAULT_MAX_DEPTH: usize = 64;

/// Default node count with aliases expanded: 1,000,000. A Pebble layer of
/// 10,000 services with 20 fields each is 200,000 nodes; the 140 KB alias
/// bomb of issue 12 asks for hundreds of millions.
pub const DEFAULT_MAX_NODES: u64 = 1_000_000;

/// Bounds on one YAML text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of input, and bytes of scalar text once aliases are expanded.
    pub max_bytes: u64,
    /// Collections nested in one another, counting through aliases.
    pub max_depth: usize,
    /// Nodes (scalars and collections) once aliases are expanded.
    pub max_nodes: u64,
}

impl Limits {
    /// The defaults.
    pub const DEFAULT: Limits = Limits {
        max_bytes: DEFAULT_MAX_BYTES,
        max_depth: DEFAULT_MAX_DEPTH,
        max_nodes: DEFAULT_MAX_NODES,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

static LIMITS: RwLock<Limits> = RwLock::new(Limits::DEFAULT);

/// The limits every YAML entry point of this process applies.
pub fn limits() -> Limits {
    *LIMITS.read().unwrap_or_else(|e| e.into_inner())
}

/// Set the process's limits (the CLI does, from its flags).
pub fn set_limits(l: Limits) {
    *LIMITS.write().unwrap_or_else(|e| e.into_inner()) = l;
}
