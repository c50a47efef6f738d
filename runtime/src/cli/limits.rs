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
    #[arg(long, value_name = "MIB", global = true, value_parser = mib_range())]
    pub max_io_mib: Option<u64>,
    /// MiB of juju-log and action-log messages per event (default 16).
    #[arg(long, value_name = "MIB", global = true, value_parser = mib_range())]
    pub max_log_mib: Option<u64>,
    /// MiB of model data a unit may hold: relation data, unit state, leader
    /// settings, secrets, statuses (default 32).
    #[arg(long, value_name = "MIB", global = true, value_parser = mib_range())]
    pub max_data_mib: Option<u64>,
    /// MiB in one container's simulated filesystem (default 64).
    #[arg(long, value_name = "MIB", global = true, value_parser = mib_range())]
    pub max_pebble_fs_mib: Option<u64>,
    /// MiB in a WASI guest's writable directories (default 64).
    #[arg(long, value_name = "MIB", global = true, value_parser = mib_range())]
    pub max_unit_dir_mib: Option<u64>,
}

/// Largest value of a `--max-…-mib` flag: 1 TiB.
const MAX_MIB: u64 = 1 << 20;

fn mib_range() -> clap::builder::RangedU64ValueParser<u64> {
    clap::value_parser!(u64).range(1..=MAX_MIB)
}

fn bytes(mib: u64) -> u64 {
    mib << 20
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
            l.io_bytes = bytes(m);
        }
        if let Some(m) = self.max_log_mib {
            l.log_bytes = bytes(m) as usize;
        }
        if let Some(m) = self.max_data_mib {
            l.data_bytes = bytes(m) as usize;
        }
        if let Some(m) = self.max_pebble_fs_mib {
            l.pebble_fs_bytes = bytes(m) as usize;
        }
        if let Some(m) = self.max_unit_dir_mib {
            l.unit_dir_bytes = bytes(m);
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
