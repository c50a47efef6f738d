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
use std::sync::atomic::{AtomicU64, Ordering};

use super::names::UnitName;

/// Where the units' disks live.
#[derive(Debug)]
pub struct UnitDisks {
    base: PathBuf,
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
            base: model.with_file_name(name),
            temporary: false,
            checked: HashMap::new(),
        }
    }

    /// A new temporary directory (made when a unit first writes to it).
    pub fn temporary() -> UnitDisks {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let seq = SEQ.fetch_add(1, Ordering::Relaxed);
        UnitDisks {
            base: std::env::temp_dir().join(format!("charmbox-sim-{}-{seq}", std::process::id())),
            temporary: true,
            checked: HashMap::new(),
        }
    }

    /// The disk of `unit` in its pod `pod`. The directory itself is made by
    /// the host when the guest first uses it; a unit's earlier pods' disks
    /// are removed when a new pod's is asked for.
    pub fn of(&mut self, unit: &UnitName, pod: u32) -> PathBuf {
        let unit_dir = self.unit_dir(unit);
        let dir = unit_dir.join(format!("pod-{pod}"));
        if self.checked.insert(unit.clone(), pod) == Some(pod) {
            return dir;
        }
        if !dir.exists()
            && let Ok(old) = fs::read_dir(&unit_dir)
        {
            for entry in old.flatten() {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
        dir
    }
}

impl UnitDisks {
    /// Remove the disks of `unit`, every pod's: the unit is gone for good
    /// (Juju never reuses a unit's number).
    pub fn remove(&mut self, unit: &UnitName) {
        self.checked.remove(unit);
        let _ = fs::remove_dir_all(self.unit_dir(unit));
    }

    fn unit_dir(&self, unit: &UnitName) -> PathBuf {
        self.base.join(unit.to_string().replace('/', "-"))
    }
}

impl Drop for UnitDisks {
    fn drop(&mut self) {
        if self.temporary {
            let _ = fs::remove_dir_all(&self.base);
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
        let first = disks.of(&unit, 0);
        fs::create_dir_all(&first).unwrap();
        fs::write(first.join("state.db"), b"x").unwrap();
        assert_eq!(disks.of(&unit, 0), first, "same pod, same disk");
        assert!(first.join("state.db").exists());
        let second = disks.of(&unit, 1);
        assert_ne!(second, first);
        assert!(!first.exists(), "the old pod's disk is gone");
        disks.remove(&unit);
        assert!(
            !second.parent().unwrap().exists(),
            "a removed unit's disks go"
        );
        let base = disks.base.clone();
        drop(disks);
        assert!(!base.exists());
    }

    #[test]
    fn beside_a_model_file() {
        let d = UnitDisks::beside(Path::new("/m/model.db"));
        assert_eq!(d.base, Path::new("/m/model.db.units"));
        assert!(!d.temporary);
    }
}
