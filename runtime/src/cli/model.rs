//! `charmbox model <verb>`: operations on a model file, as `juju` commands
//! are on a model. Operations change the model and return; `settle` runs
//! the hooks they made due (or pass `--settle`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use charmbox::engine::Runtime;
use charmbox::sim::history::{LogFilter, clock, format_log};
use charmbox::sim::lock::DEFAULT_LOCK_WAIT;
use charmbox::sim::model::{ActionStatus, Substrate};
use charmbox::sim::ops::DeployOptions;
use charmbox::sim::{ModelOptions, OpenMode, Simulator};

use super::model_flag::{ForceFlags, SettleFlag};

#[derive(clap::Args)]
pub struct ModelArgs {
    /// The model file (SQLite); `$CHARMBOX_MODEL`, else `charmbox-model.db`.
    #[arg(long, short = 'm', global = true)]
    pub model: Option<PathBuf>,
    /// How long to wait while another command uses the model file before
    /// failing with "model … is busy" (`0s`: fail at once).
    #[arg(long, global = true, value_name = "DURATION", default_value_t = DEFAULT_LOCK_WAIT.into())]
    pub wait: humantime::Duration,
    #[command(subcommand)]
    pub verb: Verb,
    #[command(flatten)]
    pub limits: super::limits::LimitArgs,
}

#[derive(clap::Subcommand)]
pub enum Verb {
    /// Create an empty model file.
    New {
        /// A machine model (default: Kubernetes).
        #[arg(long)]
        machine: bool,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long, default_value = "sim")]
        name: String,
    },
    /// Deploy a charm (directory or .wasm); creates the model file if needed.
    Deploy {
        charm: PathBuf,
        app: Option<String>,
        #[arg(long, short = 'n')]
        num_units: Option<u32>,
        /// `key=value` (value parsed as JSON when it is JSON).
        #[arg(long = "config", value_name = "KEY=VALUE")]
        config: Vec<String>,
        /// k8s: a Deployment (a churned pod becomes a new unit).
        #[arg(long)]
        stateless: bool,
        /// Keep `state-set` data in the pod (lost on churn), like ops' local StoredState.
        #[arg(long)]
        pod_local_state: bool,
        #[arg(long)]
        trust: bool,
        /// Run the charm directory natively, as a process, as Juju's uniter
        /// runs it (docs/native.md), instead of its component.
        #[arg(long)]
        native: bool,
        #[command(flatten)]
        settle: SettleFlag,
    },
    /// Relate two applications (`app` or `app:endpoint`).
    Integrate {
        a: String,
        b: String,
        #[command(flatten)]
        settle: SettleFlag,
    },
    /// Remove a relation.
    RemoveRelation {
        a: String,
        b: String,
        #[command(flatten)]
        settle: SettleFlag,
    },
    /// Show or change an application's config.
    Config {
        app: String,
        /// `key=value` to set.
        settings: Vec<String>,
        #[arg(long)]
        reset: Vec<String>,
        #[command(flatten)]
        settle: SettleFlag,
    },
    /// Scale an application to N units.
    Scale {
        app: String,
        units: u32,
        #[command(flatten)]
        settle: SettleFlag,
    },
    /// Remove a unit.
    RemoveUnit {
        unit: String,
        #[command(flatten)]
        force: ForceFlags,
        #[command(flatten)]
        settle: SettleFlag,
    },
    /// Remove an application.
    RemoveApplication {
        app: String,
        #[command(flatten)]
        force: ForceFlags,
        #[command(flatten)]
        settle: SettleFlag,
    },
    /// Delete a k8s unit's pod (stateful: same unit, new pod; stateless: a new unit).
    Churn {
        unit: String,
        /// Churn this many times, settling after each.
        #[arg(long, default_value_t = 1)]
        times: u32,
        #[command(flatten)]
        settle: SettleFlag,
    },
    /// Refresh an application to a new charm revision.
    Refresh {
        app: String,
        #[arg(long)]
        path: Option<PathBuf>,
        #[command(flatten)]
        settle: SettleFlag,
    },
    /// Run an action on a unit and wait for it (settles the model).
    RunAction {
        unit: String,
        action: String,
        /// `key=value` parameters.
        params: Vec<String>,
        /// Only queue it (`juju run --background`): prints its id; a later
        /// settle runs it.
        #[arg(long)]
        background: bool,
    },
    /// Retry a unit's failed hook now (or skip it with --no-retry).
    Resolve {
        unit: String,
        #[arg(long)]
        no_retry: bool,
        #[command(flatten)]
        settle: SettleFlag,
    },
    /// User secrets and owner hooks: add, set, rotate, expire, remove.
    Secret {
        #[command(subcommand)]
        op: super::model_secret::SecretVerb,
        #[command(flatten)]
        settle: SettleFlag,
    },
    #[command(flatten)]
    Op(super::model_ops::OpVerb),
    /// Run hooks until none is due (or only the next N).
    Settle {
        /// Run only the next N hooks and list them, and the hook each unit
        /// has due next; the rest stay queued.
        #[arg(long, value_name = "N")]
        steps: Option<u64>,
    },
    /// Move virtual time forward (`30s`, `10m`), firing timers.
    Advance { duration: String },
    /// The model as `juju status` shows it.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Hooks run and log lines, filtered.
    Log {
        /// A unit (`app/0`) or an application.
        #[arg(long)]
        unit: Option<String>,
        /// A hook name; `prefix*` matches a prefix.
        #[arg(long)]
        event: Option<String>,
        /// The lowest level shown (DEBUG, INFO, WARNING, ERROR).
        #[arg(long)]
        level: Option<String>,
        /// Only the hooks run, one line each.
        #[arg(long)]
        hooks: bool,
        /// The last N lines.
        #[arg(long)]
        tail: Option<usize>,
    },
}

/// `key=value` pairs, values read as JSON when they are JSON.
pub fn parse_pairs(pairs: &[String]) -> anyhow::Result<BTreeMap<String, serde_json::Value>> {
    let mut out = BTreeMap::new();
    for p in pairs {
        let Some((k, v)) = p.split_once('=') else {
            bail!("expected key=value, got {p:?}");
        };
        let value = serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.into()));
        out.insert(k.to_string(), value);
    }
    Ok(out)
}

/// The model file to use.
pub fn model_path(given: Option<&Path>) -> PathBuf {
    given
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("CHARMBOX_MODEL").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("charmbox-model.db"))
}

/// What a command says while it waits for another one's lock.
pub fn waiting(wait: Duration) -> impl FnMut(&Path) {
    move |p| {
        eprintln!(
            "waiting for model {}: another charmbox command is using it (up to {})",
            p.display(),
            humantime::format_duration(wait)
        );
    }
}

fn runtime(limits: &super::limits::LimitArgs) -> anyhow::Result<Runtime> {
    Runtime::new(limits.config()?)
}

fn settled(sim: &mut Simulator, flag: &SettleFlag) -> anyhow::Result<()> {
    if flag.settle {
        let n = sim.settle()?;
        println!("settled: {n} hooks");
    }
    Ok(())
}

impl ModelArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let path = model_path(self.model.as_deref());
        let mode = match &self.verb {
            Verb::New {
                machine,
                seed,
                name,
            } => OpenMode::Create(ModelOptions {
                name: name.clone(),
                kind: if *machine {
                    Substrate::Machine
                } else {
                    Substrate::Kubernetes
                },
                seed: *seed,
                ..Default::default()
            }),
            Verb::Deploy { .. } => OpenMode::OpenOrCreate(ModelOptions::default()),
            _ => OpenMode::Open,
        };
        let wait: Duration = self.wait.into();
        let mut sim = Simulator::open_file(
            runtime(&self.limits)?,
            &path,
            mode,
            wait,
            &mut waiting(wait),
        )
        .with_context(|| format!("opening {}", path.display()))?;
        match self.verb {
            Verb::New { name, .. } => {
                println!("created model {name} in {}", path.display());
            }
            Verb::Deploy {
                charm,
                app,
                num_units,
                config,
                stateless,
                pod_local_state,
                trust,
                native,
                settle,
            } => {
                let app = sim.deploy(
                    &charm,
                    DeployOptions {
                        app,
                        units: num_units,
                        config: parse_pairs(&config)?,
                        stateless,
                        pod_local_state,
                        trust,
                        containers: Vec::new(),
                        machine: Default::default(),
                        loopback_http: Vec::new(),
                        native,
                    },
                )?;
                println!("deployed {app}");
                settled(&mut sim, &settle)?;
            }
            Verb::Integrate { a, b, settle } => {
                let id = sim.integrate(&a, &b)?;
                println!("relation {id}: {}", sim.model().relations[&id].key());
                settled(&mut sim, &settle)?;
            }
            Verb::RemoveRelation { a, b, settle } => {
                sim.remove_relation(&a, &b)?;
                settled(&mut sim, &settle)?;
            }
            Verb::Config {
                app,
                settings,
                reset,
                settle,
            } => {
                if settings.is_empty() && reset.is_empty() {
                    let a = sim
                        .model()
                        .app(&app)
                        .with_context(|| format!("application {app:?} not found"))?;
                    println!("{}", serde_json::to_string_pretty(&a.config)?);
                } else {
                    sim.config(&app, parse_pairs(&settings)?, &reset)?;
                    settled(&mut sim, &settle)?;
                }
            }
            Verb::Scale { app, units, settle } => {
                sim.scale(&app, units)?;
                settled(&mut sim, &settle)?;
            }
            Verb::RemoveUnit {
                unit,
                force,
                settle,
            } => {
                match force.max_wait() {
                    Some(wait) => sim.remove_unit_forced(&unit, wait)?,
                    None => sim.remove_unit(&unit)?,
                }
                settled(&mut sim, &settle)?;
            }
            Verb::RemoveApplication { app, force, settle } => {
                match force.max_wait() {
                    Some(wait) => sim.remove_application_forced(&app, wait)?,
                    None => sim.remove_application(&app)?,
                }
                settled(&mut sim, &settle)?;
            }
            Verb::Churn {
                unit,
                times,
                settle,
            } => {
                let mut unit = unit;
                for i in 0..times {
                    unit = sim.churn(&unit)?;
                    println!("churned: now {unit}");
                    if settle.settle || i + 1 < times {
                        let n = sim.settle()?;
                        println!("settled: {n} hooks");
                    }
                }
            }
            Verb::Refresh { app, path, settle } => {
                sim.refresh(&app, path.as_deref())?;
                settled(&mut sim, &settle)?;
            }
            Verb::RunAction {
                unit,
                action,
                params,
                background: true,
            } => {
                let id = sim.queue_action(&unit, &action, parse_pairs(&params)?)?;
                println!("action {id} queued on {unit}");
            }
            Verb::RunAction {
                unit,
                action,
                params,
                background: false,
            } => {
                let rec = sim.run_action(&unit, &action, parse_pairs(&params)?)?;
                println!("{}", serde_json::to_string_pretty(&rec)?);
                if rec.status != ActionStatus::Completed {
                    return Ok(ExitCode::from(1));
                }
            }
            Verb::Resolve {
                unit,
                no_retry,
                settle,
            } => {
                sim.resolve(&unit, !no_retry)?;
                settled(&mut sim, &settle)?;
            }
            Verb::Secret { op, settle } => {
                op.run(&mut sim)?;
                settled(&mut sim, &settle)?;
            }
            Verb::Op(op) => {
                if op.run(&mut sim)? {
                    let n = sim.settle()?;
                    println!("settled: {n} hooks");
                }
            }
            Verb::Settle { steps: None } => {
                let n = sim.settle()?;
                println!("settled: {n} hooks");
            }
            Verb::Settle { steps: Some(n) } => {
                for e in sim.settle_steps(n)? {
                    println!("ran #{} {} {}: {}", e.seq, e.unit, e.event, e.outcome);
                }
                for (unit, hook) in sim.due() {
                    println!("due {unit} {hook}");
                }
            }
            Verb::Advance { duration } => {
                let d: Duration = humantime::parse_duration(&duration)
                    .with_context(|| format!("bad duration {duration:?}"))?;
                let n = sim.advance(d)?;
                println!("advanced {duration}: {n} hooks");
            }
            Verb::Status { json } => {
                if json {
                    println!("{}", serde_json::to_string_pretty(&sim.status())?);
                } else {
                    print!("{}", sim.status_table());
                }
            }
            Verb::Log {
                unit,
                event,
                level,
                hooks,
                tail,
            } => {
                let filter = LogFilter { unit, event, level };
                let lines: Vec<String> = if hooks {
                    sim.events_filtered(&filter)?
                        .iter()
                        .map(|e| {
                            let detail = if e.detail.is_empty() {
                                String::new()
                            } else {
                                format!(" ({})", e.detail)
                            };
                            format!(
                                "#{} {} {} {}{detail}: {}",
                                e.seq,
                                clock(e.time),
                                e.unit,
                                e.event,
                                e.outcome
                            )
                        })
                        .collect()
                } else {
                    sim.logs(&filter)?
                        .iter()
                        .map(|l| format!("{} {}", l.unit, format_log(l)))
                        .collect()
                };
                let skip = tail.map_or(0, |t| lines.len().saturating_sub(t));
                for l in &lines[skip..] {
                    println!("{l}");
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
