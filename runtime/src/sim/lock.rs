//! One command at a time on a model file: an exclusive advisory lock
//! (`flock`) on `<model>.lock` beside it, taken before the file is read and
//! held until the store (`Store`) is dropped, so no command
//! works on a model another command is changing. The kernel releases it when
//! the process ends, however it ends. The lock file is never removed:
//! removing it would let a waiting command and a new one both "hold" it.
//!
//! The lock is keyed by the model file's canonical path; the same file
//! reached by another name (a hard link) is caught by the store's
//! generation check instead, which refuses to write a stale model.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::SimError;

/// How long a command waits for another command's lock on the same model
/// file before failing with "model … is busy" (`charmbox model --wait`,
/// `charmbox sim --wait`).
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(60);

/// How often a waiting command tries the lock again.
const POLL: Duration = Duration::from_millis(25);

/// The lock on one model file, held while this value lives.
#[derive(Debug)]
pub struct ModelLock {
    _file: File,
    model: PathBuf,
}

/// The lock file of a model file: `<canonical model path>.lock`.
pub fn lock_path(model: &Path) -> PathBuf {
    // A symlink to the model shares its target's lock; a model that does
    // not exist yet is locked by the name it will have.
    let real = match (model.parent(), model.file_name()) {
        (Some(dir), Some(name)) => {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            match std::fs::canonicalize(model) {
                Ok(p) => p,
                Err(_) => std::fs::canonicalize(dir)
                    .map(|d| d.join(name))
                    .unwrap_or_else(|_| model.to_path_buf()),
            }
        }
        _ => model.to_path_buf(),
    };
    let mut name = real.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    real.with_file_name(name)
}

impl ModelLock {
    /// Take the lock of `model`, waiting up to `wait` for a command that
    /// holds it; `waiting` is called once if the lock is not free at once.
    pub fn acquire(
        model: &Path,
        wait: Duration,
        waiting: &mut dyn FnMut(&Path),
    ) -> Result<ModelLock, SimError> {
        let path = lock_path(model);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| SimError::Lock {
                path: path.display().to_string(),
                source: e,
            })?;
        let start = Instant::now();
        let mut told = false;
        loop {
            match file.try_lock() {
                Ok(()) => {
                    return Ok(ModelLock {
                        _file: file,
                        model: model.to_path_buf(),
                    });
                }
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(e)) => {
                    return Err(SimError::Lock {
                        path: path.display().to_string(),
                        source: e,
                    });
                }
            }
            let waited = start.elapsed();
            if waited >= wait {
                return Err(SimError::Busy {
                    model: model.display().to_string(),
                    waited,
                });
            }
            if !told {
                told = true;
                waiting(model);
            }
            std::thread::sleep(POLL.min(wait - waited));
        }
    }

    /// The model file this lock is for.
    pub fn model(&self) -> &Path {
        &self.model
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_waits_then_is_told_busy() {
        let dir = std::env::temp_dir().join(format!("charmbox-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let model = dir.join("m.db");
        let first = ModelLock::acquire(&model, Duration::ZERO, &mut |_| {}).unwrap();
        let mut told = 0;
        let err =
            ModelLock::acquire(&model, Duration::from_millis(60), &mut |_| told += 1).unwrap_err();
        assert_eq!(told, 1);
        let text = err.to_string();
        assert!(text.contains("is busy"), "{text}");
        assert!(text.contains("m.db"), "{text}");
        // A symlink to the model shares its lock.
        std::fs::write(&model, b"").unwrap();
        let link = dir.join("link.db");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&model, &link).unwrap();
        assert!(ModelLock::acquire(&link, Duration::ZERO, &mut |_| {}).is_err());
        drop(first);
        let again = ModelLock::acquire(&link, Duration::ZERO, &mut |_| {}).unwrap();
        assert_eq!(again.model(), link);
        drop(again);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
