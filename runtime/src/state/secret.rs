//! Secrets in the State: owner, revisions and what this unit tracks.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Bag;

/// One revision's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretRevision {
    pub revision: u32,
    pub content: Bag,
}

/// A secret this unit owns or may read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretState {
    /// `secret:<20-char id>`.
    pub id: String,
    /// `application`, `unit`, or absent when another application owns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    pub revisions: Vec<SecretRevision>,
    /// The revision this unit tracks as a consumer (absent: not yet read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracked: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotate: Option<String>,
    /// Grants: relation id → units granted within it (empty: the whole app).
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "super::keys::numeric_keys"
    )]
    pub grants: BTreeMap<u32, Vec<String>>,
}
