//! The charm's machine directories (`charmbox: machine-files:`) on a
//! simulated machine: laid out under the unit's root from the State's
//! files before the guest runs, preopened at their guest paths, and read
//! back after it. Everything goes through capability handles on the unit's
//! root: a symlink the guest left cannot lead the host out, and the walk
//! back is bounded in files and depth.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::Path;

use cap_std::ambient_authority;
use cap_std::fs::Dir;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

use crate::capability::machine_files::{MAX_DEPTH, MAX_ENTRIES, MAX_FILES, directory_of};

/// The declared directories and the files they start the event with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MachineDirs {
    pub dirs: BTreeSet<String>,
    /// Absolute path → bytes.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl MachineDirs {
    /// The directories `dirs` holding `files` (path → bytes); an error
    /// names a file outside them or too deep, or one too many.
    pub fn new(
        dirs: &BTreeSet<String>,
        files: BTreeMap<String, Vec<u8>>,
    ) -> Result<MachineDirs, String> {
        if files.len() > MAX_FILES {
            return Err(format!(
                "machine.files: {} files, at most {MAX_FILES}",
                files.len()
            ));
        }
        if let Some(path) = files.keys().find(|p| directory_of(p, dirs).is_none()) {
            return Err(format!(
                "machine.files: {path:?} is not a file under a directory the charm declares \
                 (`charmbox: machine-files:` {dirs:?}, at most {MAX_DEPTH} levels below)"
            ));
        }
        Ok(MachineDirs {
            dirs: dirs.clone(),
            files,
        })
    }

    /// Replace the directories under `root` by the State's files and
    /// preopen them read-write at their guest paths.
    pub(crate) fn mount(&self, root: &Path, b: &mut WasiCtxBuilder) -> io::Result<()> {
        let top = Dir::open_ambient_dir(root, ambient_authority())?;
        for dir in &self.dirs {
            let rel = dir.trim_start_matches('/');
            // What an earlier event left is the State's to say.
            if top.symlink_metadata(rel).is_ok() {
                top.remove_dir_all(rel).or_else(|_| top.remove_file(rel))?;
            }
            top.create_dir_all(rel)?;
        }
        for (path, bytes) in &self.files {
            let rel = Path::new(path.trim_start_matches('/'));
            if let Some(parent) = rel.parent() {
                top.create_dir_all(parent)?;
            }
            top.write(rel, bytes)?;
        }
        for dir in &self.dirs {
            b.preopened_dir(
                root.join(dir.trim_start_matches('/')),
                dir,
                FsPerms::ReadWrite,
            )
            .map_err(|e| io::Error::other(format!("{dir}: {e}")))?;
        }
        Ok(())
    }

    /// The regular files under the directories of `root` after the event.
    /// Symlinks and other special files are not kept; more than
    /// [`MAX_FILES`] files or [`MAX_ENTRIES`] entries, or a file deeper than
    /// [`MAX_DEPTH`], is an error.
    pub(crate) fn read_back(&self, root: &Path) -> Result<BTreeMap<String, Vec<u8>>, String> {
        let top = Dir::open_ambient_dir(root, ambient_authority()).map_err(|e| e.to_string())?;
        let mut out = BTreeMap::new();
        let mut seen = 0usize;
        for dir in &self.dirs {
            let rel = dir.trim_start_matches('/');
            let Ok(d) = top.open_dir(rel) else {
                continue;
            };
            let mut todo = vec![(d, dir.clone(), 0usize)];
            while let Some((d, at, depth)) = todo.pop() {
                let entries = d.entries().map_err(|e| format!("{at}: {e}"))?;
                for entry in entries {
                    let entry = entry.map_err(|e| format!("{at}: {e}"))?;
                    seen += 1;
                    if seen > MAX_ENTRIES {
                        return Err(format!(
                            "the machine directories hold more than {MAX_ENTRIES} entries"
                        ));
                    }
                    let name = entry.file_name();
                    let Some(name) = name.to_str() else {
                        return Err(format!("{at}: a file name that is not UTF-8"));
                    };
                    let path = format!("{at}/{name}");
                    let kind = entry.file_type().map_err(|e| format!("{path}: {e}"))?;
                    if kind.is_dir() {
                        if depth + 1 >= MAX_DEPTH {
                            return Err(format!("{path}: deeper than {MAX_DEPTH} levels"));
                        }
                        let sub = d.open_dir(name).map_err(|e| format!("{path}: {e}"))?;
                        todo.push((sub, path, depth + 1));
                    } else if kind.is_file() {
                        if out.len() >= MAX_FILES {
                            return Err(format!(
                                "the machine directories hold more than {MAX_FILES} files"
                            ));
                        }
                        let bytes = d.read(name).map_err(|e| format!("{path}: {e}"))?;
                        out.insert(path, bytes);
                    }
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dirs() -> BTreeSet<String> {
        ["/etc/kvdb".to_string()].into()
    }

    #[test]
    fn files_outside_the_declared_directories_are_refused() {
        let files = BTreeMap::from([("/etc/passwd".to_string(), b"root".to_vec())]);
        let e = MachineDirs::new(&dirs(), files).unwrap_err();
        assert!(e.contains("\"/etc/passwd\" is not a file under"), "{e}");
    }

    #[test]
    fn laid_out_files_come_back_and_symlinks_do_not_lead_out() {
        let root = crate::sandbox::private_dir_in(&std::env::temp_dir(), "machine-dirs").unwrap();
        let m = MachineDirs::new(
            &dirs(),
            BTreeMap::from([
                ("/etc/kvdb/kvdb.conf".to_string(), b"port 1\n".to_vec()),
                ("/etc/kvdb/keys/raw".to_string(), vec![0xff, 0]),
            ]),
        )
        .unwrap();
        let mut b = WasiCtxBuilder::new();
        m.mount(&root, &mut b).unwrap();
        // The guest leaves a symlink to a host file and a new file.
        let host = root.join("etc/kvdb");
        std::os::unix::fs::symlink("/etc/hostname", host.join("link")).unwrap();
        std::fs::write(host.join("new"), "n").unwrap();
        let back = m.read_back(&root).unwrap();
        let keys: Vec<&str> = back.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["/etc/kvdb/keys/raw", "/etc/kvdb/kvdb.conf", "/etc/kvdb/new"]
        );
        assert_eq!(back["/etc/kvdb/keys/raw"], vec![0xff, 0]);
        // A second mount lays out the State again: the leftovers go.
        m.mount(&root, &mut WasiCtxBuilder::new()).unwrap();
        assert!(!host.join("link").exists() && !host.join("new").exists());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn too_many_files_is_an_error_not_a_long_walk() {
        let root = crate::sandbox::private_dir_in(&std::env::temp_dir(), "machine-dirs").unwrap();
        let m = MachineDirs::new(&dirs(), BTreeMap::new()).unwrap();
        m.mount(&root, &mut WasiCtxBuilder::new()).unwrap();
        for n in 0..=MAX_FILES {
            std::fs::write(root.join(format!("etc/kvdb/f{n}")), "").unwrap();
        }
        let e = m.read_back(&root).unwrap_err();
        assert!(e.contains("more than 1024 files"), "{e}");
        std::fs::remove_dir_all(&root).unwrap();
        // Empty directories count too: the walk is bounded by entries.
        m.mount(&root_again(&root), &mut WasiCtxBuilder::new())
            .unwrap();
        for n in 0..=MAX_ENTRIES {
            std::fs::create_dir(root.join(format!("etc/kvdb/d{n}"))).unwrap();
        }
        let e = m.read_back(&root).unwrap_err();
        assert!(e.contains("more than 4096 entries"), "{e}");
        std::fs::remove_dir_all(&root).unwrap();
    }

    fn root_again(root: &Path) -> std::path::PathBuf {
        std::fs::create_dir_all(root).unwrap();
        root.to_path_buf()
    }
}
