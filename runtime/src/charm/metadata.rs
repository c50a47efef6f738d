//! `charmcraft.yaml`: the parts charmbox needs (name, endpoints, containers,
//! storage, config options, actions), read with clear errors.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::state::RelationKind;

/// A charm's metadata.
#[derive(Debug, Clone, Default)]
pub struct CharmMeta {
    pub name: String,
    /// Endpoint name → endpoint (peers, requires and provides together).
    pub endpoints: BTreeMap<String, Endpoint>,
    pub containers: Vec<String>,
    pub storage: BTreeMap<String, String>,
    pub config: BTreeMap<String, ConfigOption>,
    /// Action name → params schema (JSON), used for defaults.
    pub actions: BTreeMap<String, serde_json::Value>,
    pub subordinate: bool,
}

/// One relation endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub interface: String,
    pub kind: RelationKind,
    /// `provides` or `requires`; `peers` for peers.
    pub role: &'static str,
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
        let text = std::fs::read_to_string(&path).map_err(|source| MetaError::Read {
            path: path.display().to_string(),
            source,
        })?;
        CharmMeta::parse(&text, &path.display().to_string())
    }

    /// Parse charmcraft.yaml text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<CharmMeta, MetaError> {
        let raw: RawMeta = serde_norway::from_str(text).map_err(|e| MetaError::Parse {
            path: origin.into(),
            message: e.to_string(),
        })?;
        let invalid = |message: String| MetaError::Invalid {
            path: origin.into(),
            message,
        };
        let name = raw.name.ok_or_else(|| invalid("no `name:` given".into()))?;
        if !crate::charm::names::is_app_name(&name) {
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
        let storage = raw.storage.into_iter().map(|(k, s)| (k, s.kind)).collect();
        Ok(CharmMeta {
            name,
            endpoints,
            containers: raw.containers.into_keys().collect(),
            storage,
            config,
            actions: raw.actions,
            subordinate: raw.subordinate,
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
