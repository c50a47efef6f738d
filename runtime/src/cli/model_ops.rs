//! `charmbox model leader|model-config|trust|attach-resource|add-storage|
//! detach-storage|address|suspend-relation|resume-relation|
//! restart-container|pebble-notify|pebble-check|reboot|restart-agent`:
//! operations on what a unit's agent sees after deploy — a leader's lease
//! moving, model config, trust, a resource, storage, a new address, a
//! relation suspended or resumed, a workload container restarting or
//! telling the charm something, a machine rebooting, an agent restarting.

use std::collections::BTreeMap;

use anyhow::bail;
use charmbox::sim::Simulator;
use charmbox::sim::ops::{CheckChange, model_config};

use super::model_flag::SettleFlag;

/// The operations of this file.
#[derive(clap::Subcommand)]
pub enum OpVerb {
    /// The leader's lease expires and UNIT claims it: the old leader
    /// resigns (no hook), UNIT runs leader-elected.
    Leader {
        unit: String,
        #[command(flatten)]
        settle: SettleFlag,
    },
    /// Show or change model config (`update-status-hook-interval`,
    /// `automatically-retry-hooks`), as `juju model-config` does.
    ModelConfig {
        /// `key=value` to set.
        settings: Vec<String>,
        #[command(flatten)]
        settle: SettleFlag,
    },
    /// Trust an application (`juju trust`): config-changed on its units.
    Trust {
        app: String,
        /// Take the trust away again.
        #[arg(long)]
        remove: bool,
        #[command(flatten)]
        settle: SettleFlag,
    },
    /// Attach a new revision of a resource (`juju attach-resource APP
    /// NAME=FILE`; the file is not read): every unit upgrades.
    AttachResource {
        app: String,
        /// `NAME` or `NAME=FILE`.
        resource: String,
        #[command(flatten)]
        settle: SettleFlag,
    },
    /// Add storage to a unit (`juju add-storage UNIT NAME[=COUNT]`;
    /// machine models): storage-attached for each new instance.
    AddStorage {
        unit: String,
        /// `NAME` or `NAME=COUNT`.
        storage: String,
        #[command(flatten)]
        settle: SettleFlag,
    },
    /// Detach a storage instance (`juju detach-storage NAME/N`; machine
    /// models): storage-detaching.
    DetachStorage {
        storage: String,
        #[command(flatten)]
        settle: SettleFlag,
    },
    /// Give a unit a new address (its machine or pod moved): config-changed.
    Address {
        unit: String,
        address: String,
        #[command(flatten)]
        settle: SettleFlag,
    },
    /// Suspend a relation (`juju suspend-relation`; by id, or by its two
    /// ends): its units depart and run relation-broken.
    SuspendRelation {
        /// The relation id, or one end (`app[:endpoint]`).
        relation: String,
        /// The other end, when the first is an end.
        other: Option<String>,
        #[command(flatten)]
        settle: SettleFlag,
    },
    /// Resume a suspended relation: relation-created, joined, changed again.
    ResumeRelation {
        relation: String,
        other: Option<String>,
        #[command(flatten)]
        settle: SettleFlag,
    },
    /// Restart a workload container (k8s): `<container>-pebble-ready` again.
    RestartContainer {
        unit: String,
        container: String,
        #[command(flatten)]
        settle: SettleFlag,
    },
    /// A custom notice in a workload container (`pebble notify KEY`):
    /// `<container>-pebble-custom-notice`.
    PebbleNotify {
        unit: String,
        container: String,
        /// `domain.tld/path`.
        key: String,
        #[command(flatten)]
        settle: SettleFlag,
    },
    /// A Pebble check fails or recovers: `<container>-pebble-check-failed`
    /// or `-recovered`.
    PebbleCheck {
        unit: String,
        container: String,
        check: String,
        change: CheckArg,
        #[command(flatten)]
        settle: SettleFlag,
    },
    /// Reboot a unit's machine (machine models): `start` again, on every
    /// unit of the machine.
    Reboot {
        unit: String,
        #[command(flatten)]
        settle: SettleFlag,
    },
    /// Upgrade a machine's series in place (`juju upgrade-machine`,
    /// machine models; the machine is named by a unit on it): `prepare
    /// BASE` runs pre-series-upgrade on its units and stops their agents;
    /// `complete` starts them and runs post-series-upgrade.
    UpgradeMachine {
        unit: String,
        #[command(subcommand)]
        step: UpgradeStep,
    },
    /// Offer endpoints to other models (`juju offer APP:EP[,EP] [NAME]`).
    Offer {
        endpoints: String,
        name: Option<String>,
    },
    /// Consume an offer as a SAAS name that `integrate` takes (`juju
    /// consume OFFER [ALIAS]`); each side then sees the other as remote.
    Consume {
        offer: String,
        alias: Option<String>,
        #[command(flatten)]
        settle: SettleFlag,
    },
    /// Remove a SAAS name and its relations (`juju remove-saas`).
    RemoveSaas {
        name: String,
        #[command(flatten)]
        settle: SettleFlag,
    },
    /// Restart a unit's agent: non-leaders run leader-settings-changed.
    RestartAgent {
        unit: String,
        #[command(flatten)]
        settle: SettleFlag,
    },
}

/// A check's change, as the CLI names it.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum CheckArg {
    Failed,
    Recovered,
}

/// `key=value` arguments as text.
fn pairs(args: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for p in args {
        let Some((k, v)) = p.split_once('=') else {
            bail!("expected key=value, got {p:?}");
        };
        if out.insert(k.to_string(), v.to_string()).is_some() {
            bail!("key {k:?} given twice");
        }
    }
    Ok(out)
}

impl OpVerb {
    /// Apply the operation, printing what it did; returns whether to settle.
    pub fn run(self, sim: &mut Simulator) -> anyhow::Result<bool> {
        let settle = match self {
            OpVerb::Leader { unit, settle } => {
                sim.elect_leader(&unit)?;
                println!("{unit} is the leader");
                settle
            }
            OpVerb::ModelConfig { settings, settle } => {
                if settings.is_empty() {
                    for (k, v) in model_config(&sim.model().meta.settings) {
                        println!("{k}: {v}");
                    }
                    return Ok(false);
                }
                sim.set_model_config(&pairs(&settings)?)?;
                settle
            }
            OpVerb::Trust {
                app,
                remove,
                settle,
            } => {
                sim.trust(&app, !remove)?;
                settle
            }
            OpVerb::AttachResource {
                app,
                resource,
                settle,
            } => {
                let name = resource
                    .split_once('=')
                    .map_or(resource.as_str(), |(n, _)| n);
                sim.attach_resource(&app, name)?;
                settle
            }
            OpVerb::AddStorage {
                unit,
                storage,
                settle,
            } => {
                let (name, count) = match storage.split_once('=') {
                    None => (storage.as_str(), 1),
                    Some((n, c)) => match c.parse::<u32>() {
                        Ok(c) => (n, c),
                        Err(_) => bail!("storage count {c:?} is not a number"),
                    },
                };
                for id in sim.add_storage(&unit, name, count)? {
                    println!("{id}");
                }
                settle
            }
            OpVerb::DetachStorage { storage, settle } => {
                sim.detach_storage(&storage)?;
                settle
            }
            OpVerb::Address {
                unit,
                address,
                settle,
            } => {
                sim.set_address(&unit, &address)?;
                settle
            }
            OpVerb::SuspendRelation {
                relation,
                other,
                settle,
            } => {
                let id = sim.suspend_relation(&relation, other.as_deref().unwrap_or(""))?;
                println!("relation {id} suspended");
                settle
            }
            OpVerb::ResumeRelation {
                relation,
                other,
                settle,
            } => {
                let id = sim.resume_relation(&relation, other.as_deref().unwrap_or(""))?;
                println!("relation {id} resumed");
                settle
            }
            OpVerb::RestartContainer {
                unit,
                container,
                settle,
            } => {
                sim.restart_container(&unit, &container)?;
                settle
            }
            OpVerb::PebbleNotify {
                unit,
                container,
                key,
                settle,
            } => {
                let id = sim.pebble_notify(&unit, &container, &key)?;
                println!("notice {id}");
                settle
            }
            OpVerb::PebbleCheck {
                unit,
                container,
                check,
                change,
                settle,
            } => {
                let change = match change {
                    CheckArg::Failed => CheckChange::Failed,
                    CheckArg::Recovered => CheckChange::Recovered,
                };
                sim.pebble_check(&unit, &container, &check, change)?;
                settle
            }
            OpVerb::Reboot { unit, settle } => {
                println!("rebooted {}", sim.reboot(&unit)?.join(" "));
                settle
            }
            OpVerb::RestartAgent { unit, settle } => {
                sim.restart_agent(&unit)?;
                settle
            }
            OpVerb::Offer { endpoints, name } => {
                println!("offer {}", sim.offer(&endpoints, name.as_deref())?);
                SettleFlag { settle: false }
            }
            OpVerb::Consume {
                offer,
                alias,
                settle,
            } => {
                println!(
                    "consumed {offer} as {}",
                    sim.consume(&offer, alias.as_deref())?
                );
                settle
            }
            OpVerb::RemoveSaas { name, settle } => {
                sim.remove_saas(&name)?;
                println!("removed SAAS {name}");
                settle
            }
            OpVerb::UpgradeMachine { unit, step } => match step {
                UpgradeStep::Prepare { base, settle } => {
                    sim.upgrade_machine_prepare(&unit, &base)?;
                    settle
                }
                UpgradeStep::Complete { settle } => {
                    sim.upgrade_machine_complete(&unit)?;
                    settle
                }
            },
        };
        Ok(settle.settle)
    }
}

/// The two steps of `upgrade-machine`.
#[derive(clap::Subcommand)]
pub enum UpgradeStep {
    /// Start the upgrade to BASE (`ubuntu@24.04`).
    Prepare {
        base: String,
        #[command(flatten)]
        settle: SettleFlag,
    },
    /// The machine was upgraded: start its unit agents again.
    Complete {
        #[command(flatten)]
        settle: SettleFlag,
    },
}
