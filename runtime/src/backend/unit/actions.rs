//! Actions: parameters, nested results, logs and failure.

use super::{UnitBackend, data};
use crate::backend::ToolResult;
use crate::backend::error::juju;
use crate::bindings::types::StringMap;
use crate::juju::actions::{MAX_ACTION_KEY_PARTS, RESERVED_RESULT_KEYS as RESERVED, is_result_key};

impl UnitBackend {
    pub(super) fn action_get(&self) -> ToolResult<String> {
        self.require_action()?;
        let params = self.params.clone().unwrap_or_default();
        Ok(serde_json::Value::Object(params).to_string())
    }

    pub(super) fn action_set(&mut self, results: StringMap) -> ToolResult<()> {
        self.require_action()?;
        for (key, _) in &results {
            let parts = key.split('.').count();
            if parts > MAX_ACTION_KEY_PARTS {
                return Err(juju::invalid(format!(
                    "key {:?}... has {parts} parts, more than charmbox's limit of {MAX_ACTION_KEY_PARTS}",
                    key.chars().take(40).collect::<String>()
                )));
            }
            for seg in key.split('.') {
                if !is_result_key(seg) {
                    return Err(juju::invalid(format!(
                        "key {key:?} must start and end with lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods"
                    )));
                }
            }
            if RESERVED.contains(&key.as_str()) {
                return Err(juju::invalid(format!(
                    "cannot set reserved action key {key:?}"
                )));
            }
        }
        let size = results.iter().map(|(k, v)| k.len() + v.len()).sum();
        self.budget.replace(0, size).map_err(data::refused)?;
        for (key, value) in results {
            let segs: Vec<&str> = key.split('.').collect();
            let mut map = &mut self.action.results;
            for seg in &segs[..segs.len() - 1] {
                let entry = map
                    .entry(seg.to_string())
                    .or_insert_with(|| serde_json::Value::Object(Default::default()));
                if !entry.is_object() {
                    *entry = serde_json::Value::Object(Default::default());
                }
                map = entry.as_object_mut().expect("just made an object");
            }
            map.insert(
                segs[segs.len() - 1].to_string(),
                serde_json::Value::String(value),
            );
        }
        Ok(())
    }

    pub(super) fn action_log(&mut self, message: String) -> ToolResult<()> {
        self.require_action()?;
        self.budget.log(message.len()).map_err(data::refused)?;
        self.action.logs.push(message);
        Ok(())
    }

    pub(super) fn action_fail(&mut self, message: Option<String>) -> ToolResult<()> {
        self.require_action()?;
        self.action.failed = Some(message.unwrap_or_else(|| {
            "action failed without reason given, check action for errors".into()
        }));
        Ok(())
    }
}
