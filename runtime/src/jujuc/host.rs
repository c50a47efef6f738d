//! What a hook tool needs from outside the backend: the charm's files (for
//! `--file PATH`, `key#file=PATH` and `-o PATH`) and the clock (for
//! `secret-add --expire 24h`).
//!
//! In Juju the agent reads and writes these paths itself, relative to the
//! hook's working directory. A charmbox guest's files live in its sandbox,
//! so the engine decides what a path means by passing a [`ToolHost`] to
//! [`super::run_with`]; [`super::run`] uses [`NoHost`], which refuses every
//! path (see `docs/jujuc.md`).

use std::path::{Component, Path, PathBuf};

/// 2026-01-01T00:00:00Z, the State backend's default virtual time.
pub const DEFAULT_NOW_NS: u64 = 1_767_225_600_000_000_000;

/// Files and clock for hook tools.
pub trait ToolHost {
    /// The current (virtual) time, nanoseconds since the Unix epoch.
    fn now_ns(&mut self) -> u64 {
        DEFAULT_NOW_NS
    }

    /// Read a file the charm named. The error is the text Juju would print
    /// (Go's `open <path>: <reason>`).
    fn read_file(&mut self, path: &str) -> Result<Vec<u8>, String> {
        Err(no_files(path, "read"))
    }

    /// Create or truncate a file the charm named and write `data` to it.
    fn write_file(&mut self, path: &str, data: &[u8]) -> Result<(), String> {
        let _ = data;
        Err(no_files(path, "write"))
    }
}

fn no_files(path: &str, what: &str) -> String {
    format!("open {path}: charmbox hook tools cannot {what} the charm's files")
}

/// No files, and the State backend's default clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoHost;

impl ToolHost for NoHost {}

/// The charm's files mapped onto a host directory: the guest's `/` is
/// `root`, and relative paths resolve against the guest's working
/// directory `cwd` (an absolute guest path, the charm dir in Juju). Paths
/// cannot leave `root`.
#[derive(Debug, Clone)]
pub struct DirHost {
    pub root: PathBuf,
    pub cwd: String,
    pub now_ns: u64,
}

impl DirHost {
    /// The host path of a guest path, or Go's error text.
    pub fn resolve(&self, path: &str) -> Result<PathBuf, String> {
        let joined = if path.starts_with('/') {
            PathBuf::from(path)
        } else {
            Path::new(&self.cwd).join(path)
        };
        let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
        for c in joined.components() {
            match c {
                Component::Normal(p) => parts.push(p),
                Component::ParentDir => {
                    if parts.pop().is_none() {
                        return Err(format!("open {path}: permission denied"));
                    }
                }
                Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
            }
        }
        let mut out = self.root.clone();
        out.extend(parts);
        Ok(out)
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ if e.raw_os_error() == Some(21) => "is a directory".into(),
        _ => e.to_string(),
    }
}

impl ToolHost for DirHost {
    fn now_ns(&mut self) -> u64 {
        self.now_ns
    }

    fn read_file(&mut self, path: &str) -> Result<Vec<u8>, String> {
        let p = self.resolve(path)?;
        std::fs::read(&p).map_err(|e| format!("open {path}: {}", io_reason(&e)))
    }

    fn write_file(&mut self, path: &str, data: &[u8]) -> Result<(), String> {
        let p = self.resolve(path)?;
        std::fs::write(&p, data).map_err(|e| format!("open {path}: {}", io_reason(&e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve() {
        let h = DirHost {
            root: "/srv/guest".into(),
            cwd: "/charm".into(),
            now_ns: 0,
        };
        assert_eq!(
            h.resolve("data.yaml").unwrap(),
            PathBuf::from("/srv/guest/charm/data.yaml")
        );
        assert_eq!(
            h.resolve("/tmp/../tmp/x").unwrap(),
            PathBuf::from("/srv/guest/tmp/x")
        );
        assert!(h.resolve("../../etc/passwd").is_err());
    }
}
