//! Relations in the State: the unit's and application's databags on both sides.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Bag, StatusState};

pub use crate::charm::RelationKind;

/// One relation as this unit sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationState {
    pub id: u32,
    /// This charm's endpoint name.
    pub endpoint: String,
    /// Taken from charmcraft.yaml when absent; must agree with it when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<RelationKind>,
    /// The remote application (for a peer relation: this application).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_app: Option<String>,
    #[serde(default)]
    pub local_app_data: Bag,
    #[serde(default)]
    pub local_unit_data: Bag,
    #[serde(default)]
    pub remote_app_data: Bag,
    /// Remote member units by unit number (peers: the other units of this app).
    #[serde(default, deserialize_with = "super::keys::numeric_keys")]
    pub remote_units_data: BTreeMap<u32, Bag>,
    /// Workload statuses of remote member units by unit number, as
    /// `goal-state` shows them (a unit not listed: `unknown`).
    #[serde(
        default,
        deserialize_with = "super::keys::numeric_keys",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub remote_units_status: BTreeMap<u32, StatusState>,
    /// The remote model's uuid, for cross-model relations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_model_uuid: Option<String>,
}

impl RelationState {
    /// The remote application's name: given, this app for peers, else `remote`.
    pub fn remote_app_name(&self, own_app: &str, peer: bool) -> String {
        match &self.remote_app {
            Some(a) => a.clone(),
            None if peer => own_app.to_string(),
            None => "remote".to_string(),
        }
    }
}
