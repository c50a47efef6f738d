//! `charmbox replay <trace>`: exact replay, or `--charm <new>` to see what a
//! changed charm would do differently with the same events and States.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use charmbox::engine::{Runtime, RuntimeConfig};
use charmbox::native::NativeCharm;
use charmbox::run::Charm;
use charmbox::trace::replay::{replay_against, replay_exact, replay_on};
use charmbox::trace::{DEFAULT_MAX_TRACE_BYTES, read_trace_bounded};
use comfy_table::{ContentArrangement, Table};

#[derive(clap::Args)]
pub struct ReplayArgs {
    /// The trace (JSON Lines) to replay.
    pub trace: PathBuf,
    /// The component the trace was recorded with (checked by its hash), for
    /// exact replay; a charm directory or a .wasm file.
    #[arg(long, conflicts_with = "charm")]
    pub component: Option<PathBuf>,
    /// Re-run every dispatch with this (changed) charm and report differences.
    #[arg(long)]
    pub charm: Option<PathBuf>,
    /// Run the `--charm` directory natively (as a process, docs/native.md)
    /// instead of as its component.
    #[arg(long, requires = "charm")]
    pub native: bool,
    /// Also write the per-dispatch report as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// The largest trace file read, in MiB.
    #[arg(long, default_value_t = DEFAULT_MAX_TRACE_BYTES >> 20,
          value_parser = clap::value_parser!(u64).range(1..=1 << 20))]
    pub max_trace_mib: u64,
}

impl ReplayArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let trace = read_trace_bounded(&self.trace, self.max_trace_mib << 20)?;
        let config = RuntimeConfig {
            max_memory: trace.header.engine.max_memory,
            fuel_per_event: trace.header.engine.fuel_per_event,
            ..RuntimeConfig::default()
        };
        let rt = Runtime::new(config)?;
        if let Some(new) = &self.charm {
            let report = if self.native {
                replay_on(&NativeCharm::open(new)?, &trace)
            } else {
                replay_against(&rt, &Charm::open(&rt, new)?, &trace)
            };
            let mut table = Table::new();
            table.set_content_arrangement(ContentArrangement::Dynamic);
            table.set_header(["#", "event", "unit", "calls", "outcome", "committed state"]);
            let cell = |d: &Option<charmbox::trace::replay::Divergence>| {
                d.as_ref().map_or("same".to_string(), |d| d.what.clone())
            };
            for c in &report {
                let calls = c.error.clone().unwrap_or_else(|| cell(&c.calls));
                table.add_row([
                    c.n.to_string(),
                    c.name.clone(),
                    c.unit.clone(),
                    calls,
                    cell(&c.outcome),
                    cell(&c.delta),
                ]);
            }
            println!("{table}");
            for c in report.iter().filter(|c| !c.same()) {
                for d in [&c.calls, &c.outcome, &c.delta].into_iter().flatten() {
                    println!("\n#{} {}: {}\n{}", c.n, c.name, d.what, d.diff);
                }
            }
            let changed = report.iter().filter(|c| !c.same()).count();
            println!(
                "{changed} of {} dispatches behave differently with {}",
                report.len(),
                new.display()
            );
            if let Some(p) = &self.json {
                std::fs::write(p, serde_json::to_string_pretty(&report)? + "\n")
                    .with_context(|| format!("cannot write {}", p.display()))?;
            }
            return Ok(if changed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            });
        }
        let Some(path) = &self.component else {
            bail!(
                "exact replay needs the component the trace was recorded with: --component <charm dir or .wasm> (or --charm <new> to compare a changed charm)"
            );
        };
        let charm = Charm::open(&rt, path)?;
        if charm.component.hash != trace.header.component {
            bail!(
                "{} is not the component the trace was recorded with (sha256 {} != {}): use --charm to replay against a changed charm",
                path.display(),
                charm.component.hash,
                trace.header.component
            );
        }
        let report = replay_exact(&rt, &charm, &trace);
        let calls: usize = report.iter().map(|r| r.calls).sum();
        if let Some(p) = &self.json {
            std::fs::write(p, serde_json::to_string_pretty(&report)? + "\n")
                .with_context(|| format!("cannot write {}", p.display()))?;
        }
        match report.iter().find(|r| r.divergence.is_some()) {
            None => {
                println!(
                    "replayed {} dispatches, {calls} host calls: identical",
                    report.len()
                );
                Ok(ExitCode::SUCCESS)
            }
            Some(r) => {
                let d = r.divergence.as_ref().expect("found above");
                println!(
                    "dispatch #{} ({}) diverged: {}\n{}",
                    r.n, r.name, d.what, d.diff
                );
                Ok(ExitCode::from(1))
            }
        }
    }
}
