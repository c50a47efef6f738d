//! `charmcraft.yaml`: the parts charmbox needs (name, endpoints, containers,
//! storage, config options, actions), read with clear errors.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Regular (provides/requires), peer or subordinate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RelationKind {
    #[default]
    Regular,
    Peer,
    Subordinate,
}

/// A charm's metadata.
#[derive(Debug, Clone, Default)]
pub struct CharmMeta {
    pub name: String,
    /// Endpoint name → endpoint (peers, requires and provides together).
    pub endpoints: BTreeMap<String, Endpoint>,
    pub containers: Vec<String>,
    pub storage: BTreeMap<String, String>,
    /// Storage name → how many instances a unit may have (`multiple.range`;
    /// without it, exactly one).
    pub storage_counts: BTreeMap<String, StorageCount>,
    pub config: BTreeMap<String, ConfigOption>,
    /// Action name → the JSON schema Juju builds for its parameters
    /// (`juju::action_schema::build`).
    pub actions: BTreeMap<String, serde_json::Value>,
    pub subordinate: bool,
    /// Declared resource names.
    pub resources: std::collections::BTreeSet<String>,
    /// Programs the charm may run on its machine (`charmbox.machine-commands`).
    pub machine_commands: std::collections::BTreeSet<String>,
    /// Machine directories the charm may write (`charmbox.machine-files`).
    pub machine_dirs: std::collections::BTreeSet<String>,
    /// Kubernetes API operations the charm may use (`charmbox.kubernetes`).
    pub kubernetes: std::collections::BTreeSet<String>,
}

/// One relation endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub interface: String,
    pub kind: RelationKind,
    /// `provides` or `requires`; `peers` for peers.
    pub role: &'static str,
}

/// Juju's `CountMin`/`CountMax` of one store: `multiple: {range: 2}`,
/// `1-10` or `1-` (no maximum); without `multiple`, one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageCount {
    pub min: u64,
    /// `None`: no maximum (`range: 1-`).
    pub max: Option<u64>,
}

impl Default for StorageCount {
    fn default() -> Self {
        StorageCount {
            min: 1,
            max: Some(1),
        }
    }
}

impl StorageCount {
    /// Juju's `parseStorageMultiple`: `n`, `m-n` or `m-`.
    fn parse(range: &str) -> Option<StorageCount> {
        let num = |s: &str| {
            (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u64>().ok())
                .flatten()
        };
        let (min, max) = match range.split_once('-') {
            None => {
                let n = num(range)?;
                (n, Some(n))
            }
            Some((m, "")) => (num(m)?, None),
            Some((m, n)) => (num(m)?, Some(num(n)?)),
        };
        if max.is_some_and(|x| x < min) {
            return None;
        }
        Some(StorageCount { min, max })
    }
}

/// The type of a config option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    String,
    Int,
    Float,
    Boolean,
    Secret,
}

/// One config option with its default.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigOption {
    pub kind: ConfigType,
    pub default: Option<serde_json::Value>,
}

/// A charmcraft.yaml that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("malformed {path}: {message}")]
    Parse { path: String, message: String },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

#[derive(Deserialize, Default)]
struct RawMeta {
    name: Option<String>,
    #[serde(default)]
    peers: BTreeMap<String, RawEndpoint>,
    #[serde(default)]
    requires: BTreeMap<String, RawEndpoint>,
    #[serde(default)]
    provides: BTreeMap<String, RawEndpoint>,
    #[serde(default)]
    containers: BTreeMap<String, serde_norway::Value>,
    #[serde(default)]
    storage: BTreeMap<String, RawStorage>,
    #[serde(default)]
    config: Option<RawConfig>,
    #[serde(default)]
    actions: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    subordinate: bool,
    #[serde(default)]
    resources: BTreeMap<String, serde_norway::Value>,
    #[serde(default)]
    charmbox: RawCharmbox,
}

/// charmbox's own section of charmcraft.yaml.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawCharmbox {
    #[serde(default)]
    machine_commands: Vec<String>,
    #[serde(default)]
    machine_files: Vec<String>,
    #[serde(default)]
    kubernetes: Vec<String>,
}

#[derive(Deserialize)]
struct RawEndpoint {
    interface: String,
    #[serde(default)]
    scope: Option<String>,
}

#[derive(Deserialize)]
struct RawStorage {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    multiple: Option<RawMultiple>,
}

#[derive(Deserialize)]
struct RawMultiple {
    range: serde_norway::Value,
}

#[derive(Deserialize, Default)]
struct RawConfig {
    #[serde(default)]
    options: BTreeMap<String, RawOption>,
}

#[derive(Deserialize)]
struct RawOption {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    default: Option<serde_json::Value>,
}

impl CharmMeta {
    /// Read `charmcraft.yaml` from a charm directory.
    pub fn load_dir(dir: &Path) -> Result<CharmMeta, MetaError> {
        let path = dir.join("charmcraft.yaml");
        let text = crate::yaml::read_file(&path).map_err(|e| match e {
            crate::yaml::YamlError::Io(source) => MetaError::Read {
                path: path.display().to_string(),
                source,
            },
            limit => MetaError::Parse {
                path: path.display().to_string(),
                message: limit.to_string(),
            },
        })?;
        CharmMeta::parse(&text, &path.display().to_string())
    }

    /// Parse charmcraft.yaml text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<CharmMeta, MetaError> {
        let raw: RawMeta = crate::yaml::from_str(text).map_err(|e| MetaError::Parse {
            path: origin.into(),
            message: e.to_string(),
        })?;
        let invalid = |message: String| MetaError::Invalid {
            path: origin.into(),
            message,
        };
        let name = raw.name.ok_or_else(|| invalid("no `name:` given".into()))?;
        if !crate::juju::names::is_app_name(&name) {
            return Err(invalid(format!("invalid charm name {name:?}")));
        }
        let mut endpoints = BTreeMap::new();
        let groups = [
            ("peers", raw.peers),
            ("requires", raw.requires),
            ("provides", raw.provides),
        ];
        for (role, group) in groups {
            for (ep, e) in group {
                let kind = match (role, e.scope.as_deref()) {
                    ("peers", _) => RelationKind::Peer,
                    (_, Some("container")) => RelationKind::Subordinate,
                    _ => RelationKind::Regular,
                };
                let endpoint = Endpoint {
                    interface: e.interface,
                    kind,
                    role,
                };
                if endpoints.insert(ep.clone(), endpoint).is_some() {
                    return Err(invalid(format!("endpoint {ep:?} is declared twice")));
                }
            }
        }
        let mut config = BTreeMap::new();
        for (key, o) in raw.config.unwrap_or_default().options {
            let kind = match o.kind.as_str() {
                "string" => ConfigType::String,
                "int" => ConfigType::Int,
                "float" => ConfigType::Float,
                "boolean" => ConfigType::Boolean,
                "secret" => ConfigType::Secret,
                other => {
                    return Err(invalid(format!(
                        "config option {key:?} has unknown type {other:?}"
                    )));
                }
            };
            let option = ConfigOption {
                kind,
                default: o.default,
            };
            if let Some(d) = &option.default {
                option
                    .check(d)
                    .map_err(|m| invalid(format!("default of {key:?}: {m}")))?;
            }
            config.insert(key, option);
        }
        let mut storage = BTreeMap::new();
        let mut storage_counts = BTreeMap::new();
        for (name, s) in raw.storage {
            let count = match &s.multiple {
                None => StorageCount::default(),
                Some(m) => {
                    let range = match &m.range {
                        serde_norway::Value::String(r) => Some(r.clone()),
                        serde_norway::Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    };
                    range
                        .as_deref()
                        .and_then(StorageCount::parse)
                        .ok_or_else(|| {
                            invalid(format!(
                                "storage {name:?}: multiple.range must be \"n\", \"m-n\" or \"m-\""
                            ))
                        })?
                }
            };
            storage_counts.insert(name.clone(), count);
            storage.insert(name, s.kind);
        }
        let mut actions = BTreeMap::new();
        for (action, spec) in raw.actions {
            let schema = crate::juju::action_schema::build(&action, &spec).map_err(|m| {
                invalid(format!(
                    "invalid params schema for action schema {action}: {m}"
                ))
            })?;
            actions.insert(action, schema);
        }
        Ok(CharmMeta {
            name,
            endpoints,
            containers: raw.containers.into_keys().collect(),
            storage,
            storage_counts,
            config,
            actions,
            subordinate: raw.subordinate,
            resources: raw.resources.into_keys().collect(),
            machine_commands: crate::capability::machine::declared(raw.charmbox.machine_commands)
                .map_err(|m| invalid(format!("charmbox.machine-commands: {m}")))?,
            machine_dirs: crate::capability::machine_files::declared(raw.charmbox.machine_files)
                .map_err(|m| invalid(format!("charmbox.machine-files: {m}")))?,
            kubernetes: crate::capability::kubernetes::declared(raw.charmbox.kubernetes)
                .map_err(|m| invalid(format!("charmbox.kubernetes: {m}")))?,
        })
    }
}

impl ConfigOption {
    /// Check that a value fits this option's type.
    pub fn check(&self, v: &serde_json::Value) -> Result<(), String> {
        use serde_json::Value;
        let ok = match (self.kind, v) {
            (_, Value::Null) => true,
            (ConfigType::String | ConfigType::Secret, Value::String(_)) => true,
            (ConfigType::Int, Value::Number(n)) => n.is_i64(),
            (ConfigType::Float, Value::Number(_)) => true,
            (ConfigType::Boolean, Value::Bool(_)) => true,
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(format!("expected {:?}, got {v}", self.kind).to_lowercase())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEER: &str = "name: peer-counter\ntype: charm\npeers:\n  fastapi-peer:\n    interface: fastapi_demo_peers\nconfig:\n  options:\n    mode:\n      type: string\n      default: ok\n";

    #[test]
    fn reads_peers_and_config() {
        let m = CharmMeta::parse(PEER, "x").unwrap();
        assert_eq!(m.name, "peer-counter");
        assert_eq!(m.endpoints["fastapi-peer"].kind, RelationKind::Peer);
        assert_eq!(m.config["mode"].default, Some(serde_json::json!("ok")));
    }

    #[test]
    fn storage_ranges() {
        let m = CharmMeta::parse(
            "name: s\nstorage:\n  one: {type: filesystem}\n  few: {type: block, multiple: {range: 0-3}}\n  many: {type: block, multiple: {range: 2-}}\n  two: {type: block, multiple: {range: 2}}\n",
            "x",
        )
        .unwrap();
        let c = |min, max| StorageCount { min, max };
        assert_eq!(m.storage_counts["one"], c(1, Some(1)));
        assert_eq!(m.storage_counts["few"], c(0, Some(3)));
        assert_eq!(m.storage_counts["many"], c(2, None));
        assert_eq!(m.storage_counts["two"], c(2, Some(2)));
        for bad in ["x", "3-1", "-2", ""] {
            let text = format!(
                "name: s\nstorage:\n  d: {{type: block, multiple: {{range: \"{bad}\"}}}}\n"
            );
            assert!(CharmMeta::parse(&text, "x").is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_name_the_problem() {
        let e = CharmMeta::parse("type: charm\n", "c.yaml")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "c.yaml: no `name:` given");
        let e = CharmMeta::parse("name: [", "c.yaml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("malformed c.yaml:"), "{e}");
        let bad = "name: x\nconfig:\n  options:\n    n:\n      type: int\n      default: abc\n";
        let e = CharmMeta::parse(bad, "c.yaml").unwrap_err().to_string();
        assert!(e.contains("default of \"n\": expected int"), "{e}");
    }
}
