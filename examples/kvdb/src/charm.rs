// The charm's code, shared by every revision of kvdb (machines) and of
// kvdb-k8s (each gives DEPENDENCIES, and K8S: whether the workload is the
// `kvdb` container's Pebble service rather than an apt package).

use std::collections::BTreeMap;

use charmbox_sdk::machine::{Command, Output};
use charmbox_sdk::upgrade::{Dependency, UnitState, Upgradable, Upgrade};
use charmbox_sdk::{
    Charm, Container, Error, Event, EventKind, Layer, Model, Service, Status, debug, info,
};

/// The upgrade peer relation.
const PEER: &str = "upgrade";
/// The workload's package and service.
const PACKAGE: &str = "kvdb-server";
const SERVICE: &str = "kvdb";
/// The peer databag key saying the unit's service runs.
const RUNNING: &str = "workload";
/// Where the kvdb image keeps the version it carries (Kubernetes).
const IMAGE_VERSION: &str = "/etc/kvdb/version";

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
    let args = if verb == "enable" {
        vec!["enable", "--now", SERVICE]
    } else {
        vec![verb, SERVICE]
    };
    Ok(run(Command::new("systemctl").args(args))?.success())
}

/// The workload container (Kubernetes), once its Pebble answers.
fn container() -> Result<Option<Container>, Error> {
    let c = Container::open(SERVICE)?;
    Ok(c.can_connect().then_some(c))
}

/// The Pebble layer running kvdb-server from the image.
fn layer() -> Layer {
    Layer::new().summary("kvdb layer").service(
        SERVICE,
        Service::new("kvdb-server --data /var/lib/kvdb")
            .summary("kvdb server")
            .startup_enabled(),
    )
}

/// Give Pebble the layer and (re)start the service: whether it runs. A
/// service that cannot start is a `false`, its error logged.
fn pebble_serve(c: &Container, restart: bool) -> Result<bool, Error> {
    c.add_layer(SERVICE, &layer(), true)?;
    let started = if restart {
        c.restart(&[SERVICE])
    } else {
        c.replan()
    };
    if let Err(e) = started {
        info!("the kvdb service does not start: {e}");
        return Ok(false);
    }
    Ok(c.get_service(SERVICE)?.current == "active")
}

/// The version the pod's image carries (Kubernetes).
fn image_version(c: &Container) -> Result<String, Error> {
    Ok(c.pull_string(IMAGE_VERSION)?.trim().to_string())
}

/// Start the workload: whether it runs (`None`: Pebble is not up yet).
fn start_workload() -> Result<Option<bool>, Error> {
    if !K8S {
        return systemctl("enable").map(Some);
    }
    match container()? {
        Some(c) => pebble_serve(&c, false).map(Some),
        None => Ok(None),
    }
}

/// Move the workload to `version`: the package on machines; on Kubernetes
/// the new pod's image must carry it.
fn upgrade_workload(version: &str) -> Result<Result<(), String>, Error> {
    if !K8S {
        if let Err(why) = install(version)? {
            return Ok(Err(why));
        }
        if !systemctl("restart")? {
            return Ok(Err(
                "the kvdb service does not start after the upgrade".into()
            ));
        }
        return Ok(Ok(()));
    }
    let Some(c) = container()? else {
        return Ok(Err("Pebble in the kvdb container does not answer".into()));
    };
    let carried = image_version(&c)?;
    if carried != version {
        return Ok(Err(format!(
            "the kvdb image carries {carried}, this revision needs {version}: refresh with \
             its kvdb-image resource"
        )));
    }
    if !pebble_serve(&c, true)? {
        return Ok(Err(
            "the kvdb service does not start after the upgrade".into()
        ));
    }
    Ok(Ok(()))
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
        if K8S {
            upgrade = upgrade.on_kubernetes().pause_after_first();
        }
        if upgrade.handle(self, event, model)? {
            return Ok(());
        }
        match event.kind() {
            // On Kubernetes the image carries the workload.
            EventKind::Install if !K8S => {
                if let Err(why) = install(&workload_version()?)? {
                    return model.unit().set_status(Status::blocked(why));
                }
                Ok(())
            }
            EventKind::Start | EventKind::PebbleReady => {
                // A new pod (k8s) whose upgrade failed stays blocked, and
                // so does a unit waiting for its turn.
                if upgrade.state(model)? != UnitState::Idle {
                    return Ok(());
                }
                let Some(running) = start_workload()? else {
                    return model
                        .unit()
                        .set_status(Status::waiting("waiting for Pebble in the kvdb container"));
                };
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
            let said = peers
                .unit_data(&unit)
                .get(RUNNING)
                .map_err(|e| e.to_string())?;
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
        upgrade_workload(&version).map_err(fail)??;
        model.unit().set_workload_version(&version).map_err(fail)?;
        model.unit().set_status(Status::active("")).map_err(fail)
    }

    /// On Kubernetes a new pod upgrades once its Pebble answers.
    fn workload_reachable(&mut self, _model: &Model) -> bool {
        !K8S || matches!(container(), Ok(Some(_)))
    }

    fn rollback_instructions(&self) -> String {
        let app = if K8S { "kvdb-k8s" } else { "kvdb" };
        format!(
            "Upgrade failed. Run `juju refresh {app} --revision <previous>` to roll back: the \
             failed unit is reinstalled first, then the others in turn."
        )
    }
}

charmbox_sdk::export_charm!(Kvdb);
