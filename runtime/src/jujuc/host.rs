//! What a hook tool needs from outside the backend: the charm's files (for
//! `--file PATH`, `key#file=PATH` and `-o PATH`) and the clock (for
//! `secret-add --expire 24h`).
//!
//! In Juju the agent reads and writes these paths itself, relative to the
//! hook's working directory. A charmbox guest's files live in its sandbox,
//! so the engine decides what a path means by passing a [`ToolHost`] to
//! [`super::run_with`]; [`super::run`] uses [`NoHost`], which refuses every
//! path (see `docs/jujuc.md`).

use crate::sandbox::{DiskQuota, GuestFs};
pub use crate::sandbox::{FileError, MAX_TOOL_FILE_BYTES};

use crate::juju::DEFAULT_NOW_NS;

/// Files and clock for hook tools.
pub trait ToolHost {
    /// The current (virtual) time, nanoseconds since the Unix epoch.
    fn now_ns(&mut self) -> u64 {
        DEFAULT_NOW_NS
    }

    /// Read a file the charm named, at most `limit` bytes of it (a larger
    /// file is [`FileError::TooLarge`], found before reading it). The error
    /// reads as Juju's would (Go's `open <path>: <reason>`).
    fn read_file(&mut self, path: &str, limit: u64) -> Result<Vec<u8>, FileError> {
        let _ = limit;
        Err(no_files(path, "read"))
    }

    /// Create or truncate a file the charm named and write `data` to it.
    fn write_file(&mut self, path: &str, data: &[u8]) -> Result<(), FileError> {
        let _ = data;
        Err(no_files(path, "write"))
    }
}

fn no_files(path: &str, what: &str) -> FileError {
    FileError::Path {
        op: "open",
        path: path.to_string(),
        reason: format!("charmbox hook tools cannot {what} the charm's files"),
    }
}

/// No files, and the State backend's default clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoHost;

impl ToolHost for NoHost {}

/// The guest's own files, through the capability handles of [`GuestFs`]
/// (its writable directories and the read-only charm directory; nothing
/// else is reachable, whatever symlinks the guest made), and its clock.
/// What a tool writes there counts against the directories' quota.
#[derive(Debug, Clone, Copy)]
pub struct FsHost<'a> {
    pub fs: &'a GuestFs,
    pub now_ns: u64,
    pub disk: Option<&'a DiskQuota>,
}

impl ToolHost for FsHost<'_> {
    fn now_ns(&mut self) -> u64 {
        self.now_ns
    }

    fn read_file(&mut self, path: &str, limit: u64) -> Result<Vec<u8>, FileError> {
        let data = self.fs.read(path, limit)?;
        if let Some(d) = self.disk {
            d.work(data.len() as u64);
        }
        Ok(data)
    }

    fn write_file(&mut self, path: &str, data: &[u8]) -> Result<(), FileError> {
        if let Some(d) = self.disk {
            d.charge_file(data.len() as u64)
                .map_err(|e| FileError::Path {
                    op: "write",
                    path: path.to_string(),
                    reason: format!("no space left on device ({e})"),
                })?;
        }
        self.fs.write(path, data)
    }
}
