//! The container's filesystem as Pebble's files API sees it: a tree of
//! files, directories and symlinks with modes and owners, and Pebble's
//! per-path errors (`not-found`, `permission-denied`, `generic-file-error`)
//! with Go's `*PathError` messages.

use std::collections::BTreeMap;

use crate::pebble::clock::Instant;
use crate::pebble::go::quote;

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

/// The whole tree, keyed by clean absolute path.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fs {
    pub entries: BTreeMap<String, Entry>,
}

/// Clean an absolute path lexically (`path.Clean`).
pub fn clean(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
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
    pub fn with_defaults(now: Instant) -> Fs {
        let mut fs = Fs::default();
        for d in DEFAULT_DIRS {
            fs.entries.insert(
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
    fn make_parents(
        &mut self,
        op: &str,
        raw: &str,
        path: &str,
        owner: Owner,
        now: Instant,
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
        for dir in missing.into_iter().rev() {
            self.entries.insert(
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
        let path = clean(raw);
        if make_dirs {
            self.make_parents("mkdir", raw, &path, owner, now)?;
        } else {
            self.check_parent("open", raw, &path)?;
        }
        if self.is_dir(&path) {
            return Err(PathError::generic(format!("rename {raw}: file exists")));
        }
        self.entries.insert(
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
        if make_parents {
            self.make_parents("mkdir", raw, &path, owner, now)?;
        } else {
            self.check_parent("mkdir", raw, &path)?;
        }
        self.entries.insert(
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
        self.entries
            .retain(|p, _| p != &path && !p.starts_with(&prefix));
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

/// A malformed glob pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadPattern;

/// Go's `path.Match`: `*`, `?`, `[...]` classes, `\` escapes; `Err` for a
/// malformed pattern.
pub fn glob_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    fn class(p: &[char], c: char) -> Result<(bool, usize), BadPattern> {
        // p starts after '['
        let mut i = 0;
        let negate = p.first() == Some(&'^');
        if negate {
            i += 1;
        }
        let mut matched = false;
        let mut first = true;
        loop {
            if i >= p.len() {
                return Err(BadPattern);
            }
            if p[i] == ']' && !first {
                i += 1;
                break;
            }
            first = false;
            let mut lo = p[i];
            if lo == '\\' {
                i += 1;
                lo = *p.get(i).ok_or(BadPattern)?;
            }
            i += 1;
            let mut hi = lo;
            if i + 1 < p.len() && p[i] == '-' && p[i + 1] != ']' {
                hi = p[i + 1];
                if hi == '\\' {
                    hi = *p.get(i + 2).ok_or(BadPattern)?;
                    i += 1;
                }
                i += 2;
            }
            if lo <= c && c <= hi {
                matched = true;
            }
        }
        Ok((matched != negate, i))
    }
    fn go(p: &[char], n: &[char]) -> Result<bool, BadPattern> {
        if p.is_empty() {
            return Ok(n.is_empty());
        }
        match p[0] {
            '*' => {
                for k in 0..=n.len() {
                    if n[..k].contains(&'/') {
                        break;
                    }
                    if go(&p[1..], &n[k..])? {
                        return Ok(true);
                    }
                }
                // Validate the rest of the pattern even without a match.
                go(&p[1..], &[]).map(|_| false)
            }
            '?' => {
                if n.is_empty() || n[0] == '/' {
                    return validate(&p[1..]).map(|_| false);
                }
                go(&p[1..], &n[1..])
            }
            '[' => {
                let c = n.first().copied().unwrap_or('\0');
                let (ok, used) = class(&p[1..], c)?;
                if n.is_empty() || !ok || c == '/' {
                    return validate(&p[1 + used..]).map(|_| false);
                }
                go(&p[1 + used..], &n[1..])
            }
            '\\' => {
                let lit = *p.get(1).ok_or(BadPattern)?;
                if n.first() != Some(&lit) {
                    return validate(&p[2..]).map(|_| false);
                }
                go(&p[2..], &n[1..])
            }
            c => {
                if n.first() != Some(&c) {
                    return validate(&p[1..]).map(|_| false);
                }
                go(&p[1..], &n[1..])
            }
        }
    }
    fn validate(p: &[char]) -> Result<(), BadPattern> {
        let mut i = 0;
        while i < p.len() {
            match p[i] {
                '\\' => {
                    if i + 1 >= p.len() {
                        return Err(BadPattern);
                    }
                    i += 2;
                }
                '[' => {
                    let (_, used) = class(&p[i + 1..], 'a')?;
                    i += 1 + used;
                }
                _ => i += 1,
            }
        }
        Ok(())
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    validate(&p)?;
    go(&p, &n)
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
    fn globs() {
        assert_eq!(glob_match("*.txt", "a.txt"), Ok(true));
        assert_eq!(glob_match("a?c", "abc"), Ok(true));
        assert_eq!(glob_match("[a-c]x", "bx"), Ok(true));
        assert_eq!(glob_match("[^a-c]x", "bx"), Ok(false));
        assert_eq!(glob_match("[", "x"), Err(BadPattern));
        assert_eq!(glob_match("*", "a/b"), Ok(false));
    }
}
