//! The flags of the host-side limits (see `charmbox::limits`), shared by
//! every command that runs hooks: `run`, `model`, `sim`, `bench`.

use std::time::Duration;

use anyhow::bail;
use charmbox::engine::RuntimeConfig;
use charmbox::limits::HostLimits;

/// Host-side limits of each dispatch; each defaults to `charmbox::limits`'.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct LimitArgs {
    /// Wall-clock seconds one event may run (default 60; 0: no deadline).
    /// Hitting it is the one outcome that depends on the machine.
    #[arg(long, value_name = "SECONDS", global = true)]
    pub deadline_s: Option<f64>,
    /// MiB one event may pass through host calls, requests and replies
    /// (default 512).
    #[arg(long, value_name = "MIB", global = true)]
    pub max_io_mib: Option<u64>,
    /// MiB of juju-log and action-log messages per event (default 16).
    #[arg(long, value_name = "MIB", global = true)]
    pub max_log_mib: Option<u64>,
    /// MiB of model data a unit may hold: relation data, unit state, leader
    /// settings, secrets, statuses (default 32).
    #[arg(long, value_name = "MIB", global = true)]
    pub max_data_mib: Option<u64>,
    /// MiB in one container's simulated filesystem (default 64).
    #[arg(long, value_name = "MIB", global = true)]
    pub max_pebble_fs_mib: Option<u64>,
    /// MiB in a WASI guest's writable directories (default 64).
    #[arg(long, value_name = "MIB", global = true)]
    pub max_unit_dir_mib: Option<u64>,
}

fn bytes(flag: &str, mib: u64) -> anyhow::Result<u64> {
    if mib == 0 {
        bail!("--{flag} must be at least 1");
    }
    mib.checked_mul(1 << 20)
        .filter(|b| usize::try_from(*b).is_ok())
        .ok_or_else(|| anyhow::anyhow!("--{flag} {mib} is too large"))
}

impl LimitArgs {
    /// The default limits with the flags given applied.
    pub fn limits(&self) -> anyhow::Result<HostLimits> {
        let mut l = HostLimits::default();
        if let Some(s) = self.deadline_s {
            if !s.is_finite() || s < 0.0 {
                bail!("--deadline-s must be a number of seconds, 0 or more (got {s})");
            }
            l.deadline = Duration::try_from_secs_f64(s)
                .map_err(|_| anyhow::anyhow!("--deadline-s {s} is too large"))?;
        }
        if let Some(m) = self.max_io_mib {
            l.io_bytes = bytes("max-io-mib", m)?;
        }
        if let Some(m) = self.max_log_mib {
            l.log_bytes = bytes("max-log-mib", m)? as usize;
        }
        if let Some(m) = self.max_data_mib {
            l.data_bytes = bytes("max-data-mib", m)? as usize;
        }
        if let Some(m) = self.max_pebble_fs_mib {
            l.pebble_fs_bytes = bytes("max-pebble-fs-mib", m)? as usize;
        }
        if let Some(m) = self.max_unit_dir_mib {
            l.unit_dir_bytes = bytes("max-unit-dir-mib", m)?;
        }
        Ok(l)
    }

    /// The default runtime configuration with these limits.
    pub fn config(&self) -> anyhow::Result<RuntimeConfig> {
        Ok(RuntimeConfig {
            limits: self.limits()?,
            ..RuntimeConfig::default()
        })
    }
}
