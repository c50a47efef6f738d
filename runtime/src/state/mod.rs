//! The State: one unit's view of a model, as JSON, in the spirit of ops'
//! Scenario. An event runs against an input State and produces an output
//! State holding what a Juju controller would hold afterwards.

pub mod check;
pub mod container;
mod keys;
pub mod loopback;
pub mod machine;
mod relation;
mod secret;
pub mod strict;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use container::ContainerState;
pub use loopback::HttpAnswer;
pub use machine::MachineState;
pub use relation::{RelationKind, RelationState};
pub use secret::{SecretRevision, SecretState};

/// The largest State file read by default (`charmbox run --max-state-mib`).
pub const DEFAULT_MAX_STATE_BYTES: u64 = 64 << 20;

fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}

/// For `skip_serializing_if`: a zero exit code is left out.
pub(crate) fn is_zero(n: &i32) -> bool {
    *n == 0
}

/// A string-to-string map, sorted by key (databags, unit state, leader settings).
pub type Bag = BTreeMap<String, String>;

/// One unit's view of a model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct State {
    /// This unit's name; defaults to `<charm name>/0`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    pub leader: bool,
    /// Config values as set by the user; unset options take their defaults.
    pub config: BTreeMap<String, serde_json::Value>,
    pub relations: Vec<RelationState>,
    pub unit_status: StatusState,
    pub app_status: StatusState,
    /// Units (this one, its peers, remote units) that are dying: `goal-state`
    /// shows them as `dying`.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub dying_units: BTreeSet<String>,
    /// Statuses of the application's other units (seen by `status-get --application`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub peer_unit_statuses: BTreeMap<String, StatusState>,
    pub workload_version: String,
    /// Server-side unit state (`state-get`/`state-set`).
    pub unit_state: Bag,
    /// Leader settings (`leader-get`/`leader-set`).
    pub leader_settings: Bag,
    pub secrets: Vec<SecretState>,
    pub opened_ports: Vec<PortState>,
    pub storages: Vec<StorageState>,
    pub containers: Vec<ContainerState>,
    /// A machine charm's machine: packages, services, granted commands.
    #[serde(skip_serializing_if = "MachineState::is_empty")]
    pub machine: MachineState,
    /// What the unit's workloads answer to HTTP on its loopback address
    /// (`localhost`); a port not listed refuses connections.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub loopback_http: Vec<HttpAnswer>,
    /// The rolling-update partition of the application's StatefulSet (k8s).
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub statefulset_partition: u32,
    /// Network bindings; unspecified bindings get defaults.
    pub networks: BTreeMap<String, NetworkState>,
    pub model: ModelState,
    pub planned_units: u32,
    /// Resource name → path of the resource file.
    pub resources: BTreeMap<String, String>,
    /// Whether the application is trusted (needed by `credential-get`).
    pub trusted: bool,
    /// The virtual wall-clock time of the event, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub now: Option<String>,
    /// Seed of the guest's random numbers.
    pub seed: u64,
    /// Whether the statuses of the peers and of the relations' remote
    /// units were checked where they came from, so that the State check
    /// skips them: set only by the simulator, whose model checks each
    /// status when it is written or read back. Never read from a file.
    #[serde(skip)]
    pub statuses_vouched: bool,
}

/// A status as Juju keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatusState {
    pub status: String,
    pub message: String,
    /// When the status was last set (RFC 3339), as `goal-state` shows it;
    /// absent when unknown. The simulator stamps it when a hook changes the
    /// status; `status-set` in a single event leaves it as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
}

impl Default for StatusState {
    fn default() -> Self {
        StatusState {
            status: "unknown".into(),
            message: String::new(),
            since: None,
        }
    }
}

impl StatusState {
    /// Whether two statuses say the same thing (status and message), however
    /// long ago each was set.
    pub fn says_same(&self, other: &StatusState) -> bool {
        self.status == other.status && self.message == other.message
    }
}

/// An opened port range: `{"protocol": "tcp", "port": 80}` or with `to_port`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortState {
    pub protocol: String,
    #[serde(default)]
    pub port: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_port: Option<u16>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<String>,
}

/// An attached storage instance `name/index`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageState {
    pub name: String,
    #[serde(default)]
    pub index: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// One network binding's addresses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkState {
    pub interface_name: String,
    pub mac_address: String,
    pub addresses: Vec<String>,
    pub cidr: String,
    pub ingress_addresses: Vec<String>,
    pub egress_subnets: Vec<String>,
}

impl Default for NetworkState {
    fn default() -> Self {
        NetworkState {
            interface_name: "eth0".into(),
            mac_address: String::new(),
            addresses: vec!["192.0.2.0".into()],
            cidr: "192.0.2.0/24".into(),
            ingress_addresses: vec!["192.0.2.0".into()],
            egress_subnets: vec!["192.0.2.0/24".into()],
        }
    }
}

/// The model the unit lives in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelState {
    pub name: String,
    pub uuid: String,
    /// `kubernetes` or `lxd` (machines).
    #[serde(rename = "type")]
    pub kind: String,
    pub juju_version: String,
}

impl Default for ModelState {
    fn default() -> Self {
        ModelState {
            name: "charmbox".into(),
            uuid: "00000000-0000-4000-8000-000000000000".into(),
            kind: "kubernetes".into(),
            juju_version: "3.6.14".into(),
        }
    }
}

/// A State that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read state file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("malformed state JSON in {path}: {source}")]
    Parse {
        path: String,
        source: strict::StrictError,
    },
    /// A rule broken at `path` (`relations[2].endpoint`).
    #[error("invalid state: {path}: {message}")]
    Invalid { path: String, message: String },
    #[error("state file {path} is larger than {limit} MiB (--max-state-mib)")]
    TooLarge { path: String, limit: u64 },
}

/// SplitMix64 of `x`: the mixer of charmbox's seed sequences (the
/// simulator's draws, the events of one `charmbox run`).
pub fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

impl State {
    /// Move the seed on to the next event's (SplitMix64 of this one), so
    /// that events run one after another draw different numbers, the same
    /// ones for the same starting State (docs/state.md).
    pub fn advance_seed(&mut self) {
        self.seed = splitmix64(self.seed);
    }

    /// Parse a State from JSON text; `origin` names it in errors.
    pub fn from_json(text: &str, origin: &str) -> Result<State, StateError> {
        let state: State = strict::from_str(text).map_err(|source| StateError::Parse {
            path: origin.into(),
            source,
        })?;
        state.validate()?;
        Ok(state)
    }

    /// Read a State from a JSON file of at most [`DEFAULT_MAX_STATE_BYTES`].
    pub fn load(path: &Path) -> Result<State, StateError> {
        State::load_bounded(path, DEFAULT_MAX_STATE_BYTES)
    }

    /// Read a State from a JSON file of at most `limit` bytes.
    pub fn load_bounded(path: &Path, limit: u64) -> Result<State, StateError> {
        use std::io::Read;
        let shown = path.display().to_string();
        let read_err = |source| StateError::Read {
            path: shown.clone(),
            source,
        };
        let mut text = String::new();
        std::fs::File::open(path)
            .map_err(read_err)?
            .take(limit + 1)
            .read_to_string(&mut text)
            .map_err(read_err)?;
        if text.len() as u64 > limit {
            return Err(StateError::TooLarge {
                path: shown,
                limit: limit >> 20,
            });
        }
        State::from_json(&text, &shown)
    }

    /// The State as pretty JSON with a trailing newline (keys sorted).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("State always serialises");
        s.push('\n');
        s
    }

    /// Check the rules that need no charm ([`check::shape`]); the rest are
    /// checked against the charm before every dispatch ([`check::against`]).
    pub fn validate(&self) -> Result<(), StateError> {
        check::shape(self)
    }

    /// The relation with this id.
    pub fn relation(&self, id: u32) -> Option<&RelationState> {
        self.relations.iter().find(|r| r.id == id)
    }
}
