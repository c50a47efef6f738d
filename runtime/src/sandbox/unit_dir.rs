//! The unit's writable directories, for WASI guests (Python charms): a
//! state directory (ops keeps its SQLite `StoredState` there) and `/tmp`.
//!
//! On the host they live under one directory laid out as the guest sees
//! them (`<dir>/tmp`, `<dir>/var/lib/charmbox/state`). Hook tools reach them
//! only through the capability handles of [`GuestFs`] (with the charm
//! directory, read-only): the guest's symlinks cannot lead the host out.
//!
//! The directory is either the caller's (kept across events: the unit's
//! disk) or a scratch directory made for one dispatch and removed with it.
//! It is made lazily, when the guest first uses WASI: guests without WASI
//! (Rust charms) never pay for it.

use std::collections::BTreeMap;
use std::fs;
use std::hash::BuildHasher;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use cap_std::ambient_authority;
use cap_std::fs::Dir;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

use super::guest_fs::GuestFs;

/// Where the guest sees the unit's state directory.
pub const GUEST_STATE_DIR: &str = "/var/lib/charmbox/state";
/// Where the guest sees its temporary directory.
pub const GUEST_TMP_DIR: &str = "/tmp";

/// How many fresh names [`private_dir_in`] tries before giving up (a name
/// is only passed over when something already exists there).
const SCRATCH_ATTEMPTS: u32 = 16;

/// A unit's writable directories on the host.
#[derive(Debug)]
pub struct UnitDirs {
    root: PathBuf,
    /// Handles on the state directory and `/tmp`, opened once.
    state_dir: Dir,
    tmp_dir: Dir,
    /// Made for one dispatch: removed on drop.
    scratch: bool,
    /// The machine directories laid out under the root (to read back).
    machine: Option<std::sync::Arc<super::MachineDirs>>,
}

impl UnitDirs {
    /// The unit directory `dir` (created if missing), or a fresh scratch one.
    pub fn open(dir: Option<&Path>) -> io::Result<UnitDirs> {
        let (root, scratch) = match dir {
            Some(d) => {
                let root = std::path::absolute(d)?;
                fs::create_dir_all(&root)?;
                (root, false)
            }
            None => (scratch_root()?, true),
        };
        let opened = (|| {
            let top = Dir::open_ambient_dir(&root, ambient_authority())?;
            let state = GUEST_STATE_DIR.trim_start_matches('/');
            let tmp = GUEST_TMP_DIR.trim_start_matches('/');
            top.create_dir_all(state)?;
            top.create_dir_all(tmp)?;
            Ok::<_, io::Error>((top.open_dir(state)?, top.open_dir(tmp)?))
        })();
        match opened {
            Ok((state_dir, tmp_dir)) => Ok(UnitDirs {
                root,
                state_dir,
                tmp_dir,
                scratch,
                machine: None,
            }),
            Err(e) => {
                if scratch {
                    let _ = fs::remove_dir_all(&root);
                }
                Err(e)
            }
        }
    }

    /// A new empty directory, removed when dropped (see [`scratch_root`]).
    pub fn scratch() -> io::Result<UnitDirs> {
        UnitDirs::open(None)
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
    /// lock found before an event is stale. Only real directories are
    /// removed, through the state directory's handle: a symlink named
    /// `x.lock` is left alone, and nothing outside is looked at.
    pub fn remove_stale_locks(&self) {
        let Ok(entries) = self.state_dir.entries() else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let is_lock = Path::new(&name).extension().is_some_and(|e| e == "lock");
            // `file_type` does not follow symlinks.
            if is_lock && entry.file_type().is_ok_and(|t| t.is_dir()) {
                tracing::debug!(lock = ?name, "removing a stale SQLite lock");
                let _ = self.state_dir.remove_dir_all(&name);
            }
        }
    }

    /// The guest's directories as hook tools reach them: these two
    /// read-write, and `charm_dir` (host path, guest path) read-only, the
    /// working directory.
    pub fn guest_fs(&self, charm_dir: Option<&(PathBuf, String)>) -> GuestFs {
        let mut gfs = GuestFs::new(charm_dir.map_or("/", |(_, guest)| guest.as_str()));
        for (dir, guest) in [
            (&self.state_dir, GUEST_STATE_DIR),
            (&self.tmp_dir, GUEST_TMP_DIR),
        ] {
            match dir.try_clone() {
                Ok(d) => gfs.mount(guest, d, true),
                Err(e) => tracing::warn!("cannot give hook tools {guest}: {e}"),
            }
        }
        if let Some((host, guest)) = charm_dir
            && let Err(e) = gfs.mount_path(guest, host, false)
        {
            tracing::warn!(
                "cannot give hook tools the charm directory {}: {e}",
                host.display()
            );
        }
        gfs
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

/// A new empty directory for one dispatch: in memory (`/dev/shm`) where
/// there is one, as nothing in it outlives the dispatch (SQLite's fsyncs are
/// then free), else under the system's temporary directory.
fn scratch_root() -> io::Result<PathBuf> {
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    private_dir_in(&base, "charmbox-unit")
}

/// A new directory `<base>/<prefix>-<pid>-<n>-<random>`, private to this
/// user (mode 0700). Its name is unpredictable and it is created
/// exclusively: a directory or symlink planted under a guessed name in a
/// shared directory (`/tmp`, `/dev/shm`) is never used.
pub(crate) fn private_dir_in(base: &Path, prefix: &str) -> io::Result<PathBuf> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let mut last = None;
    for _ in 0..SCRATCH_ATTEMPTS {
        let seq = SEQ.fetch_add(1, Ordering::Relaxed);
        // RandomState is keyed from the OS's randomness.
        let noise = std::collections::hash_map::RandomState::new().hash_one(seq);
        let root = base.join(format!(
            "{prefix}-{}-{seq}-{noise:016x}",
            std::process::id()
        ));
        match create_private_dir(&root) {
            Ok(()) => return Ok(root),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no fresh directory name left")))
}

/// `mkdir` that fails if anything (a symlink too) is already at `path`.
fn create_private_dir(path: &Path) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(path)
}

impl Drop for UnitDirs {
    fn drop(&mut self) {
        if self.scratch {
            // remove_dir_all removes symlinks, never what they point to.
            let _ = fs::remove_dir_all(&self.root);
        }
    }
}

/// Open the unit's directories (`dir`, else a scratch one), clear stale
/// locks and preopen them into `b`. None (with a warning) when they cannot be
/// made: the guest then sees no writable directory.
pub(crate) fn mount(
    b: &mut WasiCtxBuilder,
    dir: Option<&Path>,
    machine: Option<&std::sync::Arc<super::MachineDirs>>,
) -> Option<UnitDirs> {
    let opened = UnitDirs::open(dir).and_then(|mut dirs| {
        dirs.remove_stale_locks();
        dirs.preopen(b)?;
        if let Some(m) = machine {
            match m.mount(&dirs.root, b) {
                Ok(()) => dirs.machine = Some(m.clone()),
                // The guest then sees no machine directories, and the
                // State's files are left as they were.
                Err(e) => tracing::warn!("cannot lay out the machine directories: {e}"),
            }
        }
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

impl UnitDirs {
    /// The files of the machine directories after the event, when they
    /// were laid out for it (none: the State's files stay as they were).
    pub fn machine_files(&self) -> Option<Result<BTreeMap<String, Vec<u8>>, String>> {
        let m = self.machine.as_ref()?;
        Some(m.read_back(&self.root))
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
        // Private to this user, and a fresh name every time.
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&root).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "{mode:o}");
        let other = UnitDirs::open(None).unwrap();
        assert_ne!(other.root(), root);
        // A guest's symlink out of /tmp is removed with the directory, and
        // what it points to is not.
        let outside = root.with_extension("outside");
        fs::create_dir_all(&outside).unwrap();
        fs::write(outside.join("keep"), b"k").unwrap();
        std::os::unix::fs::symlink(&outside, dirs.tmp().join("out")).unwrap();
        drop(dirs);
        assert!(!root.exists());
        assert!(outside.join("keep").exists());
        fs::remove_dir_all(&outside).unwrap();
    }

    #[test]
    fn a_planted_scratch_name_is_never_used() {
        // Whatever sits under a name, create_private_dir refuses it.
        let planted = std::env::temp_dir().join(format!("charmbox-planted-{}", std::process::id()));
        let _ = fs::remove_file(&planted);
        std::os::unix::fs::symlink("/", &planted).unwrap();
        let e = create_private_dir(&planted).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        fs::remove_file(&planted).unwrap();
    }

    #[test]
    fn a_given_dir_is_kept_and_stale_locks_are_removed() {
        let root = std::env::temp_dir().join(format!("charmbox-unit-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let dirs = UnitDirs::open(Some(&root)).unwrap();
        fs::create_dir(dirs.state().join(".unit-state.db.lock")).unwrap();
        fs::write(dirs.state().join(".unit-state.db"), b"db").unwrap();
        fs::write(dirs.state().join("note.lock"), b"a file, not a lock dir").unwrap();
        // A symlink named like a lock, to a directory outside: left alone.
        let outside = root.with_extension("outside");
        fs::create_dir_all(outside.join("keep")).unwrap();
        std::os::unix::fs::symlink(&outside, dirs.state().join("evil.lock")).unwrap();
        dirs.remove_stale_locks();
        assert!(!dirs.state().join(".unit-state.db.lock").exists());
        assert!(dirs.state().join(".unit-state.db").exists());
        assert!(dirs.state().join("note.lock").exists());
        assert!(dirs.state().join("evil.lock").is_symlink());
        assert!(outside.join("keep").is_dir(), "nothing outside removed");
        fs::remove_dir_all(&outside).unwrap();
        drop(dirs);
        assert!(root.join("var/lib/charmbox/state/.unit-state.db").exists());
        fs::remove_dir_all(&root).unwrap();
    }
}
