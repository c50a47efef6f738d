//! What the model changed since the last commit, so that the store writes
//! only those rows.

use std::collections::BTreeSet;

use super::bags::BagOwner;
use super::names::UnitName;

/// Rows changed since the last commit.
#[derive(Debug, Default)]
pub struct Dirty {
    pub meta: bool,
    pub apps: BTreeSet<String>,
    pub units: BTreeSet<UnitName>,
    pub views: BTreeSet<(UnitName, u32)>,
    pub relations: BTreeSet<u32>,
    pub bags: BTreeSet<(u32, BagOwner)>,
    pub secrets: BTreeSet<String>,
    pub actions: BTreeSet<u64>,
}

impl Dirty {
    pub fn is_empty(&self) -> bool {
        !self.meta
            && self.apps.is_empty()
            && self.units.is_empty()
            && self.views.is_empty()
            && self.relations.is_empty()
            && self.bags.is_empty()
            && self.secrets.is_empty()
            && self.actions.is_empty()
    }
}
