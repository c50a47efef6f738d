//! Leadership: `is-leader` (sticky once false) and immediate leader settings.

use super::{UnitBackend, data};
use crate::backend::ToolResult;
use crate::backend::error::juju;
use crate::bindings::types::StringMap;
use crate::limits::bag_delta;

impl UnitBackend {
    pub(super) fn is_leader(&mut self) -> bool {
        if self.minion {
            return false;
        }
        if !self.state.leader {
            self.minion = true;
        }
        self.state.leader
    }

    /// `leader-set`: immediate; an empty value deletes the key.
    pub(super) fn leader_set(&mut self, settings: StringMap) -> ToolResult<()> {
        if !self.is_leader() {
            return Err(juju::not_leader(
                "cannot write leadership settings: cannot write settings: not the leader",
            ));
        }
        let (old, new) = bag_delta(
            &self.state.leader_settings,
            settings.iter().map(|(k, v)| (k, v)),
            true,
        );
        self.budget.replace(old, new).map_err(data::refused)?;
        for (k, v) in settings {
            if v.is_empty() {
                self.state.leader_settings.remove(&k);
            } else {
                self.state.leader_settings.insert(k, v);
            }
        }
        Ok(())
    }
}
