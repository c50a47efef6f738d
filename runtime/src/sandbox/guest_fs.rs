//! The guest's files as the host reaches them on the guest's behalf: the
//! paths hook tools take (`--file PATH`, `key#file=PATH`, `-o PATH`).
//!
//! A WASI guest sees a few host directories (its preopens): `/tmp` and the
//! state directory read-write, the charm directory read-only. The host must
//! not reach more through a tool than the guest reaches through WASI, so a
//! guest path is mapped onto the preopen that contains it (the longest
//! guest-path prefix) and opened through a capability handle on that
//! directory (cap-std, as WASI itself does): `..`, absolute symlinks and
//! relative symlinks that lead out of the directory are refused, whatever
//! the guest planted. Only regular files are read or written (a FIFO would
//! block the host), and reads are bounded.
//!
//! The guest path is cleaned lexically first, as Go's `filepath.Clean` does
//! (`/tmp/a/../b` is `/tmp/b`); symlinks are then followed by the handle,
//! only while they stay inside the directory.

use std::io::{self, Read, Write};
use std::path::Path;

use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions};

use crate::go::path::clean;

/// The largest file a hook tool reads from the guest's directories
/// (`relation-set --file`, `state-set --file`; secret content has Juju's own,
/// smaller limit): 16 MiB, the largest document Juju can store (MongoDB's
/// limit), so a larger file could never be stored by Juju either.
pub const MAX_TOOL_FILE_BYTES: u64 = 16 << 20;

/// Why a guest file could not be read or written. `Display` is the text
/// Juju's tool would print (Go's `*PathError`: `open PATH: reason`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// Go's `op PATH: reason`, e.g. `open /tmp/x: no such file or directory`.
    #[error("{op} {path}: {reason}")]
    Path {
        op: &'static str,
        path: String,
        reason: String,
    },
    /// The file is larger than the caller reads (`size`: its size, or at
    /// least `limit + 1` when it grew while being read).
    #[error("read {path}: file too large: {size} bytes (hook tools read at most {limit})")]
    TooLarge { path: String, size: u64, limit: u64 },
}

impl FileError {
    fn open(path: &str, reason: impl Into<String>) -> FileError {
        FileError::Path {
            op: "open",
            path: path.to_string(),
            reason: reason.into(),
        }
    }
}

/// One directory the guest sees, and the handle the host reaches it by.
#[derive(Debug)]
struct Mount {
    /// The guest's path of the directory: absolute, clean, no trailing `/`
    /// (`/` itself is the empty string).
    guest: String,
    dir: Dir,
    writable: bool,
}

/// The guest's directories, through capability handles, and its working
/// directory (relative paths resolve against it).
#[derive(Debug)]
pub struct GuestFs {
    mounts: Vec<Mount>,
    cwd: String,
}

impl GuestFs {
    /// No directories yet; relative paths resolve against `cwd` (an
    /// absolute guest path: the charm directory, as in Juju).
    pub fn new(cwd: &str) -> GuestFs {
        GuestFs {
            mounts: Vec::new(),
            cwd: clean(cwd),
        }
    }

    /// Show the guest `dir` at `guest` (read-write when `writable`).
    pub fn mount(&mut self, guest: &str, dir: Dir, writable: bool) {
        let guest = clean(guest).trim_end_matches('/').to_string();
        self.mounts.retain(|m| m.guest != guest);
        self.mounts.push(Mount {
            guest,
            dir,
            writable,
        });
    }

    /// [`Self::mount`] the host directory `host` (opened now).
    pub fn mount_path(&mut self, guest: &str, host: &Path, writable: bool) -> io::Result<()> {
        let dir = Dir::open_ambient_dir(host, ambient_authority())?;
        self.mount(guest, dir, writable);
        Ok(())
    }

    /// The regular file at guest `path`, at most `limit` bytes of it: its
    /// size is checked before reading, and the read stops past `limit`.
    pub fn read(&self, path: &str, limit: u64) -> Result<Vec<u8>, FileError> {
        let (mount, rel) = self.locate(path)?;
        let mut opts = OpenOptions::new();
        opts.read(true);
        nonblocking(&mut opts);
        let file = mount
            .dir
            .open_with(&rel, &opts)
            .map_err(|e| FileError::open(path, reason(&e, mount)))?;
        let meta = file
            .metadata()
            .map_err(|e| FileError::open(path, reason(&e, mount)))?;
        if meta.is_dir() {
            return Err(FileError::Path {
                op: "read",
                path: path.to_string(),
                reason: "is a directory".into(),
            });
        }
        if !meta.is_file() {
            return Err(FileError::open(path, NOT_REGULAR));
        }
        let too_large = |size| FileError::TooLarge {
            path: path.to_string(),
            size,
            limit,
        };
        if meta.len() > limit {
            return Err(too_large(meta.len()));
        }
        let mut data = Vec::with_capacity(meta.len() as usize);
        file.take(limit.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(|e| FileError::Path {
                op: "read",
                path: path.to_string(),
                reason: reason(&e, mount),
            })?;
        if data.len() as u64 > limit {
            return Err(too_large(data.len() as u64));
        }
        Ok(data)
    }

    /// Create or truncate the regular file at guest `path` and write `data`.
    pub fn write(&self, path: &str, data: &[u8]) -> Result<(), FileError> {
        let (mount, rel) = self.locate(path)?;
        if !mount.writable {
            return Err(FileError::open(path, "read-only file system"));
        }
        let mut opts = OpenOptions::new();
        opts.write(true).create(true);
        nonblocking(&mut opts);
        let mut file = mount
            .dir
            .open_with(&rel, &opts)
            .map_err(|e| FileError::open(path, reason(&e, mount)))?;
        let meta = file
            .metadata()
            .map_err(|e| FileError::open(path, reason(&e, mount)))?;
        if !meta.is_file() {
            return Err(FileError::open(path, NOT_REGULAR));
        }
        let write_err = |e: io::Error| FileError::Path {
            op: "write",
            path: path.to_string(),
            reason: reason(&e, mount),
        };
        file.set_len(0).map_err(write_err)?;
        file.write_all(data).map_err(write_err)
    }

    /// The mount holding guest `path` and the path inside it, or Go's
    /// `open PATH: …` for a path under no mount.
    fn locate(&self, path: &str) -> Result<(&Mount, String), FileError> {
        if path.is_empty() {
            return Err(FileError::open(path, "no such file or directory"));
        }
        let abs = if path.starts_with('/') {
            clean(path)
        } else {
            clean(&format!("{}/{path}", self.cwd))
        };
        let mount = self
            .mounts
            .iter()
            .filter(|m| {
                m.guest.is_empty()
                    || abs == m.guest
                    || abs
                        .strip_prefix(&m.guest)
                        .is_some_and(|r| r.starts_with('/'))
            })
            .max_by_key(|m| m.guest.len());
        let Some(mount) = mount else {
            return Err(FileError::open(path, self.outside()));
        };
        let rel = abs[mount.guest.len()..].trim_start_matches('/');
        let rel = if rel.is_empty() { "." } else { rel };
        Ok((mount, rel.to_string()))
    }

    /// Why a path under no mount is refused, naming what the guest has.
    fn outside(&self) -> String {
        let mut names: Vec<&str> = self.mounts.iter().map(|m| m.guest.as_str()).collect();
        names.sort_unstable();
        if names.is_empty() {
            return "permission denied (the guest has no directories)".into();
        }
        format!(
            "permission denied (not under the guest's directories: {})",
            names.join(", ")
        )
    }
}

const NOT_REGULAR: &str = "not a regular file";

/// Open without blocking: a FIFO would otherwise stall the host until a
/// writer (or reader) appears.
fn nonblocking(opts: &mut OpenOptions) {
    #[cfg(unix)]
    {
        use cap_std::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    #[cfg(not(unix))]
    let _ = opts;
}

/// Go's text for an I/O error (`no such file or directory`), or why the
/// handle refused a path leading outside its directory.
fn reason(e: &io::Error, mount: &Mount) -> String {
    if e.raw_os_error().is_none() && e.kind() == io::ErrorKind::PermissionDenied {
        let dir = if mount.guest.is_empty() {
            "/"
        } else {
            &mount.guest
        };
        return format!("permission denied (the path leads outside {dir})");
    }
    go_text(e)
}

/// `strerror` as Go prints it: lower case, without Rust's `(os error N)`.
fn go_text(e: &io::Error) -> String {
    let text = e.to_string();
    let text = match (e.raw_os_error(), text.rfind(" (os error ")) {
        (Some(_), Some(i)) => &text[..i],
        _ => &text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => text.to_string(),
    }
}

#[cfg(test)]
#[path = "guest_fs_tests.rs"]
mod tests;
