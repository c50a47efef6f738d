//! Each unit's disk, for WASI guests (a Python charm keeps ops' SQLite
//! `StoredState` and its `/tmp` there; Rust charms never touch it): one
//! directory per unit and pod, beside the model file (`<model>.units/`) or,
//! for a model in memory, in a temporary directory removed with the
//! simulator. A recreated k8s pod gets a new, empty directory — the charm's
//! local files go with the pod — and the old pod's is removed; machine units
//! keep theirs.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::names::UnitName;

/// Where the units' disks live.
#[derive(Debug)]
pub struct UnitDisks {
    /// None: a temporary directory could not be made; units then get a
    /// scratch directory per hook.
    base: Option<PathBuf>,
    /// Made for a model in memory: removed on drop.
    temporary: bool,
    /// The pod each unit's disk was last asked for by this process: the
    /// disk directory is looked at only when that changes, not every hook.
    checked: HashMap<UnitName, u32>,
}

impl UnitDisks {
    /// Beside the model file `model`: `<model>.units/`.
    pub fn beside(model: &Path) -> UnitDisks {
        let mut name = model.file_name().unwrap_or_default().to_os_string();
        name.push(".units");
        UnitDisks {
            base: Some(model.with_file_name(name)),
            temporary: false,
            checked: HashMap::new(),
        }
    }

    /// A new temporary directory, private to this user, under an
    /// unpredictable name created exclusively (nothing planted in the
    /// shared temporary directory is used). When it cannot be made (with a
    /// warning), units get no disk: a scratch directory for each hook.
    pub fn temporary() -> UnitDisks {
        let tmp = std::env::temp_dir();
        let base = crate::sandbox::private_dir_in(&tmp, "charmbox-sim")
            .inspect_err(|e| {
                tracing::warn!("cannot make the units' disks in {}: {e}", tmp.display())
            })
            .ok();
        UnitDisks {
            base,
            temporary: true,
            checked: HashMap::new(),
        }
    }

    /// The disk of `unit` in its pod `pod`. The directory itself is made by
    /// the host when the guest first uses it; a unit's earlier pods' disks
    /// are removed when a new pod's is asked for.
    pub fn of(&mut self, unit: &UnitName, pod: u32) -> Option<PathBuf> {
        let unit_dir = self.unit_dir(unit)?;
        let dir = unit_dir.join(format!("pod-{pod}"));
        if self.checked.insert(unit.clone(), pod) == Some(pod) {
            return Some(dir);
        }
        if !dir.exists()
            && let Ok(old) = fs::read_dir(&unit_dir)
        {
            for entry in old.flatten() {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
        Some(dir)
    }
}

impl UnitDisks {
    /// Remove the disks of `unit`, every pod's: the unit is gone for good
    /// (Juju never reuses a unit's number).
    pub fn remove(&mut self, unit: &UnitName) {
        self.checked.remove(unit);
        if let Some(dir) = self.unit_dir(unit) {
            let _ = fs::remove_dir_all(dir);
        }
    }

    fn unit_dir(&self, unit: &UnitName) -> Option<PathBuf> {
        let base = self.base.as_ref()?;
        Some(base.join(unit.to_string().replace('/', "-")))
    }
}

impl Drop for UnitDisks {
    fn drop(&mut self) {
        if self.temporary
            && let Some(base) = &self.base
        {
            let _ = fs::remove_dir_all(base);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_pod_gets_an_empty_disk_and_the_old_one_goes() {
        let mut disks = UnitDisks::temporary();
        let unit = UnitName::new("app", 0);
        let first = disks.of(&unit, 0).unwrap();
        fs::create_dir_all(&first).unwrap();
        fs::write(first.join("state.db"), b"x").unwrap();
        // A guest's symlink out of its disk: removed with the disk, what it
        // points to is not.
        let outside = disks.base.as_ref().unwrap().with_extension("outside");
        fs::create_dir_all(&outside).unwrap();
        fs::write(outside.join("keep"), b"k").unwrap();
        std::os::unix::fs::symlink(&outside, first.join("out")).unwrap();
        assert_eq!(disks.of(&unit, 0).unwrap(), first, "same pod, same disk");
        assert!(first.join("state.db").exists());
        let second = disks.of(&unit, 1).unwrap();
        assert_ne!(second, first);
        assert!(!first.exists(), "the old pod's disk is gone");
        assert!(outside.join("keep").exists(), "nothing outside removed");
        fs::remove_dir_all(&outside).unwrap();
        disks.remove(&unit);
        assert!(
            !second.parent().unwrap().exists(),
            "a removed unit's disks go"
        );
        let base = disks.base.clone().unwrap();
        drop(disks);
        assert!(!base.exists());
    }

    #[test]
    fn temporary_disks_are_private_and_fresh() {
        use std::os::unix::fs::PermissionsExt;
        let (a, b) = (UnitDisks::temporary(), UnitDisks::temporary());
        assert_ne!(a.base, b.base);
        let mode = fs::metadata(a.base.as_ref().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "{mode:o}");
    }

    #[test]
    fn beside_a_model_file() {
        let d = UnitDisks::beside(Path::new("/m/model.db"));
        assert_eq!(d.base.as_deref(), Some(Path::new("/m/model.db.units")));
        assert!(!d.temporary);
    }
}
