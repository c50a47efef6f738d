//! `status`: the model as `juju status` shows it — applications, units
//! (workload and agent status, leader, address, ports, message) and
//! integrations — as data and as a table.

use comfy_table::{Table, presets};
use serde::Serialize;

use super::Simulator;
use super::history::clock;
use super::model::{Life, Model, Unit};
use crate::state::RelationKind;

/// One application.
#[derive(Debug, Clone, Serialize)]
pub struct AppLine {
    pub name: String,
    pub version: String,
    pub status: String,
    pub message: String,
    pub scale: usize,
    pub charm: String,
    pub rev: u32,
    pub leader: Option<String>,
}

/// One unit.
#[derive(Debug, Clone, Serialize)]
pub struct UnitLine {
    pub unit: String,
    pub leader: bool,
    pub workload: String,
    pub agent: String,
    pub address: String,
    pub ports: String,
    pub message: String,
}

/// One integration.
#[derive(Debug, Clone, Serialize)]
pub struct RelationLine {
    pub id: u32,
    pub provider: String,
    pub requirer: String,
    pub interface: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub message: String,
}

/// The whole status.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub model: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub time: String,
    pub seed: u64,
    pub applications: Vec<AppLine>,
    pub units: Vec<UnitLine>,
    pub relations: Vec<RelationLine>,
}

fn severity(s: &str) -> u8 {
    match s {
        "error" => 6,
        "blocked" => 5,
        "maintenance" => 4,
        "waiting" => 3,
        "active" => 2,
        "terminated" => 1,
        _ => 0,
    }
}

/// The unit's workload status and message as shown: an error state wins.
pub fn workload(u: &Unit) -> (String, String) {
    match &u.agent.error {
        Some(e) => ("error".into(), e.message.clone()),
        None => (u.status().status.clone(), u.status().message.clone()),
    }
}

/// The agent status: allocating, executing, idle, error.
pub fn agent(u: &Unit) -> &'static str {
    if u.agent.error.is_some() {
        "error"
    } else if !u.agent.installed {
        "allocating"
    } else if u.life == Life::Dying || u.agent.pod_exit.is_some() {
        "executing"
    } else {
        "idle"
    }
}

fn ports(u: &Unit) -> String {
    u.ports
        .iter()
        .map(|p| match p.to_port {
            Some(t) => format!("{}-{}/{}", p.port, t, p.protocol),
            None if p.protocol == "icmp" => "icmp".into(),
            None => format!("{}/{}", p.port, p.protocol),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The status of a model.
pub fn report(m: &Model) -> StatusReport {
    let mut applications = Vec::new();
    for a in m.apps.values() {
        let units: Vec<&Unit> = m
            .app_units(&a.name)
            .iter()
            .filter_map(|u| m.unit(u))
            .collect();
        let (status, message) = if a.status.status != "unknown" || units.is_empty() {
            (a.status.status.clone(), a.status.message.clone())
        } else {
            units
                .iter()
                .map(|u| workload(u))
                .max_by_key(|(s, _)| severity(s))
                .unwrap_or_default()
        };
        let version = units
            .iter()
            .map(|u| u.workload_version.clone())
            .find(|v| !v.is_empty())
            .unwrap_or_default();
        applications.push(AppLine {
            name: a.name.clone(),
            version,
            status,
            message,
            scale: units.iter().filter(|u| u.life == Life::Alive).count(),
            charm: a.charm_name.clone(),
            rev: a.charm_rev,
            leader: a.leader.map(|n| format!("{}/{n}", a.name)),
        });
    }
    let units = m
        .units
        .values()
        .map(|u| {
            let (workload, message) = workload(u);
            UnitLine {
                unit: u.name.to_string(),
                leader: m.is_leader(&u.name),
                workload,
                agent: agent(u).into(),
                address: u.address.clone(),
                ports: ports(u),
                message,
            }
        })
        .collect();
    let relations = m
        .relations
        .values()
        .map(|r| {
            let end = |i: usize| {
                r.ends
                    .get(i)
                    .or(r.ends.first())
                    .map(|e| format!("{}:{}", e.app, e.endpoint))
                    .unwrap_or_default()
            };
            RelationLine {
                id: r.id,
                provider: end(0),
                requirer: end(1),
                interface: r
                    .ends
                    .first()
                    .map(|e| e.interface.clone())
                    .unwrap_or_default(),
                kind: match r.kind {
                    RelationKind::Peer => "peer",
                    RelationKind::Subordinate => "subordinate",
                    RelationKind::Regular => "regular",
                }
                .into(),
                message: if r.life == Life::Dying {
                    "removing".into()
                } else if r.suspended {
                    "suspended".into()
                } else {
                    String::new()
                },
            }
        })
        .collect();
    StatusReport {
        model: m.meta.name.clone(),
        kind: m.meta.kind.model_type().into(),
        time: super::project::rfc3339(m.meta.now),
        seed: m.meta.seed,
        applications,
        units,
        relations,
    }
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING);
    t.set_header(header.to_vec());
    t
}

/// The status as `juju status` tables.
pub fn render(r: &StatusReport, now_ns: u64) -> String {
    let mut out = String::new();
    let mut t = table(&["Model", "Type", "Time", "Seed"]);
    t.add_row(vec![
        r.model.clone(),
        r.kind.clone(),
        clock(now_ns),
        r.seed.to_string(),
    ]);
    out.push_str(&format!("{t}\n\n"));
    let mut t = table(&[
        "App", "Version", "Status", "Scale", "Charm", "Rev", "Message",
    ]);
    for a in &r.applications {
        t.add_row(vec![
            a.name.clone(),
            a.version.clone(),
            a.status.clone(),
            a.scale.to_string(),
            a.charm.clone(),
            a.rev.to_string(),
            a.message.clone(),
        ]);
    }
    out.push_str(&format!("{t}\n\n"));
    let mut t = table(&["Unit", "Workload", "Agent", "Address", "Ports", "Message"]);
    for u in &r.units {
        let star = if u.leader { "*" } else { "" };
        t.add_row(vec![
            format!("{}{star}", u.unit),
            u.workload.clone(),
            u.agent.clone(),
            u.address.clone(),
            u.ports.clone(),
            u.message.clone(),
        ]);
    }
    out.push_str(&format!("{t}\n"));
    if !r.relations.is_empty() {
        let mut t = table(&[
            "Integration provider",
            "Requirer",
            "Interface",
            "Type",
            "Message",
        ]);
        for rel in &r.relations {
            t.add_row(vec![
                rel.provider.clone(),
                rel.requirer.clone(),
                rel.interface.clone(),
                rel.kind.clone(),
                rel.message.clone(),
            ]);
        }
        out.push_str(&format!("\n{t}\n"));
    }
    out
}

impl Simulator {
    /// The model's status.
    pub fn status(&self) -> StatusReport {
        report(&self.model)
    }

    /// The status as `juju status` prints it.
    pub fn status_table(&self) -> String {
        render(&self.status(), self.model.meta.now)
    }
}
