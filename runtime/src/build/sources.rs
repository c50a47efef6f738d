//! A charm's source files for the C and JavaScript builds: one bounded
//! walk (files, bytes and directory entries capped; symlinks neither
//! followed nor read) and one way to feed them into a cache key.

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Most source files, and bytes of source, one charm may have.
pub(crate) const MAX_FILES: usize = 1_000;
pub(crate) const MAX_BYTES: u64 = 64 << 20;
/// Most directory entries looked at (a tree of empty directories is bounded too).
const MAX_ENTRIES: usize = 100_000;

/// The files under `src` whose extension is one of `exts`, by path
/// relative to `src`, sorted, with their contents; or why not.
pub(crate) fn collect(src: &Path, exts: &[&str]) -> Result<Vec<(PathBuf, Vec<u8>)>, String> {
    let mut found = Vec::new();
    let mut total = 0u64;
    let mut seen = 0usize;
    let mut stack = vec![src.to_path_buf()];
    let err = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).map_err(|e| err(&dir, e))? {
            seen += 1;
            if seen > MAX_ENTRIES {
                return Err(format!(
                    "more than {MAX_ENTRIES} entries under {}",
                    src.display()
                ));
            }
            let entry = entry.map_err(|e| err(&dir, e))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|e| err(&path, e))?;
            if kind.is_dir() {
                stack.push(path);
                continue;
            }
            let wanted = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| exts.contains(&e));
            if !kind.is_file() || !wanted {
                continue;
            }
            if found.len() >= MAX_FILES {
                return Err(format!("more than {MAX_FILES} files"));
            }
            let bytes = fs::read(&path).map_err(|e| err(&path, e))?;
            total += bytes.len() as u64;
            if total > MAX_BYTES {
                return Err(format!("more than {MAX_BYTES} bytes"));
            }
            let rel = path.strip_prefix(src).unwrap_or(&path).to_path_buf();
            found.push((rel, bytes));
        }
    }
    found.sort();
    Ok(found)
}

/// Feed named parts into `h`, each name and part NUL-terminated.
pub(crate) fn hash_named<'a>(h: &mut Sha256, parts: impl IntoIterator<Item = (&'a str, &'a [u8])>) {
    for (name, bytes) in parts {
        h.update(name.as_bytes());
        h.update([0]);
        h.update(bytes);
        h.update([0]);
    }
}

/// The key of a hash, as hex.
pub(crate) fn hex(h: Sha256) -> String {
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinks_are_not_followed_and_bounds_hold() {
        let dir = std::env::temp_dir().join(format!("charmbox-sources-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("sub")).unwrap();
        fs::write(dir.join("a.c"), "int a;").unwrap();
        fs::write(dir.join("sub/b.h"), "int b;").unwrap();
        fs::write(dir.join("notes.txt"), "no").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.join("evil.c")).unwrap();
        std::os::unix::fs::symlink(&dir, dir.join("loop")).unwrap();
        let got = collect(&dir, &["c", "h"]).unwrap();
        let names: Vec<_> = got.iter().map(|(p, _)| p.display().to_string()).collect();
        assert_eq!(names, ["a.c", "sub/b.h"]);
        for i in 0..=MAX_FILES {
            fs::write(dir.join(format!("f{i}.c")), "").unwrap();
        }
        let e = collect(&dir, &["c"]).unwrap_err();
        assert_eq!(e, format!("more than {MAX_FILES} files"));
        fs::remove_dir_all(&dir).unwrap();
    }
}
