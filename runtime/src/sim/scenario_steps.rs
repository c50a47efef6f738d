//! The steps of a scenario file, one type per step (`deploy:`, `config:`,
//! `run-action:` ...): what [`super::scenario`] reads.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use super::SimError;
use crate::state::Bag;

/// `deploy:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DeployStep {
    pub charm: PathBuf,
    #[serde(default)]
    pub app: Option<String>,
    #[serde(default)]
    pub units: Option<u32>,
    #[serde(default)]
    pub config: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub stateless: bool,
    #[serde(default)]
    pub pod_local_state: bool,
    #[serde(default)]
    pub trust: bool,
    /// Containers as the image provides them (Pebble layers, files…).
    #[serde(default)]
    pub containers: Vec<crate::state::ContainerState>,
    /// The machine each unit starts on (machine charms): apt sources,
    /// installed packages, services, granted commands, handlers.
    #[serde(default)]
    pub machine: crate::state::MachineState,
    /// What the workloads answer to HTTP on each unit's loopback
    /// (`localhost`), as the State's `loopback_http`.
    #[serde(default)]
    pub loopback_http: Vec<crate::state::HttpAnswer>,
    /// Run the charm directory natively, as a process.
    #[serde(default)]
    pub native: bool,
}

/// `config:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigStep {
    pub app: String,
    #[serde(default)]
    pub set: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub reset: Vec<String>,
}

/// `scale:` / `add-unit:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleStep {
    pub app: String,
    pub units: u32,
}

/// `churn:` a unit, or `{unit, times}` (each churn settled before the next).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ChurnStep {
    Unit(String),
    Times { unit: String, times: u32 },
}

/// `refresh:` an application, or `{app, charm, containers}`: the
/// containers are the new workload images (`--resource`, k8s), which the
/// replaced pods start from.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RefreshStep {
    App(String),
    With {
        app: String,
        charm: Option<PathBuf>,
        #[serde(default)]
        containers: Vec<crate::state::ContainerState>,
    },
}

/// `run-action:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionStep {
    pub unit: String,
    pub action: String,
    #[serde(default)]
    pub params: BTreeMap<String, serde_json::Value>,
    /// `completed` or `failed`.
    #[serde(default)]
    pub status: Option<String>,
    /// Results that must be present, with these values.
    #[serde(default)]
    pub results: BTreeMap<String, serde_json::Value>,
    /// The failure message it must end with (`event.fail`).
    #[serde(default)]
    pub message: Option<String>,
    /// Only queue the action (`juju run --background`): a later settle
    /// runs it; `status` and `results` cannot be checked.
    #[serde(default)]
    pub background: bool,
}

/// `settle:` with `{steps: n}`: run only the next n hooks.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettleStep {
    #[serde(default)]
    pub steps: Option<u64>,
}

/// `trust:` an application, or `{app, remove: true}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TrustStep {
    App(String),
    With {
        app: String,
        #[serde(default)]
        remove: bool,
    },
}

/// `restart-container:` a unit's workload container.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerStep {
    pub unit: String,
    pub container: String,
}

/// `pebble-notify:` a custom notice.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyStep {
    pub unit: String,
    pub container: String,
    pub key: String,
}

/// `pebble-check:` a check failing or recovering.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckStep {
    pub unit: String,
    pub container: String,
    pub check: String,
    /// `failed` or `recovered`.
    pub change: String,
}

/// `attach-resource:` a new revision of an application's resource.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceStep {
    pub app: String,
    pub resource: String,
}

/// `add-storage:` instances of a charm's storage for a unit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageStep {
    pub unit: String,
    pub storage: String,
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

/// `address:` a unit's new address.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressStep {
    pub unit: String,
    pub address: String,
}

/// `resolve:` a unit, or `{unit, retry: false}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ResolveStep {
    Unit(String),
    With {
        unit: String,
        #[serde(default = "yes")]
        retry: bool,
    },
}

fn yes() -> bool {
    true
}

/// `secret-add:`, `secret-set:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretStep {
    /// The secret (id or label); for secret-add, a name to refer to it by.
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub content: Bag,
    /// secret-add: applications granted access.
    #[serde(default)]
    pub grant: Vec<String>,
}

/// `secret-remove:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretRemoveStep {
    /// The secret (id or label).
    pub secret: String,
    /// The revision no longer used (default: the latest).
    #[serde(default)]
    pub revision: Option<u32>,
}

/// `remove-unit:` / `remove-application:`: a name, or the name with Juju's
/// `--force` and `--no-wait`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RemoveStep {
    Name(String),
    With(RemoveWith),
}

/// The map form of [`RemoveStep`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RemoveWith {
    #[serde(alias = "app")]
    pub unit: String,
    #[serde(default)]
    pub force: bool,
    #[serde(default)]
    pub no_wait: bool,
}

impl RemoveStep {
    pub(super) fn target(&self) -> &str {
        match self {
            RemoveStep::Name(n) => n,
            RemoveStep::With(w) => &w.unit,
        }
    }

    /// How long a forced removal waits (none: not forced).
    pub(super) fn max_wait(&self) -> Result<Option<std::time::Duration>, SimError> {
        match self {
            RemoveStep::With(w) if w.no_wait && !w.force => Err(SimError::Usage(format!(
                "removing {}: no-wait needs force: true, as Juju's --no-wait needs --force",
                w.unit
            ))),
            RemoveStep::With(w) if w.no_wait => Ok(Some(std::time::Duration::ZERO)),
            RemoveStep::With(w) if w.force => Ok(Some(super::ops::FORCE_MAX_WAIT)),
            _ => Ok(None),
        }
    }

    pub(super) fn flags(&self) -> &'static str {
        match self {
            RemoveStep::With(w) if w.no_wait => " --force --no-wait",
            RemoveStep::With(w) if w.force => " --force",
            _ => "",
        }
    }
}

/// `upgrade-machine: {unit, prepare: BASE}` or `{unit, complete: true}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpgradeMachineStep {
    /// A unit on the machine.
    pub unit: String,
    #[serde(default)]
    pub prepare: Option<String>,
    #[serde(default)]
    pub complete: bool,
}

/// `secret-grant:`, `secret-revoke:` (user secrets).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretAccessStep {
    /// The secret (id or name).
    pub secret: String,
    /// The applications.
    pub apps: Vec<String>,
}

/// `partition: {app, value}`: the StatefulSet's rolling-update partition.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionStep {
    pub app: String,
    pub value: u32,
}
