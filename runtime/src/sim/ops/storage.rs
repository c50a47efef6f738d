//! Storage after deploy (machine models): `juju add-storage` attaches new
//! storage instances to a unit, `juju detach-storage` takes one away.

use super::super::model::{Life, Substrate};
use super::super::names::UnitName;
use super::super::{SimError, Simulator};
use super::{not_found, usage};
use crate::state::StorageState;

/// `name/index`, as Juju names a storage instance.
fn storage_id(s: &StorageState) -> String {
    format!("{}/{}", s.name, s.index)
}

impl Simulator {
    fn machine_storage(&self, what: &str) -> Result<(), SimError> {
        if self.model.meta.kind != Substrate::Machine {
            return usage(format!(
                "{what} is modelled for machine models only (on Kubernetes, storage comes with the pod)"
            ));
        }
        Ok(())
    }

    /// `juju add-storage UNIT NAME=COUNT`: `count` new instances of the
    /// charm's storage `name`, numbered from the model-wide sequence; the
    /// unit runs `<name>-storage-attached` for each (Juju 3.x
    /// `internal/worker/uniter/storage/resolver.go`: an attachment not yet
    /// attached runs storage-attached). At most the charm's maximum count.
    /// Returns the new storage ids.
    pub fn add_storage(
        &mut self,
        unit: &str,
        name: &str,
        count: u32,
    ) -> Result<Vec<String>, SimError> {
        self.machine_storage("add-storage")?;
        let unit_name = self.unit_name(unit)?;
        let meta = self.meta_of(&unit_name.app)?;
        let Some(limits) = meta.storage_counts.get(name) else {
            return usage(format!("charm has no storage {name:?}"));
        };
        if count == 0 {
            return usage("add-storage needs a count of at least 1");
        }
        let u = self.model.unit(&unit_name).expect("unit_name checked it");
        if u.life != Life::Alive {
            return usage(format!("unit {unit} is being removed"));
        }
        let have = self.storage_count(&unit_name, name);
        if let Some(max) = limits.max
            && have + u64::from(count) > max
        {
            return usage(format!(
                "storage {name:?} of {unit}: {have} attached, adding {count} would exceed the charm's maximum of {max}"
            ));
        }
        let mut ids = Vec::new();
        for _ in 0..count {
            let s = StorageState {
                name: name.to_string(),
                index: self.model.next_storage_id(),
                location: None,
            };
            ids.push(storage_id(&s));
            let u = self.model.unit_mut(&unit_name).expect("checked");
            u.agent.storage_attaching.insert(storage_id(&s));
            u.storages.push(s);
        }
        self.finish_op([unit_name].into_iter().collect())?;
        Ok(ids)
    }

    /// The unit's instances of storage `name` not being detached.
    fn storage_count(&self, unit: &UnitName, name: &str) -> u64 {
        let Some(u) = self.model.unit(unit) else {
            return 0;
        };
        (u.storages.iter())
            .filter(|s| s.name == name && !u.agent.storage_detaching.contains(&storage_id(s)))
            .count() as u64
    }

    /// `juju detach-storage ID`: the attachment is dying, so the unit runs
    /// `<name>-storage-detaching` and the storage goes
    /// (`storage/resolver.go`); one never attached goes without a hook.
    /// Not below the charm's minimum count.
    pub fn detach_storage(&mut self, id: &str) -> Result<(), SimError> {
        self.machine_storage("detach-storage")?;
        let holder = self
            .model
            .units
            .values()
            .find(|u| u.storages.iter().any(|s| storage_id(s) == id))
            .map(|u| u.name.clone())
            .ok_or_else(|| not_found("storage", id))?;
        let u = self.model.unit(&holder).expect("found");
        if u.life != Life::Alive {
            return usage(format!("unit {holder} is being removed"));
        }
        if u.agent.storage_detaching.contains(id) {
            return usage(format!("storage {id} is already being detached"));
        }
        let name = id.split('/').next().unwrap_or_default().to_string();
        let meta = self.meta_of(&holder.app)?;
        let min = meta.storage_counts.get(&name).map_or(0, |c| c.min);
        if self.storage_count(&holder, &name) <= min {
            return usage(format!(
                "storage {id}: detaching it would leave {holder} below the charm's minimum of {min} {name:?}"
            ));
        }
        let u = self.model.unit_mut(&holder).expect("found");
        if u.agent.storage_attaching.remove(id) {
            u.storages.retain(|s| storage_id(s) != id);
        } else {
            u.agent.storage_detaching.insert(id.to_string());
        }
        self.finish_op([holder].into_iter().collect())
    }
}
