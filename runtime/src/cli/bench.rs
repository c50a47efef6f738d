//! `charmbox bench`: time repeated dispatches of one event and print the
//! distribution. Loading and compiling are done once, outside the timing.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use charmbox::engine::{Runtime, RuntimeConfig};
use charmbox::event::EventSpec;
use charmbox::run::{Charm, run_event};
use charmbox::state::State;

#[derive(clap::Args)]
pub struct BenchArgs {
    /// A charm directory or component.
    #[arg(long)]
    pub charm: PathBuf,
    /// The hook to dispatch.
    #[arg(long, default_value = "start")]
    pub event: String,
    /// The input State; an empty one when absent.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Timed dispatches (after 10% as many for warm-up).
    #[arg(long, default_value_t = 2000)]
    pub iterations: usize,
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

impl BenchArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let state = match &self.state {
            Some(p) => State::load(p)?,
            None => State::default(),
        };
        let rt = Runtime::new(RuntimeConfig::default())?;
        let charm = Charm::open(&rt, &self.charm)?;
        let spec = EventSpec::named(&self.event);
        let warmup = (self.iterations / 10).max(1);
        let mut samples = Vec::with_capacity(self.iterations);
        for i in 0..warmup + self.iterations {
            let input = state.clone();
            let t = Instant::now();
            let (_, report) = run_event(&rt, &charm, input, &spec, None)?;
            let took = t.elapsed();
            if !report.outcome.is_ok() {
                anyhow::bail!("{}: {}", self.event, report.outcome.describe());
            }
            if i >= warmup {
                samples.push(took);
            }
        }
        samples.sort();
        let pct = |p: f64| micros(samples[((samples.len() - 1) as f64 * p) as usize]);
        let mean = micros(samples.iter().sum::<Duration>()) / samples.len() as f64;
        println!(
            "bench {} {}: {} dispatches (instantiate + event + commit)",
            charm.meta.name,
            self.event,
            samples.len()
        );
        println!(
            "  median {:.1} µs   p10 {:.1} µs   p90 {:.1} µs   mean {:.1} µs   min {:.1} µs",
            pct(0.5),
            pct(0.1),
            pct(0.9),
            mean,
            micros(samples[0])
        );
        Ok(ExitCode::SUCCESS)
    }
}
