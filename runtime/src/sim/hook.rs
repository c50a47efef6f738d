//! The hooks the simulator runs, as data: what the resolver chooses, what a
//! failed hook retries, and how each becomes the [`EventSpec`] that the
//! single-event path runs.

use serde::{Deserialize, Serialize};

use super::model::Model;
use super::names::UnitName;
use crate::event::EventSpec;

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

    /// Juju's hook name for `unit` (`db-relation-changed`), or the action's name.
    pub fn name(&self, model: &Model, unit: &UnitName) -> String {
        use Hook::*;
        let endpoint = |rel: &u32| {
            model
                .relations
                .get(rel)
                .and_then(|r| r.end_of(&unit.app))
                .map(|e| e.endpoint.clone())
                .unwrap_or_else(|| format!("relation-{rel}"))
        };
        let storage_name = |s: &str| s.split('/').next().unwrap_or(s).to_string();
        match self {
            Install => "install".into(),
            Start => "start".into(),
            Stop => "stop".into(),
            Remove => "remove".into(),
            ConfigChanged => "config-changed".into(),
            UpgradeCharm => "upgrade-charm".into(),
            UpdateStatus => "update-status".into(),
            LeaderElected => "leader-elected".into(),
            LeaderSettingsChanged => "leader-settings-changed".into(),
            RelationCreated { relation } => format!("{}-relation-created", endpoint(relation)),
            RelationJoined { relation, .. } => format!("{}-relation-joined", endpoint(relation)),
            RelationChanged { relation, .. } => format!("{}-relation-changed", endpoint(relation)),
            RelationDeparted { relation, .. } => {
                format!("{}-relation-departed", endpoint(relation))
            }
            RelationBroken { relation } => format!("{}-relation-broken", endpoint(relation)),
            PebbleReady { container } => format!("{container}-pebble-ready"),
            StorageAttached { storage } => format!("{}-storage-attached", storage_name(storage)),
            StorageDetaching { storage } => {
                format!("{}-storage-detaching", storage_name(storage))
            }
            SecretChanged { .. } => "secret-changed".into(),
            SecretRotate { .. } => "secret-rotate".into(),
            SecretExpired { .. } => "secret-expired".into(),
            SecretRemove { .. } => "secret-remove".into(),
            Action { id } => model
                .actions
                .get(id)
                .map(|a| a.name.clone())
                .unwrap_or_else(|| format!("action-{id}")),
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
            _ => String::new(),
        }
    }

    /// The event the single-event path runs for this hook.
    pub fn spec(&self, model: &Model, unit: &UnitName) -> EventSpec {
        use Hook::*;
        let mut spec = EventSpec::named(&self.name(model, unit));
        match self {
            RelationCreated { relation } | RelationBroken { relation } => {
                spec.relation_id = Some(*relation);
            }
            RelationJoined { relation, unit } => {
                spec.relation_id = Some(*relation);
                spec.remote_unit = Some(unit.to_string());
            }
            RelationChanged { relation, unit } => {
                spec.relation_id = Some(*relation);
                spec.remote_unit = unit.as_ref().map(|u| u.to_string());
            }
            RelationDeparted {
                relation,
                unit,
                departing,
            } => {
                spec.relation_id = Some(*relation);
                spec.remote_unit = Some(unit.to_string());
                spec.departing_unit = Some(departing.to_string());
            }
            StorageAttached { storage } | StorageDetaching { storage } => {
                spec.storage_id = Some(storage.clone());
            }
            SecretChanged { secret } | SecretRotate { secret } => {
                spec.secret_id = Some(secret.clone());
            }
            SecretExpired { secret, revision } | SecretRemove { secret, revision } => {
                spec.secret_id = Some(secret.clone());
                spec.secret_revision = Some(*revision);
            }
            Action { id } => {
                spec.action = true;
                spec.action_id = Some(id.to_string());
                if let Some(a) = model.actions.get(id) {
                    spec.params = a.params.clone();
                }
            }
            _ => {}
        }
        spec
    }
}
