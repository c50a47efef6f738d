//! `charmbox run`: one event, one unit, State in and out.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use charmbox::engine::{Runtime, RuntimeConfig};
use charmbox::event::EventSpec;
use charmbox::run::{Charm, run_event};
use charmbox::state::State;

#[derive(clap::Args)]
pub struct RunArgs {
    /// A charm directory (component built beside charmcraft.yaml) or a .wasm component.
    #[arg(long)]
    pub charm: PathBuf,
    /// The hook to run: `start`, `db-relation-changed`, `workload-pebble-ready`...
    #[arg(long, conflicts_with = "action", required_unless_present = "action")]
    pub event: Option<String>,
    /// Run this action instead of a hook.
    #[arg(long)]
    pub action: Option<String>,
    /// Action parameter `key=value` (value parsed as JSON when it is JSON).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// The input State (JSON); an empty State when absent.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Where to write the output State; stdout when absent.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write the run report (outcome, logs, action results) here as JSON.
    #[arg(long)]
    pub report: Option<PathBuf>,
    #[arg(long)]
    pub relation_id: Option<u32>,
    #[arg(long)]
    pub remote_unit: Option<String>,
    #[arg(long)]
    pub departing_unit: Option<String>,
    #[arg(long)]
    pub notice_id: Option<String>,
    #[arg(long)]
    pub notice_type: Option<String>,
    #[arg(long)]
    pub notice_key: Option<String>,
    #[arg(long)]
    pub check: Option<String>,
    #[arg(long)]
    pub secret: Option<String>,
    #[arg(long)]
    pub secret_revision: Option<u32>,
    #[arg(long)]
    pub storage: Option<String>,
    /// Fuel for the event (default 2e9).
    #[arg(long)]
    pub fuel: Option<u64>,
    /// Memory limit of the guest in MiB (default 256).
    #[arg(long)]
    pub max_memory_mib: Option<usize>,
}

fn parse_params(raw: &[String]) -> anyhow::Result<BTreeMap<String, serde_json::Value>> {
    let mut out = BTreeMap::new();
    for p in raw {
        let Some((k, v)) = p.split_once('=') else {
            bail!("--param {p:?}: expected KEY=VALUE");
        };
        let value = serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.into()));
        out.insert(k.to_string(), value);
    }
    Ok(out)
}

impl RunArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let state = match &self.state {
            Some(p) => State::load(p)?,
            None => State::default(),
        };
        let spec = EventSpec {
            name: self
                .event
                .clone()
                .or(self.action.clone())
                .unwrap_or_default(),
            action: self.action.is_some(),
            relation_id: self.relation_id,
            remote_unit: self.remote_unit,
            departing_unit: self.departing_unit,
            notice_id: self.notice_id,
            notice_type: self.notice_type,
            notice_key: self.notice_key,
            check_name: self.check,
            secret_id: self.secret,
            secret_revision: self.secret_revision,
            storage_id: self.storage,
            params: parse_params(&self.params)?,
            action_id: None,
        };
        let mut config = RuntimeConfig::default();
        if let Some(m) = self.max_memory_mib {
            config.max_memory = m << 20;
        }
        let rt = Runtime::new(config)?;
        let charm = Charm::open(&rt, &self.charm)?;
        let (out, report) = run_event(&rt, &charm, state, &spec, self.fuel)?;
        for line in &report.logs {
            eprintln!("juju-log {:?}: {}", line.level, line.message);
        }
        eprintln!("{}: {}", spec.name, report.outcome.describe());
        match &self.out {
            Some(p) => std::fs::write(p, out.to_json())
                .with_context(|| format!("cannot write {}", p.display()))?,
            None => print!("{}", out.to_json()),
        }
        if let Some(p) = &self.report {
            let json = serde_json::to_string_pretty(&report)? + "\n";
            std::fs::write(p, json).with_context(|| format!("cannot write {}", p.display()))?;
        }
        Ok(if report.outcome.is_ok() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}
