//! Flags several `charmbox model` operations share: `--settle`, and the
//! removals' `--force` / `--no-wait`.

use std::time::Duration;

/// `--settle`: run the hooks an operation made due before returning.
#[derive(clap::Args)]
pub struct SettleFlag {
    /// Run the hooks this operation made due before returning.
    #[arg(long, global = true)]
    pub settle: bool,
}

/// Juju's `--force` and `--no-wait` of remove-unit and remove-application.
#[derive(clap::Args)]
pub struct ForceFlags {
    /// Remove whatever is left of the teardown after a minute of model
    /// time (Juju's default max wait), a unit in error included.
    #[arg(long)]
    pub force: bool,
    /// With --force: remove at once, running no teardown hook.
    #[arg(long, requires = "force")]
    pub no_wait: bool,
}

impl ForceFlags {
    /// How long the teardown may take before the forced removal (none:
    /// not forced).
    pub fn max_wait(&self) -> Option<Duration> {
        match (self.force, self.no_wait) {
            (false, _) => None,
            (true, true) => Some(Duration::ZERO),
            (true, false) => Some(charmbox::sim::ops::FORCE_MAX_WAIT),
        }
    }
}
