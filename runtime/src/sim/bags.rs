//! Relation databags as the model keeps them: who holds each one, and
//! how often it changed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::names::UnitName;
use crate::state::Bag;

/// Who holds a databag.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BagOwner {
    App(String),
    Unit(UnitName),
}

impl std::fmt::Display for BagOwner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BagOwner::App(a) => write!(f, "{a}"),
            BagOwner::Unit(u) => write!(f, "{u}"),
        }
    }
}

/// A databag and how often it changed (0: never written).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Databag {
    pub version: u64,
    pub data: Bag,
}

/// The databags of one relation, by owner.
#[derive(Debug, Clone, Default)]
pub struct RelBags {
    pub apps: BTreeMap<String, Databag>,
    pub units: BTreeMap<UnitName, Databag>,
}
