//! `charmbox bench-sim`: the simulator's speed. A small model (3
//! applications × 3 units of ping-pong, related in a ring, settled) timed
//! end to end, and sustained hooks per second on a large one (1,000 units
//! by default), each in memory and in a model file.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use charmbox::engine::{Runtime, RuntimeConfig};
use charmbox::run::Charm;
use charmbox::sim::ops::DeployOptions;
use charmbox::sim::{ModelOptions, Simulator};

#[derive(clap::Args)]
pub struct BenchSimArgs {
    /// The ping-pong charm (built).
    #[arg(long, default_value = "examples/ping-pong")]
    pub charm: PathBuf,
    /// Repetitions of the small model (the median is reported).
    #[arg(long, default_value_t = 10)]
    pub runs: usize,
    /// Applications in the large model.
    #[arg(long, default_value_t = 10)]
    pub apps: u32,
    /// Units per application in the large model.
    #[arg(long, default_value_t = 100)]
    pub units: u32,
    /// Skip the large model.
    #[arg(long)]
    pub small_only: bool,
    /// Where model files go (a temporary directory by default).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// Deploy `apps` × `units` ping-pong applications related in a ring and
/// settle; returns (hooks, time of the whole, time of the settle).
fn model(
    sim: &mut Simulator,
    charm: &std::path::Path,
    apps: u32,
    units: u32,
) -> anyhow::Result<(u64, Duration, Duration)> {
    let t = Instant::now();
    let names: Vec<String> = (0..apps).map(|i| format!("pp{i}")).collect();
    for n in &names {
        sim.deploy(
            charm,
            DeployOptions {
                app: Some(n.clone()),
                units: Some(units),
                ..Default::default()
            },
        )?;
    }
    if apps > 1 {
        for i in 0..names.len() {
            let next = &names[(i + 1) % names.len()];
            if apps == 2 && i == 1 {
                break;
            }
            sim.integrate(&format!("{}:ping", names[i]), &format!("{next}:pong"))?;
        }
    }
    let s = Instant::now();
    let hooks = sim.settle()?;
    Ok((hooks, t.elapsed(), s.elapsed()))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

impl BenchSimArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let rt_config = RuntimeConfig::default;
        // Compile (or load from the cache) once, outside the timing.
        Charm::open(&Runtime::new(rt_config())?, &self.charm)
            .with_context(|| format!("opening {}", self.charm.display()))?;
        let dir = match &self.dir {
            Some(d) => d.clone(),
            None => std::env::temp_dir().join(format!("charmbox-bench-sim-{}", std::process::id())),
        };
        std::fs::create_dir_all(&dir)?;
        println!(
            "bench-sim: 3 applications x 3 units, integrated in a ring, settled ({} runs)",
            self.runs
        );
        for file in [false, true] {
            let mut times = Vec::new();
            let mut hooks = 0;
            for i in 0..self.runs.max(1) {
                let rt = Runtime::new(rt_config())?;
                let mut sim = if file {
                    let p = dir.join(format!("small-{i}.db"));
                    let _ = std::fs::remove_file(&p);
                    Simulator::create(rt, &p, ModelOptions::default())?
                } else {
                    Simulator::in_memory(rt, ModelOptions::default())
                };
                sim.keep_history(false);
                let (h, whole, _) = model(&mut sim, &self.charm, 3, 3)?;
                hooks = h;
                times.push(whole);
            }
            times.sort();
            let median = times[times.len() / 2];
            println!(
                "  {:<9} {hooks} hooks in {:.1} ms (median; min {:.1} ms) = {:.0} hooks/s",
                if file { "sqlite" } else { "in memory" },
                ms(median),
                ms(times[0]),
                hooks as f64 / median.as_secs_f64()
            );
        }
        if !self.small_only {
            println!(
                "bench-sim: {} applications x {} units = {} units, ring of relations, settled",
                self.apps,
                self.units,
                self.apps * self.units
            );
            for file in [false, true] {
                let rt = Runtime::new(rt_config())?;
                let mut sim = if file {
                    let p = dir.join("large.db");
                    let _ = std::fs::remove_file(&p);
                    Simulator::create(rt, &p, ModelOptions::default())?
                } else {
                    Simulator::in_memory(rt, ModelOptions::default())
                };
                sim.keep_history(false);
                let (hooks, _, settle) = model(&mut sim, &self.charm, self.apps, self.units)?;
                println!(
                    "  {:<9} {hooks} hooks in {:.2} s = {:.0} hooks/s sustained",
                    if file { "sqlite" } else { "in memory" },
                    settle.as_secs_f64(),
                    hooks as f64 / settle.as_secs_f64()
                );
            }
        }
        if self.dir.is_none() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        Ok(ExitCode::SUCCESS)
    }
}
