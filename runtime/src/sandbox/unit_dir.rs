//! The unit's writable directories, for WASI guests (Python charms): a
//! state directory (ops keeps its SQLite `StoredState` there) and `/tmp`.
//!
//! On the host they live under one directory laid out as the guest sees
//! them (`<dir>/tmp`, `<dir>/var/lib/charmbox/state`), so the raw hook tools
//! can map a guest path such as ops' `key#file=/tmp/tmpab12/key` onto it with
//! a [`DirHost`](crate::jujuc::host::DirHost) rooted there.
//!
//! The directory is either the caller's (kept across events: the unit's
//! disk) or a scratch directory made for one dispatch and removed with it.
//! It is made lazily, when the guest first uses WASI: guests without WASI
//! (Rust charms) never pay for it.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

/// Where the guest sees the unit's state directory.
pub const GUEST_STATE_DIR: &str = "/var/lib/charmbox/state";
/// Where the guest sees its temporary directory.
pub const GUEST_TMP_DIR: &str = "/tmp";

/// A unit's writable directories on the host.
#[derive(Debug)]
pub struct UnitDirs {
    root: PathBuf,
    /// Made for one dispatch: removed on drop.
    scratch: bool,
}

impl UnitDirs {
    /// The unit directory `dir` (created if missing), or a fresh scratch one.
    pub fn open(dir: Option<&Path>) -> io::Result<UnitDirs> {
        let dirs = match dir {
            Some(d) => UnitDirs {
                root: std::path::absolute(d)?,
                scratch: false,
            },
            None => UnitDirs::scratch()?,
        };
        fs::create_dir_all(dirs.state())?;
        fs::create_dir_all(dirs.tmp())?;
        Ok(dirs)
    }

    /// A new empty directory, removed when dropped: in memory (`/dev/shm`)
    /// where there is one, as nothing in it outlives the dispatch (SQLite's
    /// fsyncs are then free), else under the system's temporary directory.
    pub fn scratch() -> io::Result<UnitDirs> {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let seq = SEQ.fetch_add(1, Ordering::Relaxed);
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let root = base.join(format!("charmbox-unit-{}-{seq}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root)?;
        Ok(UnitDirs {
            root,
            scratch: true,
        })
    }

    /// The host directory standing for the guest's `/`.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The host side of [`GUEST_STATE_DIR`].
    pub fn state(&self) -> PathBuf {
        self.root.join(GUEST_STATE_DIR.trim_start_matches('/'))
    }

    /// The host side of [`GUEST_TMP_DIR`].
    pub fn tmp(&self) -> PathBuf {
        self.root.join(GUEST_TMP_DIR.trim_start_matches('/'))
    }

    /// Remove lock directories left in the state directory. SQLite under
    /// WASI locks a database with a `<db>.lock` directory; a guest that
    /// trapped (out of fuel, say) never removed its own, and the next event
    /// would wait on it forever. One event runs per unit at a time, so any
    /// lock found before an event is stale.
    pub fn remove_stale_locks(&self) {
        let Ok(entries) = fs::read_dir(self.state()) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let is_lock = path.extension().is_some_and(|e| e == "lock");
            if is_lock && path.is_dir() {
                tracing::debug!(lock = %path.display(), "removing a stale SQLite lock");
                let _ = fs::remove_dir_all(&path);
            }
        }
    }

    /// Preopen the directories read-write into a WASI context.
    fn preopen(&self, b: &mut WasiCtxBuilder) -> io::Result<()> {
        for (host, guest) in [(self.state(), GUEST_STATE_DIR), (self.tmp(), GUEST_TMP_DIR)] {
            b.preopened_dir(&host, guest, FsPerms::ReadWrite)
                .map_err(|e| io::Error::other(format!("{}: {e}", host.display())))?;
        }
        Ok(())
    }
}

impl Drop for UnitDirs {
    fn drop(&mut self) {
        if self.scratch {
            let _ = fs::remove_dir_all(&self.root);
        }
    }
}

/// Open the unit's directories (`dir`, else a scratch one), clear stale
/// locks and preopen them into `b`. None (with a warning) when they cannot be
/// made: the guest then sees no writable directory.
pub(crate) fn mount(b: &mut WasiCtxBuilder, dir: Option<&Path>) -> Option<UnitDirs> {
    let opened = UnitDirs::open(dir).and_then(|dirs| {
        dirs.remove_stale_locks();
        dirs.preopen(b)?;
        Ok(dirs)
    });
    match opened {
        Ok(dirs) => Some(dirs),
        Err(e) => {
            tracing::warn!("cannot give the guest its writable directories: {e}");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_dirs_are_laid_out_as_the_guest_sees_them_and_removed() {
        let dirs = UnitDirs::open(None).unwrap();
        let root = dirs.root().to_path_buf();
        assert_eq!(dirs.state(), root.join("var/lib/charmbox/state"));
        assert_eq!(dirs.tmp(), root.join("tmp"));
        assert!(dirs.state().is_dir() && dirs.tmp().is_dir());
        drop(dirs);
        assert!(!root.exists());
    }

    #[test]
    fn a_given_dir_is_kept_and_stale_locks_are_removed() {
        let root = std::env::temp_dir().join(format!("charmbox-unit-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let dirs = UnitDirs::open(Some(&root)).unwrap();
        fs::create_dir(dirs.state().join(".unit-state.db.lock")).unwrap();
        fs::write(dirs.state().join(".unit-state.db"), b"db").unwrap();
        fs::write(dirs.state().join("note.lock"), b"a file, not a lock dir").unwrap();
        dirs.remove_stale_locks();
        assert!(!dirs.state().join(".unit-state.db.lock").exists());
        assert!(dirs.state().join(".unit-state.db").exists());
        assert!(dirs.state().join("note.lock").exists());
        drop(dirs);
        assert!(root.join("var/lib/charmbox/state/.unit-state.db").exists());
        fs::remove_dir_all(&root).unwrap();
    }
}
