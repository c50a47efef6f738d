//! Storage: `storage-get`, `storage-list` and buffered `storage-add`.

use std::collections::BTreeMap;

use super::{UnitBackend, data};
use crate::backend::ToolResult;
use crate::backend::error::juju;
use crate::bindings::types::{StorageInfo, StorageKind};

/// charmbox's bound on one unit's instances of a store whose charm sets no
/// maximum (`multiple: {range: m-}`). Juju has none (a provider would refuse
/// long before); charmbox needs one so that `storage-add data=4000000000`
/// cannot exhaust the host's memory at commit.
pub const MAX_UNBOUNDED_INSTANCES: u64 = 1000;

impl UnitBackend {
    /// The controller's check of each `storage-add` directive at commit
    /// (Juju's `validateCharmStorageCountChange`, annotated as
    /// `AddStorageForUnit` does), in order: the count of a store after the
    /// directive must fit the charm's `multiple.range`.
    pub(super) fn check_storage_added(&self, added: &[(String, u32)]) -> Result<(), String> {
        let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
        for (name, n) in added {
            let current = counts.entry(name).or_insert_with(|| {
                self.state
                    .storages
                    .iter()
                    .filter(|s| s.name == *name)
                    .count() as u64
            });
            let n = u64::from(*n);
            let count = *current + n;
            let range = self
                .meta
                .storage_counts
                .get(name)
                .copied()
                .unwrap_or_default();
            let plural = if n == 1 { "" } else { "s" };
            let attaching =
                format!("attaching {n} storage instance{plural} brings the total to {count}");
            let problem = if range.min == 1 && range.max == Some(1) && count != 1 {
                Some("cannot attach, storage is singular".to_string())
            } else if count < range.min {
                Some(format!(
                    "{attaching}, which is less than the minimum of {}",
                    range.min
                ))
            } else {
                match range.max {
                    Some(max) if count > max => {
                        Some(format!("{attaching}, exceeding the maximum of {max}"))
                    }
                    None if count > MAX_UNBOUNDED_INSTANCES => Some(format!(
                        "{attaching}, exceeding charmbox's limit of {MAX_UNBOUNDED_INSTANCES}"
                    )),
                    _ => None,
                }
            };
            if let Some(p) = problem {
                return Err(format!("adding {name:?} storage to {}: {p}", self.unit));
            }
            *current = count;
        }
        Ok(())
    }

    pub(super) fn storage_get(&self, id: Option<&str>) -> ToolResult<StorageInfo> {
        let id = match (id, &self.ctx.storage) {
            (Some(id), _) => id.to_string(),
            (None, Some(s)) => s.id.clone(),
            (None, None) => return Err(juju::invalid("no storage instance specified")),
        };
        let parsed = id
            .split_once('/')
            .and_then(|(n, i)| Some((n, i.parse::<u32>().ok()?)));
        let Some((name, index)) = parsed else {
            return Err(juju::invalid(format!("invalid storage ID {id:?}")));
        };
        let Some(s) = self
            .state
            .storages
            .iter()
            .find(|s| s.name == name && s.index == index)
        else {
            return Err(juju::not_found(format!(
                "storage instance {id:?} not found"
            )));
        };
        let kind = match self.meta.storage.get(name).map(String::as_str) {
            Some("block") => StorageKind::Block,
            _ => StorageKind::Filesystem,
        };
        let location = s
            .location
            .clone()
            .unwrap_or_else(|| format!("/var/lib/juju/storage/{name}/{index}"));
        Ok(StorageInfo { kind, location })
    }

    pub(super) fn storage_list(&self, name: Option<&str>) -> Vec<String> {
        let mut ids: Vec<String> = self
            .state
            .storages
            .iter()
            .filter(|s| name.is_none_or(|n| n == s.name))
            .map(|s| format!("{}/{}", s.name, s.index))
            .collect();
        ids.sort();
        ids
    }

    pub(super) fn storage_add(&mut self, directives: Vec<(String, u32)>) -> ToolResult<()> {
        if directives.is_empty() {
            return Err(juju::invalid("storage add requires a storage directive"));
        }
        for (name, _) in &directives {
            if !self.meta.storage.contains_key(name) {
                return Err(juju::not_found(format!("charm storage {name:?} not found")));
            }
        }
        let size = directives
            .iter()
            // Beyond MAX_UNBOUNDED_INSTANCES the commit refuses the request,
            // so no more than that many instances are ever made.
            .map(|(name, n)| {
                let made = u64::from(*n).min(MAX_UNBOUNDED_INSTANCES) as usize;
                (name.len() + data::STORAGE_OVERHEAD).saturating_mul(made)
            })
            .fold(0usize, usize::saturating_add);
        self.budget.replace(0, size).map_err(data::refused)?;
        self.tx.storage_added.extend(directives);
        Ok(())
    }
}
