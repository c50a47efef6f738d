//! Server-side unit state (`state-get/set/delete`): loaded once per hook,
//! buffered, and quota-checked as Juju does (`core/quota`).

use super::{UnitBackend, data};
use crate::backend::ToolResult;
use crate::backend::error::juju;
use crate::bindings::types::StringMap;
use crate::limits::bag_delta;
use crate::state::Bag;

use crate::juju::unit_state::{MAX_KEY, MAX_TOTAL, MAX_VALUE};

/// The commit-time check of the whole unit state against `max-charm-state-size`.
pub(super) fn check_total(state: Option<&Bag>) -> Result<(), String> {
    let Some(state) = state else { return Ok(()) };
    let total: usize = state.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > MAX_TOTAL {
        return Err(format!(
            "max allowed charm state size ({MAX_TOTAL}) exceeded"
        ));
    }
    Ok(())
}

impl UnitBackend {
    pub(super) fn unit_state(&mut self) -> &Bag {
        self.unit_state_mut()
    }

    pub(super) fn unit_state_mut(&mut self) -> &mut Bag {
        let state = &self.state;
        self.tx
            .unit_state
            .get_or_insert_with(|| state.unit_state.clone())
    }

    pub(super) fn state_set(&mut self, settings: StringMap) -> ToolResult<()> {
        for (k, v) in &settings {
            if k.len() > MAX_KEY {
                return Err(juju::quota(format!(
                    "max allowed key length ({MAX_KEY}) exceeded"
                )));
            }
            if v.len() > MAX_VALUE {
                return Err(juju::quota(format!(
                    "max allowed value length ({MAX_VALUE}) exceeded"
                )));
            }
        }
        let (old, new) = bag_delta(
            self.unit_state(),
            settings.iter().map(|(k, v)| (k, v)),
            false,
        );
        self.budget.replace(old, new).map_err(data::refused)?;
        let bag = self.unit_state_mut();
        for (k, v) in settings {
            bag.insert(k, v);
        }
        Ok(())
    }

    /// `state-delete`: a missing key is fine.
    pub(super) fn state_delete(&mut self, key: &str) {
        if let Some(v) = self.unit_state_mut().remove(key) {
            // Shrinking always fits the budget.
            let _ = self.budget.replace(key.len() + v.len(), 0);
        }
    }
}
