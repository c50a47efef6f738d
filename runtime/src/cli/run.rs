//! `charmbox run`: one event, one unit, State in and out.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use charmbox::bindings::types::LogLevel;
use charmbox::engine::MAX_MEMORY_MIB;
use charmbox::engine::Runtime;
use charmbox::event::EventSpec;
use charmbox::native::NativeCharm;
use charmbox::run::{Charm, InRuntime, RunOptions, run_on};
use charmbox::state::{DEFAULT_MAX_STATE_BYTES, State};
use charmbox::trace::{Header, TraceWriter};

#[derive(clap::Args)]
pub struct RunArgs {
    /// A charm directory (component built beside charmcraft.yaml) or a .wasm component.
    #[arg(long)]
    pub charm: PathBuf,
    /// The hook to run: `start`, `db-relation-changed`, `workload-pebble-ready`...
    /// Given more than once, the events run in order, each on the State the
    /// previous one left.
    #[arg(long, conflicts_with = "action", required_unless_present = "action")]
    pub event: Vec<String>,
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
    /// Record every dispatch into this trace (JSON Lines; see docs/traces.md).
    #[arg(long)]
    pub trace: Option<PathBuf>,
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
    /// pre-series-upgrade: the base the machine goes to (`ubuntu@24.04`).
    #[arg(long)]
    pub target_base: Option<String>,
    /// Fuel for the event (default 2e9; at least 1).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub fuel: Option<u64>,
    /// Memory limit of the guest in MiB (default 256; 1 to 4096, wasm32's
    /// whole address space).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_MEMORY_MIB))]
    pub max_memory_mib: Option<u64>,
    /// The largest State file read, in MiB.
    #[arg(long, default_value_t = DEFAULT_MAX_STATE_BYTES >> 20,
          value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub max_state_mib: u64,
    /// The unit's disk for WASI guests (a Python charm's ops state, /tmp),
    /// kept across events and runs; default: an empty one for every event.
    #[arg(long)]
    pub unit_dir: Option<PathBuf>,
    /// Run the charm directory as a process, as Juju's uniter runs it
    /// (its `dispatch`, or `src/charm.py` with the host's python3), with
    /// the hook tools and Pebble served on unix sockets (docs/native.md).
    #[arg(long)]
    pub native: bool,
    /// Grant the charm a program it declares under `charmbox:
    /// machine-commands:` (repeatable; added to the State's
    /// `machine.granted`).
    #[arg(long = "grant-command", value_name = "PROGRAM")]
    pub grant_commands: Vec<String>,
    #[command(flatten)]
    pub limits: super::limits::LimitArgs,
}

/// `--param key=value` pairs (a value is JSON when it parses as JSON).
pub(super) fn parse_params(raw: &[String]) -> anyhow::Result<BTreeMap<String, serde_json::Value>> {
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
        let mut state = match &self.state {
            Some(p) => State::load_bounded(p, self.max_state_mib << 20)?,
            None => State::default(),
        };
        state
            .machine
            .granted
            .extend(self.grant_commands.iter().cloned());
        let names: Vec<(String, bool)> = match &self.action {
            Some(a) => vec![(a.clone(), true)],
            None => self.event.iter().map(|e| (e.clone(), false)).collect(),
        };
        let mut config = self.limits.config()?;
        if let Some(m) = self.max_memory_mib {
            config.max_memory = (m as usize) << 20;
        }
        let (charm, header) = if self.native {
            let native = NativeCharm::open(&self.charm)?.with_limits(config.limits.clone());
            let header = Header::for_native(&native.meta.name, state.seed);
            (Program::Native(native), header)
        } else {
            let rt = Runtime::new(config)?;
            let charm = Charm::open(&rt, &self.charm)?;
            let header = Header::for_charm(&charm, &rt, self.fuel, state.seed);
            (Program::Component(Box::new(rt), charm), header)
        };
        let mut trace = match &self.trace {
            Some(p) => {
                let file = std::fs::File::create(p)
                    .with_context(|| format!("cannot create {}", p.display()))?;
                Some(TraceWriter::new(
                    Box::new(std::io::BufWriter::new(file)),
                    header,
                )?)
            }
            None => None,
        };
        let params = parse_params(&self.params)?;
        if self.unit_dir.is_some() && self.trace.is_some() {
            eprintln!(
                "warning: the unit directory is not recorded in the trace: a replay starts \
                 every event on an empty one"
            );
        }
        let mut reports = Vec::new();
        for (name, action) in names {
            let spec = EventSpec {
                name: name.clone(),
                action,
                relation_id: self.relation_id,
                remote_unit: self.remote_unit.clone(),
                departing_unit: self.departing_unit.clone(),
                notice_id: self.notice_id.clone(),
                notice_type: self.notice_type.clone(),
                notice_key: self.notice_key.clone(),
                check_name: self.check.clone(),
                secret_id: self.secret.clone(),
                secret_revision: self.secret_revision,
                storage_id: self.storage.clone(),
                params: params.clone(),
                action_id: None,
                target_base: self.target_base.clone(),
            };
            let opts = RunOptions::default()
                .fuel(self.fuel)
                .trace(trace.as_mut())
                .unit_dir(self.unit_dir.as_deref());
            let (out, report) = match &charm {
                Program::Component(rt, charm) => {
                    run_on(&InRuntime { rt, charm }, state, &spec, opts)
                }
                Program::Native(native) => run_on(native, state, &spec, opts),
            }?;
            for line in &report.logs {
                eprintln!("juju-log {}: {}", level_name(line.level), line.message);
            }
            if let Some(o) = &report.output {
                for line in o.stdout.lines().chain(o.stderr.lines()) {
                    eprintln!("{name}: {line}");
                }
            }
            eprintln!("{name}: {}", outcome_once(&report));
            if let Some(a) = &report.action {
                print_action(&name, a);
            }
            if let Some(r) = report.reboot {
                eprintln!("{name}: {}", reboot_note(r, report.outcome.is_ok()));
            }
            state = out;
            // The next event, here or from the `--out` file, draws new numbers.
            state.advance_seed();
            reports.push(report);
        }
        if let Some(t) = trace.as_mut() {
            t.close().context("cannot write the trace")?;
        }
        match &self.out {
            Some(p) => std::fs::write(p, state.to_json())
                .with_context(|| format!("cannot write {}", p.display()))?,
            None => print!("{}", state.to_json()),
        }
        if let Some(p) = &self.report {
            let json = if reports.len() == 1 {
                serde_json::to_string_pretty(&reports[0])?
            } else {
                serde_json::to_string_pretty(&reports)?
            };
            std::fs::write(p, json + "\n")
                .with_context(|| format!("cannot write {}", p.display()))?;
        }
        Ok(exit_code(&reports))
    }
}

/// Exit status: 0 when every event succeeded, 1 when a hook failed, and
/// [`ACTION_FAILED_EXIT`] when an action's hook succeeded but the action
/// called `action-fail` (Juju shows such a task as `failed`).
fn exit_code(reports: &[charmbox::run::RunReport]) -> ExitCode {
    if reports.iter().any(|r| !r.outcome.is_ok()) {
        ExitCode::from(1)
    } else if reports
        .iter()
        .any(|r| r.action.as_ref().is_some_and(|a| a.failed.is_some()))
    {
        ExitCode::from(ACTION_FAILED_EXIT)
    } else {
        ExitCode::SUCCESS
    }
}

/// The outcome as printed after the logs: a traceback the charm already
/// logged (ops logs an uncaught exception's traceback with juju-log, as
/// under Juju) is not printed a second time, only its last line.
fn outcome_once(report: &charmbox::run::RunReport) -> String {
    use charmbox::engine::{Failure, Outcome};
    if let Outcome::Failed {
        failure: Failure::CharmError(m),
    } = &report.outcome
        && m.lines().nth(1).is_some()
        && report.logs.iter().any(|l| l.message.contains(m.as_str()))
    {
        let last = m.lines().last().unwrap_or_default();
        return format!("hook failed: {last} (the traceback is in the log above)");
    }
    report.outcome.describe()
}

/// `charmbox run --action`'s exit status for an action that called
/// `action-fail` (2 is clap's for usage errors).
pub const ACTION_FAILED_EXIT: u8 = 3;

/// An action's logs, results (YAML, as `juju run` shows them) and failure,
/// on stderr: stdout carries the output State.
fn print_action(name: &str, a: &charmbox::backend::unit::ActionReport) {
    for line in &a.logs {
        eprintln!("{name}: log: {line}");
    }
    if !a.results.is_empty() {
        let sorted = charmbox::juju::action_schema::sorted_keys(&serde_json::Value::Object(
            a.results.clone(),
        ));
        match serde_norway::to_string(&sorted) {
            Ok(yaml) => {
                eprintln!("{name}: results:");
                for line in yaml.lines() {
                    eprintln!("  {line}");
                }
            }
            Err(e) => eprintln!("{name}: results cannot be shown: {e}"),
        }
    }
    if let Some(m) = &a.failed {
        eprintln!("{name}: action failed: {m}");
    }
}

/// The charm as `charmbox run` runs it.
enum Program {
    Component(Box<Runtime>, Charm),
    Native(NativeCharm),
}

/// Juju's name of a log level.
pub fn level_name(l: LogLevel) -> &'static str {
    match l {
        LogLevel::Trace => "TRACE",
        LogLevel::Debug => "DEBUG",
        LogLevel::Info => "INFO",
        LogLevel::Warning => "WARNING",
        LogLevel::Error => "ERROR",
        LogLevel::Critical => "CRITICAL",
    }
}

/// What Juju's agent does with a `juju-reboot` request after the hook.
fn reboot_note(r: charmbox::backend::unit::Reboot, ok: bool) -> &'static str {
    use charmbox::backend::unit::Reboot;
    match (r, ok) {
        (Reboot::Now, _) => {
            "juju-reboot --now: Juju would reboot the machine and run this hook again"
        }
        (Reboot::AfterHook, true) => "juju-reboot: Juju would reboot the machine after this hook",
        (Reboot::AfterHook, false) => "juju-reboot: the hook failed, so Juju would not reboot",
    }
}
