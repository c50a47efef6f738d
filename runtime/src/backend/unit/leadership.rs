//! Leadership: `is-leader` (sticky once false) and immediate leader settings.

use super::UnitBackend;
use crate::backend::ToolResult;
use crate::backend::error::juju;
use crate::bindings::types::StringMap;

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
