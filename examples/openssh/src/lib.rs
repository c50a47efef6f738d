//! openssh: the machine charm of the Juju SDK how-to "How to run workloads
//! with your charm", in Rust. It installs the `openssh-server` package with
//! apt-get on install, enables and starts its service with systemctl on
//! start, and ensures the package again on config-changed and
//! upgrade-charm (which also brings a newer version the sources offer).
//! A failed command leaves the unit blocked.

use charmbox_sdk::machine::{Command, CommandError, Output};
use charmbox_sdk::{Charm, Error, Event, EventKind, Model, Status, debug};

/// The package the charm installs.
const PACKAGE: &str = "openssh-server";
/// Its systemd service (Ubuntu names openssh-server's unit `ssh`).
const SERVICE: &str = "ssh";

#[derive(Default)]
struct OpenSsh;

impl Charm for OpenSsh {
    fn handle(&mut self, event: &Event, model: &Model) -> Result<(), Error> {
        match event.kind() {
            EventKind::Install => self.on_install(model),
            EventKind::Start => self.on_start(model),
            EventKind::ConfigChanged | EventKind::UpgradeCharm => self.on_ensure(model),
            _ => Ok(()),
        }
    }
}

impl OpenSsh {
    fn on_install(&self, model: &Model) -> Result<(), Error> {
        model
            .unit()
            .set_status(Status::maintenance("installing openssh-server"))?;
        if !install()? {
            return model
                .unit()
                .set_status(Status::blocked("Failed to install packages"));
        }
        Ok(())
    }

    fn on_start(&self, model: &Model) -> Result<(), Error> {
        let out = run(Command::new("systemctl").args(["enable", "--now", SERVICE]))?;
        if !out.success() {
            debug!("Starting systemd unit failed with return code {}", out.code);
            return model
                .unit()
                .set_status(Status::blocked("Failed to start/enable ssh service"));
        }
        model.unit().set_status(Status::active(""))
    }

    /// The package again (installed, at the version the sources offer);
    /// active when its service runs.
    fn on_ensure(&self, model: &Model) -> Result<(), Error> {
        if !install()? {
            return model
                .unit()
                .set_status(Status::blocked("Failed to install packages"));
        }
        let version = installed_version()?;
        model.unit().set_workload_version(&version)?;
        let active = run(Command::new("systemctl").args(["is-active", "--quiet", SERVICE]))?;
        if active.success() {
            model.unit().set_status(Status::active(""))?;
        }
        Ok(())
    }
}

/// `apt-get install -y openssh-server`: whether it succeeded.
fn install() -> Result<bool, Error> {
    let out = run(Command::new("apt-get").args(["install", "-y", PACKAGE]))?;
    if !out.success() {
        debug!("Package install failed with return code {}", out.code);
    }
    Ok(out.success())
}

/// The version apt set up, from its `Setting up` or `already the newest`
/// line; empty when neither says.
fn installed_version() -> Result<String, Error> {
    let out = run(Command::new("apt-get").args(["install", "-y", PACKAGE]))?;
    let text = out.stdout_text();
    let version = text
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{PACKAGE} is already the newest version (")))
        .and_then(|rest| rest.strip_suffix(")."))
        .unwrap_or_default();
    Ok(version.to_string())
}

/// Run a command; one that cannot run at all (not granted) fails the hook.
fn run(cmd: Command) -> Result<Output, Error> {
    cmd.output()
        .map_err(|e: CommandError| Error::msg(format!("cannot run a machine command: {e}")))
}

charmbox_sdk::export_charm!(OpenSsh);
