// The charm's code, shared by every revision (each gives DEPENDENCIES).

use std::collections::BTreeMap;

use charmbox_sdk::machine::{Command, Output};
use charmbox_sdk::upgrade::{Dependency, UnitState, Upgradable, Upgrade};
use charmbox_sdk::{Charm, Error, Event, EventKind, Model, Status, debug, info};

/// The upgrade peer relation.
const PEER: &str = "upgrade";
/// The workload's package and service.
const PACKAGE: &str = "kvdb-server";
const SERVICE: &str = "kvdb";
/// The peer databag key saying the unit's service runs.
const RUNNING: &str = "workload";

#[derive(Default)]
struct Kvdb;

fn dependencies() -> Result<BTreeMap<String, Dependency>, Error> {
    Ok(charmbox_sdk::serde_json::from_str(DEPENDENCIES)?)
}

/// The workload version this revision installs.
fn workload_version() -> Result<String, Error> {
    dependencies()?
        .get("kvdb_service")
        .map(|d| d.version.clone())
        .ok_or_else(|| Error::msg("dependencies.json has no kvdb_service"))
}

fn run(cmd: Command) -> Result<Output, Error> {
    cmd.output()
        .map_err(|e| Error::msg(format!("cannot run a machine command: {e}")))
}

/// `apt-get install -y kvdb-server=VERSION`; the failure's message.
fn install(version: &str) -> Result<Result<(), String>, Error> {
    let spec = format!("{PACKAGE}={version}");
    let out = run(Command::new("apt-get").args(["install", "-y", &spec]))?;
    if out.success() {
        return Ok(Ok(()));
    }
    debug!("apt-get: {}", out.stderr_text().trim());
    Ok(Err(format!("apt-get install {spec} exited {}", out.code)))
}

/// `systemctl VERB kvdb`: whether it succeeded.
fn systemctl(verb: &str) -> Result<bool, Error> {
    let args = if verb == "enable" { vec!["enable", "--now", SERVICE] } else { vec![verb, SERVICE] };
    Ok(run(Command::new("systemctl").args(args))?.success())
}

/// Tell the peers whether this unit's service runs.
fn publish_running(model: &Model, running: bool) -> Result<(), Error> {
    if let Some(peers) = model.get_relation(PEER)? {
        peers
            .local_unit_data()
            .set(RUNNING, if running { "running" } else { "stopped" })?;
    }
    Ok(())
}

impl Charm for Kvdb {
    fn handle(&mut self, event: &Event, model: &Model) -> Result<(), Error> {
        let mut upgrade = Upgrade::new(PEER, dependencies()?);
        if charmbox_sdk::kubernetes::partition_reachable() {
            upgrade = upgrade.on_kubernetes();
        }
        if upgrade.handle(self, event, model)? {
            return Ok(());
        }
        match event.kind() {
            EventKind::Install => {
                if let Err(why) = install(&workload_version()?)? {
                    return model.unit().set_status(Status::blocked(why));
                }
                Ok(())
            }
            EventKind::Start => {
                // A new pod (k8s) whose upgrade failed stays blocked.
                if upgrade.state(model)? == UnitState::Failed {
                    return Ok(());
                }
                let running = systemctl("enable")?;
                publish_running(model, running)?;
                if !running {
                    return model
                        .unit()
                        .set_status(Status::blocked("the kvdb service does not start"));
                }
                model.unit().set_workload_version(&workload_version()?)?;
                model.unit().set_status(Status::active(""))
            }
            EventKind::ConfigChanged => {
                // Not while upgrading: the protocol owns the workload then.
                if upgrade.state(model)? != UnitState::Idle {
                    info!("deferring config-changed: the unit is upgrading");
                    return event.defer();
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

impl Upgradable for Kvdb {
    /// Every unit's service must run (each says so in its peer databag).
    fn pre_upgrade_check(&mut self, model: &Model) -> Result<(), String> {
        let peers = model
            .get_relation(PEER)
            .ok()
            .flatten()
            .ok_or("no upgrade relation")?;
        let mut units = peers.units().map_err(|e| e.to_string())?;
        units.push(model.unit().name().to_string());
        units.sort();
        for unit in units {
            let said = peers.unit_data(&unit).get(RUNNING).map_err(|e| e.to_string())?;
            if said.as_deref() != Some("running") {
                return Err(format!("the kvdb service of {unit} is not running"));
            }
        }
        Ok(())
    }

    /// Install this revision's workload version and restart the service.
    fn upgrade_granted(&mut self, model: &Model) -> Result<(), String> {
        let fail = |e: Error| e.to_string();
        model
            .unit()
            .set_status(Status::maintenance("upgrading kvdb"))
            .map_err(fail)?;
        let version = workload_version().map_err(fail)?;
        install(&version).map_err(fail)??;
        if !systemctl("restart").map_err(fail)? {
            return Err("the kvdb service does not start after the upgrade".into());
        }
        model.unit().set_workload_version(&version).map_err(fail)?;
        model.unit().set_status(Status::active("")).map_err(fail)
    }

    fn rollback_instructions(&self) -> String {
        "Upgrade failed. Run `juju refresh kvdb --revision <previous>` to roll back: the failed \
         unit is reinstalled first, then the others in turn."
            .into()
    }
}

charmbox_sdk::export_charm!(Kvdb);
