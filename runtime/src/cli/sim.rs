//! `charmbox sim <scenario.yaml>`: run a scenario's steps and expectations
//! on a model (in memory, or in a model file that resumes after an
//! interruption), then print the status.

use std::path::PathBuf;
use std::process::ExitCode;

use charmbox::engine::Runtime;
use charmbox::sim::lock::DEFAULT_LOCK_WAIT;
use charmbox::sim::scenario::{self, Scenario};
use charmbox::sim::{OpenMode, SimError, Simulator};

#[derive(clap::Args)]
pub struct SimArgs {
    /// The scenario file (YAML).
    pub scenario: PathBuf,
    /// Keep the model in this file; if it holds the scenario's model
    /// already, continue where it stopped.
    #[arg(long, short = 'm')]
    pub model: Option<PathBuf>,
    /// Record each application's dispatches as traces in this directory.
    #[arg(long)]
    pub trace_dir: Option<PathBuf>,
    /// Print the hooks run, one line each, at the end.
    #[arg(long)]
    pub hooks: bool,
    /// How long to wait while another command uses the model file before
    /// failing with "model … is busy" (`0s`: fail at once).
    #[arg(long, value_name = "DURATION", default_value_t = DEFAULT_LOCK_WAIT.into())]
    pub wait: humantime::Duration,
    /// Do not print the status at the end.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[command(flatten)]
    pub limits: super::limits::LimitArgs,
}

impl SimArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let sc = Scenario::load(&self.scenario)?;
        let base = self
            .scenario
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        let rt = Runtime::new(self.limits.config()?)?;
        let mut sim = match &self.model {
            Some(p) => {
                let wait = self.wait.into();
                let mode = OpenMode::OpenOrCreate(sc.options()?);
                Simulator::open_file(rt, p, mode, wait, &mut super::model::waiting(wait))?
            }
            None => Simulator::in_memory(rt, sc.options()?),
        };
        if let Some(d) = &self.trace_dir {
            sim.trace_to(d)?;
        }
        let mut out = std::io::stdout();
        let result = scenario::run(&mut sim, &sc, &base, &mut out);
        sim.close_traces()?;
        if self.hooks {
            for e in sim.events()? {
                println!(
                    "#{} {} {} {} {}",
                    e.seq, e.unit, e.event, e.detail, e.outcome
                );
            }
        }
        match result {
            Ok(()) => {
                if !self.quiet {
                    print!("\n{}", sim.status_table());
                }
                println!(
                    "scenario passed: {} steps, {} hooks",
                    sc.steps.len(),
                    sim.hooks_run()
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(SimError::Assertion(m)) => {
                eprintln!("expectation failed: {m}");
                if !self.quiet {
                    eprint!("\n{}", sim.status_table());
                }
                Ok(ExitCode::from(1))
            }
            Err(e) => Err(e.into()),
        }
    }
}
