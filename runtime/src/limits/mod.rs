//! Every host-side bound of one dispatch beyond the guest's own fuel and
//! linear memory, in one place: what the host holds, does and waits for on
//! a guest's behalf. Each limit is a named default here, a field of
//! [`HostLimits`] (set from the command line), and an error naming the limit
//! and its flag when a guest reaches it.
//!
//! - [`Budget`]: the memory the backend holds for the unit (log lines, model
//!   data, the simulated Pebble's filesystems), charged by the backends.
//! - [`Meter`]: host work (fuel for bytes copied, parsed and
//!   formatted), bytes through host calls, and the wall-clock deadline.
//! - [`crate::sandbox`]'s disk quota: the unit's writable directories.

mod budget;
pub mod meter;
mod weigh;

use std::time::Duration;

pub use budget::{Budget, bag_delta};
pub use meter::{Meter, Stopped, Trip};
pub use weigh::weigh;

/// Wall-clock time one dispatch may take (`--deadline-s`). Far above what
/// the default fuel allows (a few seconds); it stops a guest whose work is
/// not metered by fuel, or a host overloaded beyond use.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(60);
/// Bytes one dispatch may pass through host calls, requests and replies
/// together (`--max-io-mib`): what the host copies, and what a trace of the
/// dispatch holds in memory until the dispatch ends.
pub const DEFAULT_IO_BYTES: u64 = 512 << 20;
/// Bytes of `juju-log` and `action-log` messages one dispatch may send
/// (`--max-log-mib`).
pub const DEFAULT_LOG_BYTES: usize = 16 << 20;
/// Bytes of model data a unit may hold after a hook (`--max-data-mib`):
/// the relation data it writes, its unit state, leader settings, secrets,
/// statuses, workload version and action results, keys and values.
pub const DEFAULT_DATA_BYTES: usize = 32 << 20;
/// Bytes one container's simulated filesystem may hold
/// (`--max-pebble-fs-mib`): file contents, plus each entry's path and
/// [`FS_ENTRY_OVERHEAD`].
pub const DEFAULT_PEBBLE_FS_BYTES: usize = 64 << 20;
/// Bytes the unit's writable directories (a WASI guest's state directory
/// and `/tmp`) may hold (`--max-unit-dir-mib`).
pub const DEFAULT_UNIT_DIR_BYTES: u64 = 64 << 20;

/// Fuel a host call costs besides its bytes: the host's own work to lift,
/// dispatch and lower one call (about a microsecond, or a thousand wasm
/// instructions).
pub const HOST_CALL_FUEL: u64 = 1_000;
/// Fuel per byte a host call copies, parses or formats (its request and its
/// reply): a byte costs the host about what one wasm instruction costs.
pub const HOST_FUEL_PER_BYTE: u64 = 1;
/// Fuel one timer firing of the simulated Pebble costs (a wait moves
/// virtual time through timers, settling services and checks after each:
/// a few microseconds of host work).
pub const PEBBLE_FIRING_FUEL: u64 = 5_000;
/// Bytes a host call is counted for in the I/O budget besides its data:
/// what one call may leave behind (a trace record, a port, a change).
pub const CALL_OVERHEAD_BYTES: u64 = 256;
/// Bytes an entry of a simulated filesystem is counted for besides its path
/// and contents.
pub const FS_ENTRY_OVERHEAD: usize = 64;
/// Longest path the simulated Pebble accepts (Linux's `PATH_MAX`).
pub const MAX_PATH_BYTES: usize = 4096;
/// Files a WASI guest may hold open at once: the host's file descriptors
/// are shared by every unit of a simulated model.
pub const MAX_OPEN_FILES: usize = 256;
/// Blocks of the unit's writable directories a file, directory or link is
/// counted for when created, and the granularity writes are counted in.
pub const DISK_BLOCK: u64 = 4096;
/// Entries in one dispatch's resource table (WASI descriptors, streams,
/// container handles), instead of wasmtime's default of a million.
pub const MAX_GUEST_RESOURCES: usize = 65_536;
/// Bytes one WASI random draw may ask (wasmtime's default is 64 MiB);
/// the `sandbox` interface allows the same.
pub const MAX_RANDOM_BYTES: u64 = 1 << 20;

/// The host-side limits of every dispatch of a runtime.
#[derive(Debug, Clone, PartialEq)]
pub struct HostLimits {
    /// Wall-clock time of one dispatch.
    pub deadline: Duration,
    /// Bytes through host calls in one dispatch, requests and replies.
    pub io_bytes: u64,
    /// Bytes of log messages in one dispatch.
    pub log_bytes: usize,
    /// Bytes of model data the unit may hold.
    pub data_bytes: usize,
    /// Bytes in one container's simulated filesystem.
    pub pebble_fs_bytes: usize,
    /// Bytes in the unit's writable directories.
    pub unit_dir_bytes: u64,
}

impl Default for HostLimits {
    fn default() -> Self {
        HostLimits {
            deadline: DEFAULT_DEADLINE,
            io_bytes: DEFAULT_IO_BYTES,
            log_bytes: DEFAULT_LOG_BYTES,
            data_bytes: DEFAULT_DATA_BYTES,
            pebble_fs_bytes: DEFAULT_PEBBLE_FS_BYTES,
            unit_dir_bytes: DEFAULT_UNIT_DIR_BYTES,
        }
    }
}

/// Which limit a guest reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Io,
    Log,
    Data,
    PebbleFs,
    UnitDir,
}

impl Limit {
    /// What the limit bounds, as the error says it.
    pub fn what(self) -> &'static str {
        match self {
            Limit::Io => "the bytes passed through host calls in this hook",
            Limit::Log => "the log messages of this hook",
            Limit::Data => {
                "the unit's data (relation data, unit state, leader settings, secrets, statuses)"
            }
            Limit::PebbleFs => "the container's filesystem",
            Limit::UnitDir => "the unit's writable directories",
        }
    }

    /// The command-line flag that sets it.
    pub fn flag(self) -> &'static str {
        match self {
            Limit::Io => "--max-io-mib",
            Limit::Log => "--max-log-mib",
            Limit::Data => "--max-data-mib",
            Limit::PebbleFs => "--max-pebble-fs-mib",
            Limit::UnitDir => "--max-unit-dir-mib",
        }
    }
}

/// A guest reached a host limit: the error names the limit and its flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exceeded {
    pub limit: Limit,
    /// The size the request would have brought it to.
    pub asked: u64,
    /// The limit, in bytes.
    pub max: u64,
}

impl std::fmt::Display for Exceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} would take {} bytes, over the host's limit of {} ({})",
            self.limit.what(),
            self.asked,
            mib(self.max),
            self.limit.flag()
        )
    }
}

impl std::error::Error for Exceeded {}

/// A byte count in MiB when it is a whole number of them, else in bytes.
pub fn mib(bytes: u64) -> String {
    if bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

/// Check `asked` against `max` for `limit`.
pub fn check(limit: Limit, asked: u64, max: u64) -> Result<(), Exceeded> {
    if asked > max {
        Err(Exceeded { limit, asked, max })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_names_the_limit_and_its_flag() {
        let e = check(Limit::Log, (16 << 20) + 1, 16 << 20).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the log messages of this hook would take 16777217 bytes, over the host's \
             limit of 16 MiB (--max-log-mib)"
        );
        assert!(check(Limit::Log, 16 << 20, 16 << 20).is_ok());
        assert_eq!(mib(1000), "1000 bytes");
    }
}
