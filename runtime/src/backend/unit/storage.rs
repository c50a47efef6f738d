//! Storage: `storage-get`, `storage-list` and buffered `storage-add`.

use super::UnitBackend;
use crate::backend::ToolResult;
use crate::backend::error::juju;
use crate::bindings::types::{StorageInfo, StorageKind};

impl UnitBackend {
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
        self.tx.storage_added.extend(directives);
        Ok(())
    }
}
