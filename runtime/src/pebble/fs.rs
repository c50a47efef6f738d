//! The container's filesystem as Pebble's files API sees it: a tree of
//! files, directories and symlinks with modes and owners, and Pebble's
//! per-path errors (`not-found`, `permission-denied`, `generic-file-error`)
//! with Go's `*PathError` messages.

use std::collections::BTreeMap;

use crate::go::path::{clean, glob_match};
use crate::go::quote::quote;
use crate::limits::{FS_ENTRY_OVERHEAD, MAX_PATH_BYTES, mib};
use crate::pebble::clock::Instant;

/// One filesystem object.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    File(Vec<u8>),
    Dir,
    Symlink(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub kind: Kind,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub modified: Instant,
}

/// A per-path error: Pebble's kind and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError {
    pub kind: &'static str,
    pub message: String,
}

impl PathError {
    fn not_found(op: &str, path: &str) -> PathError {
        PathError {
            kind: "not-found",
            message: format!("{op} {path}: no such file or directory"),
        }
    }

    fn generic(message: String) -> PathError {
        PathError {
            kind: "generic-file-error",
            message,
        }
    }
}

/// Directories every container starts with.
pub const DEFAULT_DIRS: [&str; 9] = [
    "/", "/bin", "/etc", "/home", "/root", "/tmp", "/usr", "/usr/bin", "/var",
];

/// The whole tree, keyed by clean absolute path, within a size limit (the
/// host's, [`crate::limits::DEFAULT_PEBBLE_FS_BYTES`]): a write past it
/// fails as on a full disk.
#[derive(Debug, Clone)]
pub struct Fs {
    pub entries: BTreeMap<String, Entry>,
    /// Bytes the tree takes ([`entry_size`] summed): counted when first
    /// needed (after a snapshot is loaded), then kept by the methods here.
    used: Option<usize>,
    /// Most bytes the tree may take.
    limit: usize,
}

impl Default for Fs {
    fn default() -> Self {
        Fs {
            entries: BTreeMap::new(),
            used: None,
            limit: usize::MAX,
        }
    }
}

impl PartialEq for Fs {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

/// Bytes an entry takes against the limit: its path, contents (or link
/// target) and [`FS_ENTRY_OVERHEAD`].
pub fn entry_size(path: &str, e: &Entry) -> usize {
    let body = match &e.kind {
        Kind::File(data) => data.len(),
        Kind::Symlink(target) => target.len(),
        Kind::Dir => 0,
    };
    path.len() + body + FS_ENTRY_OVERHEAD
}

/// A path longer than Linux allows: `ENAMETOOLONG`.
fn check_length(op: &str, raw: &str) -> Result<(), PathError> {
    if raw.len() > MAX_PATH_BYTES {
        return Err(PathError::generic(format!(
            "{op} {}…: file name too long",
            &raw[..raw.floor_char_boundary(64)]
        )));
    }
    Ok(())
}

fn parent(path: &str) -> Option<String> {
    if path == "/" {
        return None;
    }
    let i = path.rfind('/')?;
    Some(if i == 0 { "/".into() } else { path[..i].into() })
}

/// `paths must be absolute, got "x"`.
pub fn check_absolute(path: &str) -> Result<(), PathError> {
    if path.starts_with('/') {
        Ok(())
    } else {
        Err(PathError::generic(format!(
            "paths must be absolute, got {}",
            quote(path)
        )))
    }
}

/// Owner and mode for new files and directories.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Owner {
    pub uid: u32,
    pub gid: u32,
}

impl Fs {
    /// Limit the tree to `bytes` (existing content over it stays; only
    /// growth is refused).
    pub fn set_limit(&mut self, bytes: usize) {
        self.limit = bytes;
    }

    /// Bytes the tree takes.
    pub fn usage(&mut self) -> usize {
        match self.used {
            Some(u) => u,
            None => {
                let u = self.entries.iter().map(|(p, e)| entry_size(p, e)).sum();
                self.used = Some(u);
                u
            }
        }
    }

    /// Refuse, as a full disk does, growth from `freed` bytes to `taken`.
    fn make_room(
        &mut self,
        op: &str,
        raw: &str,
        freed: usize,
        taken: usize,
    ) -> Result<(), PathError> {
        let after = self.usage().saturating_sub(freed).saturating_add(taken);
        if taken > freed && after > self.limit {
            return Err(PathError::generic(format!(
                "{op} {raw}: no space left on device (the container's filesystem \
                 would take {after} bytes, over the host's limit of {}: --max-pebble-fs-mib)",
                mib(self.limit as u64)
            )));
        }
        Ok(())
    }

    /// Insert or replace an entry, keeping the usage.
    fn put(&mut self, path: String, e: Entry) {
        let used = self.usage();
        let new = entry_size(&path, &e);
        let old = self.entries.get(&path).map_or(0, |o| entry_size(&path, o));
        self.used = Some(used.saturating_sub(old).saturating_add(new));
        self.entries.insert(path, e);
    }

    pub fn with_defaults(now: Instant) -> Fs {
        let mut fs = Fs::default();
        for d in DEFAULT_DIRS {
            fs.put(
                d.to_string(),
                Entry {
                    kind: Kind::Dir,
                    mode: if d == "/tmp" { 0o1777 } else { 0o755 },
                    uid: 0,
                    gid: 0,
                    modified: now,
                },
            );
        }
        fs
    }

    pub fn get(&self, path: &str) -> Option<&Entry> {
        self.entries.get(&clean(path))
    }

    fn is_dir(&self, path: &str) -> bool {
        matches!(
            self.entries.get(path),
            Some(Entry {
                kind: Kind::Dir,
                ..
            })
        )
    }

    /// Children of a directory, by name.
    pub fn children(&self, dir: &str) -> Vec<(String, &Entry)> {
        let prefix = if dir == "/" {
            "/".to_string()
        } else {
            format!("{dir}/")
        };
        self.entries
            .range(prefix.clone()..)
            .take_while(|(p, _)| p.starts_with(&prefix))
            .filter(|(p, _)| p.len() > prefix.len() && !p[prefix.len()..].contains('/'))
            .map(|(p, e)| (p[prefix.len()..].to_string(), e))
            .collect()
    }

    /// The path's parent must be an existing directory.
    fn check_parent(&self, op: &str, raw: &str, path: &str) -> Result<(), PathError> {
        let Some(parent) = parent(path) else {
            return Ok(());
        };
        match self.entries.get(&parent) {
            Some(Entry {
                kind: Kind::Dir, ..
            }) => Ok(()),
            Some(_) => Err(PathError::generic(format!("{op} {raw}: not a directory"))),
            None => {
                // A missing ancestor that is a file reads as "not a directory".
                let mut p = parent.clone();
                while let Some(up) = self::parent(&p) {
                    if let Some(e) = self.entries.get(&up) {
                        if !matches!(e.kind, Kind::Dir) {
                            return Err(PathError::generic(format!("{op} {raw}: not a directory")));
                        }
                        break;
                    }
                    p = up;
                }
                Err(PathError::not_found(op, raw))
            }
        }
    }

    /// `mkdir -p` for the parents of `path`, owned by `owner`.
    /// `extra`: bytes the caller will add after (they must fit too).
    fn make_parents(
        &mut self,
        op: &str,
        raw: &str,
        path: &str,
        owner: Owner,
        now: Instant,
        extra: usize,
    ) -> Result<(), PathError> {
        let mut missing = Vec::new();
        let mut p = parent(path);
        while let Some(dir) = p {
            match self.entries.get(&dir) {
                Some(Entry {
                    kind: Kind::Dir, ..
                }) => break,
                Some(_) => {
                    return Err(PathError::generic(format!("{op} {raw}: not a directory")));
                }
                None => {
                    p = parent(&dir);
                    missing.push(dir);
                }
            }
        }
        let size: usize = missing.iter().map(|d| d.len() + FS_ENTRY_OVERHEAD).sum();
        self.make_room(op, raw, 0, size.saturating_add(extra))?;
        for dir in missing.into_iter().rev() {
            self.put(
                dir,
                Entry {
                    kind: Kind::Dir,
                    mode: 0o755,
                    uid: owner.uid,
                    gid: owner.gid,
                    modified: now,
                },
            );
        }
        Ok(())
    }

    /// Read a regular file.
    pub fn read(&self, raw: &str) -> Result<Vec<u8>, PathError> {
        check_absolute(raw)?;
        let path = clean(raw);
        match self.entries.get(&path) {
            None => {
                self.check_parent("open", raw, &path)?;
                Err(PathError::not_found("open", raw))
            }
            Some(Entry {
                kind: Kind::File(data),
                ..
            }) => Ok(data.clone()),
            Some(_) => Err(PathError::generic(format!(
                "can only read a regular file: {}",
                quote(raw)
            ))),
        }
    }

    /// Write a file (atomically replacing it), optionally creating parents.
    pub fn write(
        &mut self,
        raw: &str,
        data: Vec<u8>,
        make_dirs: bool,
        mode: u32,
        owner: Owner,
        now: Instant,
    ) -> Result<(), PathError> {
        check_absolute(raw)?;
        check_length("open", raw)?;
        let path = clean(raw);
        if self.is_dir(&path) {
            return Err(PathError::generic(format!("rename {raw}: file exists")));
        }
        let freed = self.entries.get(&path).map_or(0, |e| entry_size(&path, e));
        let taken = path.len() + data.len() + FS_ENTRY_OVERHEAD;
        if make_dirs {
            self.make_parents("mkdir", raw, &path, owner, now, taken.saturating_sub(freed))?;
        } else {
            self.check_parent("open", raw, &path)?;
        }
        self.make_room("write", raw, freed, taken)?;
        self.put(
            path,
            Entry {
                kind: Kind::File(data),
                mode: mode & 0o7777,
                uid: owner.uid,
                gid: owner.gid,
                modified: now,
            },
        );
        Ok(())
    }

    /// Create a directory (and, with `make_parents`, its parents; then an
    /// existing directory is fine).
    pub fn mkdir(
        &mut self,
        raw: &str,
        make_parents: bool,
        mode: u32,
        owner: Owner,
        now: Instant,
    ) -> Result<(), PathError> {
        check_absolute(raw)?;
        check_length("mkdir", raw)?;
        let path = clean(raw);
        match self.entries.get(&path) {
            Some(Entry {
                kind: Kind::Dir, ..
            }) if make_parents => return Ok(()),
            Some(_) => {
                return Err(PathError::generic(format!("mkdir {raw}: file exists")));
            }
            None => {}
        }
        let taken = path.len() + FS_ENTRY_OVERHEAD;
        if make_parents {
            self.make_parents("mkdir", raw, &path, owner, now, taken)?;
        } else {
            self.check_parent("mkdir", raw, &path)?;
            self.make_room("mkdir", raw, 0, taken)?;
        }
        self.put(
            path,
            Entry {
                kind: Kind::Dir,
                mode: mode & 0o7777,
                uid: owner.uid,
                gid: owner.gid,
                modified: now,
            },
        );
        Ok(())
    }

    /// Remove a path; `recursive` removes a tree and tolerates absence.
    pub fn remove(&mut self, raw: &str, recursive: bool) -> Result<(), PathError> {
        check_absolute(raw)?;
        let path = clean(raw);
        if !self.entries.contains_key(&path) {
            if recursive {
                return Ok(());
            }
            return Err(PathError::not_found("remove", raw));
        }
        let has_children = !self.children(&path).is_empty();
        if has_children && !recursive {
            return Err(PathError::generic(format!(
                "remove {raw}: directory not empty"
            )));
        }
        if path == "/" {
            return Err(PathError::generic(format!(
                "remove {raw}: device or resource busy"
            )));
        }
        let prefix = format!("{path}/");
        let mut freed = 0;
        self.entries.retain(|p, e| {
            let keep = p != &path && !p.starts_with(&prefix);
            if !keep {
                freed += entry_size(p, e);
            }
            keep
        });
        if let Some(u) = &mut self.used {
            *u = u.saturating_sub(freed);
        }
        Ok(())
    }

    /// `list_files`: a directory's entries (or, for a file or with
    /// `itself`, the path alone), filtered by a glob on the name.
    pub fn list(
        &self,
        raw: &str,
        pattern: Option<&str>,
        itself: bool,
    ) -> Result<Vec<(String, String, Entry)>, PathError> {
        check_absolute(raw)?;
        let path = clean(raw);
        let Some(entry) = self.entries.get(&path) else {
            self.check_parent("stat", raw, &path)?;
            return Err(PathError::not_found("stat", raw));
        };
        if let Some(p) = pattern
            && glob_match(p, "").is_err()
        {
            return Err(PathError::generic("syntax error in pattern".into()));
        }
        let matches = |name: &str| pattern.is_none_or(|p| glob_match(p, name).unwrap_or(false));
        if itself || !matches!(entry.kind, Kind::Dir) {
            let name = if path == "/" {
                "/".to_string()
            } else {
                path.rsplit('/').next().unwrap_or("").to_string()
            };
            if !matches(&name) {
                return Ok(Vec::new());
            }
            return Ok(vec![(path.clone(), name, entry.clone())]);
        }
        Ok(self
            .children(&path)
            .into_iter()
            .filter(|(name, _)| matches(name))
            .map(|(name, e)| {
                let full = if path == "/" {
                    format!("/{name}")
                } else {
                    format!("{path}/{name}")
                };
                (full, name, e.clone())
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: Owner = Owner { uid: 0, gid: 0 };

    #[test]
    fn per_path_errors() {
        let mut fs = Fs::with_defaults(0);
        assert_eq!(fs.read("etc/x").unwrap_err().kind, "generic-file-error");
        let e = fs.read("/etc/nope").unwrap_err();
        assert_eq!(
            (e.kind, e.message.as_str()),
            ("not-found", "open /etc/nope: no such file or directory")
        );
        assert_eq!(
            fs.read("/etc").unwrap_err().message,
            "can only read a regular file: \"/etc\""
        );
        let e = fs
            .write("/a/b/c", b"x".to_vec(), false, 0o644, ROOT, 0)
            .unwrap_err();
        assert_eq!(e.kind, "not-found");
        fs.write("/a/b/c", b"x".to_vec(), true, 0o644, ROOT, 0)
            .unwrap();
        assert_eq!(fs.read("/a/b/c").unwrap(), b"x");
        assert_eq!(
            fs.mkdir("/a", false, 0o755, ROOT, 0).unwrap_err().message,
            "mkdir /a: file exists"
        );
        fs.mkdir("/a", true, 0o755, ROOT, 0).unwrap();
        assert_eq!(
            fs.remove("/a", false).unwrap_err().message,
            "remove /a: directory not empty"
        );
        fs.remove("/a", true).unwrap();
        fs.remove("/a", true).unwrap();
        assert_eq!(fs.remove("/a", false).unwrap_err().kind, "not-found");
        let e = fs
            .write("/a/b/c/d", vec![], false, 0o644, ROOT, 0)
            .unwrap_err();
        assert_eq!(e.kind, "not-found");
        fs.write("/f", vec![], false, 0o644, ROOT, 0).unwrap();
        let e = fs.write("/f/g", vec![], false, 0o644, ROOT, 0).unwrap_err();
        assert_eq!(e.message, "open /f/g: not a directory");
    }

    #[test]
    fn the_tree_is_bounded_and_a_full_one_still_shrinks() {
        let mut fs = Fs::with_defaults(0);
        let base = fs.usage();
        fs.set_limit(base + 1000);
        fs.write("/f", vec![0; 500], false, 0o644, ROOT, 0).unwrap();
        assert_eq!(fs.usage(), base + 2 + 500 + FS_ENTRY_OVERHEAD);
        // Replacing the file by one of the same size: fine, again and again.
        for _ in 0..100 {
            fs.write("/f", vec![1; 500], false, 0o644, ROOT, 0).unwrap();
        }
        let e = fs
            .write("/g", vec![0; 500], false, 0o644, ROOT, 0)
            .unwrap_err();
        assert_eq!(e.kind, "generic-file-error");
        assert!(
            e.message.starts_with("write /g: no space left on device"),
            "{}",
            e.message
        );
        assert!(e.message.contains("--max-pebble-fs-mib"), "{}", e.message);
        // Deep parents are counted before they are made.
        let deep = format!("/d{}", "/x".repeat(1000));
        assert!(fs.write(&deep, vec![], true, 0o644, ROOT, 0).is_err());
        assert!(fs.get("/d").is_none(), "nothing made when it does not fit");
        fs.remove("/f", false).unwrap();
        assert_eq!(fs.usage(), base);
        let long = format!("/{}", "a".repeat(MAX_PATH_BYTES));
        let e = fs.write(&long, vec![], false, 0o644, ROOT, 0).unwrap_err();
        assert!(e.message.ends_with("file name too long"), "{}", e.message);
    }
}
