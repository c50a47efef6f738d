//! The simulated Ubuntu machine of a machine charm's unit: what the run
//! grants, the packages its apt sources offer and what is installed, its
//! systemd services, scripted answers for other commands, and the commands
//! that ran. Plain data: the `machine` module runs commands against it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::state::is_zero;

/// One unit's machine.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MachineState {
    /// Programs this run lets the charm run (the host's grant; the charm
    /// must also declare them in charmcraft.yaml).
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub granted: BTreeSet<String>,
    /// What the machine's apt sources offer: package name → what it is.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub available: BTreeMap<String, Package>,
    /// Installed packages: name → version.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub packages: BTreeMap<String, String>,
    /// systemd services the machine has (installed with their packages).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, Service>,
    /// Services whose every start fails (their process exits at once).
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub failing_services: BTreeSet<String>,
    /// Scripted answers, tried before the simulated programs: the first
    /// whose `command` prefixes the argv answers it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub handlers: Vec<CommandHandler>,
    /// The commands that ran, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<CommandRecord>,
    /// The files in the charm's machine directories (`charmbox:
    /// machine-files:`): absolute path → content. The guest sees them as
    /// files and what it leaves there comes back here.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, MachineFile>,
}

/// A file's content: text, or `{base64: ...}` for bytes that are not UTF-8.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MachineFile {
    Text(String),
    Bytes { base64: String },
}

impl MachineFile {
    /// The file of these bytes: text when they are UTF-8.
    pub fn from_bytes(bytes: Vec<u8>) -> MachineFile {
        use base64::Engine as _;
        match String::from_utf8(bytes) {
            Ok(text) => MachineFile::Text(text),
            Err(e) => MachineFile::Bytes {
                base64: base64::engine::general_purpose::STANDARD.encode(e.into_bytes()),
            },
        }
    }

    /// The bytes, or why they cannot be decoded.
    pub fn bytes(&self) -> Result<Vec<u8>, String> {
        use base64::Engine as _;
        match self {
            MachineFile::Text(t) => Ok(t.as_bytes().to_vec()),
            MachineFile::Bytes { base64 } => base64::engine::general_purpose::STANDARD
                .decode(base64)
                .map_err(|e| format!("not base64: {e}")),
        }
    }
}

impl MachineState {
    /// Nothing given or changed: the State leaves the machine out.
    pub fn is_empty(&self) -> bool {
        *self == MachineState::default()
    }
}

/// A package as the apt sources offer it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Package {
    pub version: String,
    /// The systemd services it ships: installing it enables and starts them
    /// (Debian's policy), removing it stops and removes them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
}

/// A systemd service's state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Service {
    pub enabled: bool,
    /// `active`, `inactive` or `failed`.
    pub active: ActiveState,
}

/// systemd's ActiveState, as far as a one-shot command can see it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActiveState {
    Active,
    #[default]
    Inactive,
    Failed,
}

impl ActiveState {
    /// The word `systemctl is-active` prints.
    pub fn word(self) -> &'static str {
        match self {
            ActiveState::Active => "active",
            ActiveState::Inactive => "inactive",
            ActiveState::Failed => "failed",
        }
    }
}

/// A scripted answer for commands starting with `command`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CommandHandler {
    /// The argv prefix answered (at least the program).
    pub command: Vec<String>,
    #[serde(skip_serializing_if = "is_zero")]
    pub exit_code: i32,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stdout: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stderr: String,
}

/// One command that ran.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CommandRecord {
    pub command: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stdin: String,
    pub exit_code: i32,
}
