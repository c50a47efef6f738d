//! The hooks the simulator runs, as data: what the resolver chooses, what a
//! failed hook retries, and how each becomes the [`EventSpec`] that the
//! single-event path runs.

use serde::{Deserialize, Serialize};

use super::names::UnitName;

/// One hook (or action) for one unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "hook", rename_all = "kebab-case")]
pub enum Hook {
    Install,
    Start,
    Stop,
    Remove,
    ConfigChanged,
    UpgradeCharm,
    UpdateStatus,
    LeaderElected,
    LeaderSettingsChanged,
    RelationCreated {
        relation: u32,
    },
    RelationJoined {
        relation: u32,
        unit: UnitName,
    },
    /// `unit` none: the application-level relation-changed.
    RelationChanged {
        relation: u32,
        unit: Option<UnitName>,
    },
    RelationDeparted {
        relation: u32,
        unit: UnitName,
        departing: UnitName,
    },
    RelationBroken {
        relation: u32,
    },
    PebbleReady {
        container: String,
    },
    /// A custom notice (`pebble notify`) in a workload container, by id.
    PebbleCustomNotice {
        container: String,
        notice: String,
    },
    /// A check reached its failure threshold.
    PebbleCheckFailed {
        container: String,
        check: String,
    },
    /// A failed check succeeds again.
    PebbleCheckRecovered {
        container: String,
        check: String,
    },
    StorageAttached {
        storage: String,
    },
    StorageDetaching {
        storage: String,
    },
    SecretChanged {
        secret: String,
    },
    SecretRotate {
        secret: String,
    },
    SecretExpired {
        secret: String,
        revision: u32,
    },
    SecretRemove {
        secret: String,
        revision: u32,
    },
    Action {
        id: u64,
    },
    /// `juju upgrade-machine … prepare BASE`.
    PreSeriesUpgrade {
        target: String,
    },
    /// `juju upgrade-machine … complete`.
    PostSeriesUpgrade,
}

impl Hook {
    /// The relation this hook is about.
    pub fn relation(&self) -> Option<u32> {
        use Hook::*;
        match self {
            RelationCreated { relation }
            | RelationJoined { relation, .. }
            | RelationChanged { relation, .. }
            | RelationDeparted { relation, .. }
            | RelationBroken { relation } => Some(*relation),
            _ => None,
        }
    }

    /// A short description of the hook's subject, for logs.
    pub fn detail(&self) -> String {
        use Hook::*;
        match self {
            RelationJoined { unit, .. } => unit.to_string(),
            RelationChanged { unit: Some(u), .. } => u.to_string(),
            RelationChanged { unit: None, .. } => "app".into(),
            RelationDeparted {
                unit, departing, ..
            } if unit == departing => unit.to_string(),
            RelationDeparted {
                unit, departing, ..
            } => format!("{unit} (departing {departing})"),
            SecretChanged { secret } | SecretRotate { secret } => secret.clone(),
            SecretExpired { secret, revision } | SecretRemove { secret, revision } => {
                format!("{secret}/{revision}")
            }
            Action { id } => format!("action {id}"),
            StorageAttached { storage } | StorageDetaching { storage } => storage.clone(),
            PebbleCustomNotice { notice, .. } => format!("notice {notice}"),
            PebbleCheckFailed { check, .. } | PebbleCheckRecovered { check, .. } => check.clone(),
            _ => String::new(),
        }
    }
}
