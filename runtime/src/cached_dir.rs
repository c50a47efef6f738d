//! A directory of the cache filled once: built in a staging sibling, marked
//! complete and renamed into place, so a reader never sees half of one and
//! two processes filling the same directory keep one of two equal results.
//! Used for installed Python requirements, native charms' metadata files
//! and their hook-tool links.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// `name` as a file name: ASCII letters, digits and `-` kept, anything else
/// `_`, at most `max` characters.
pub fn file_safe(name: &str, max: usize) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(max)
        .collect()
}

/// The marker a finished directory holds.
pub const COMPLETE: &str = ".complete";

/// A temporary sibling of `dir`, unique per process and call (named
/// `.<name>.<pid>.<n>.tmp`).
pub fn staging(dir: &Path) -> PathBuf {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let name = dir.file_name().unwrap_or_default().to_string_lossy();
    dir.with_file_name(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ))
}

/// `dir`, filled by `fill` unless a complete one is already there. `fill`
/// gets an empty staging directory; when it fails nothing is left behind.
/// `io` turns the staging steps' own errors into the caller's.
pub fn fill_once<E>(
    dir: &Path,
    fill: impl FnOnce(&Path) -> Result<(), E>,
    io: impl Fn(String) -> E,
) -> Result<PathBuf, E> {
    if dir.join(COMPLETE).is_file() {
        return Ok(dir.to_path_buf());
    }
    let tmp = staging(dir);
    let _ = std::fs::remove_dir_all(&tmp);
    let made = std::fs::create_dir_all(&tmp)
        .map_err(|e| io(format!("cannot make {}: {e}", tmp.display())))
        .and_then(|()| fill(&tmp))
        .and_then(|()| {
            std::fs::write(tmp.join(COMPLETE), b"")
                .map_err(|e| io(format!("cannot finish {}: {e}", tmp.display())))
        });
    if let Err(e) = made {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let mut moved = std::fs::rename(&tmp, dir);
    if moved.is_err() && dir.is_dir() && !dir.join(COMPLETE).is_file() {
        // A directory left without the marker (by an older charmbox, which
        // marked completion otherwise): replaced, since only a complete
        // directory is ever moved into place.
        let _ = std::fs::remove_dir_all(dir);
        moved = std::fs::rename(&tmp, dir);
    }
    match moved {
        Ok(()) => Ok(dir.to_path_buf()),
        // Another process got there first: the same content.
        Err(_) if dir.join(COMPLETE).is_file() => {
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(dir.to_path_buf())
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            Err(io(format!(
                "cannot move {} to {}: {e}",
                tmp.display(),
                dir.display()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_is_filled_once_and_a_failure_leaves_nothing() {
        let root = std::env::temp_dir().join(format!("charmbox-cached-dir-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let dir = root.join("k");
        let failed: Result<PathBuf, String> = fill_once(&dir, |_| Err("no".to_string()), |m| m);
        assert_eq!(failed.unwrap_err(), "no");
        assert_eq!(
            std::fs::read_dir(&root).unwrap().count(),
            0,
            "nothing left behind"
        );
        let mut fills = 0;
        for _ in 0..2 {
            let got = fill_once(
                &dir,
                |tmp| {
                    fills += 1;
                    std::fs::write(tmp.join("x"), b"1").map_err(|e| e.to_string())
                },
                |m| m,
            )
            .unwrap();
            assert_eq!(got, dir);
        }
        assert_eq!(fills, 1);
        assert_eq!(std::fs::read(dir.join("x")).unwrap(), b"1");
        // One without the marker is replaced.
        std::fs::remove_file(dir.join(COMPLETE)).unwrap();
        let again = fill_once(
            &dir,
            |tmp| std::fs::write(tmp.join("x"), b"2").map_err(|e| e.to_string()),
            |m| m,
        );
        assert_eq!(again.unwrap(), dir);
        assert_eq!(std::fs::read(dir.join("x")).unwrap(), b"2");
        let _ = std::fs::remove_dir_all(&root);
    }
}
