//! `charmbox bench-sim`: the simulator's speed. A small model (3
//! applications × 3 units of ping-pong, related in a ring, settled) timed
//! end to end, and sustained hooks per second on a large one (1,000 units
//! by default, hooks run for a bounded wall time: such a model takes over a
//! million hooks to settle), each in memory and in a model file.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use charmbox::engine::{Runtime, RuntimeConfig};
use charmbox::run::Charm;
use charmbox::sim::limits::MAX_UNITS_PER_APPLICATION;
use charmbox::sim::ops::DeployOptions;
use charmbox::sim::{ModelOptions, Simulator};

#[derive(clap::Args)]
pub struct BenchSimArgs {
    /// The ping-pong charm (built).
    #[arg(long, default_value = "examples/ping-pong")]
    pub charm: PathBuf,
    /// Repetitions of the small model (the median is reported; 1 to 1000).
    #[arg(long, default_value_t = 10,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1000))]
    pub runs: usize,
    /// Applications in the large model (1 to 1000).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub apps: u32,
    /// Units per application in the large model (1 to 10,000).
    #[arg(long, default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..=MAX_UNITS_PER_APPLICATION as i64))]
    pub units: u32,
    /// Wall-time budget of hooks in the large model, per model (seconds,
    /// more than 0 and at most a day): hooks run until the model settles or
    /// the budget is spent.
    #[arg(long, default_value_t = 8.0, value_parser = seconds)]
    pub seconds: f64,
    /// Stop the large model after this many hooks (none: only the time budget).
    #[arg(long)]
    pub hooks: Option<u64>,
    /// Print the large model's rate every second.
    #[arg(long)]
    pub progress: bool,
    /// Skip the large model.
    #[arg(long)]
    pub small_only: bool,
    /// Only in memory (`memory`) or only in a model file (`sqlite`).
    #[arg(long, value_parser = ["memory", "sqlite"])]
    pub only: Option<String>,
    /// Where model files go (a temporary directory by default).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Hooks of distinct units run at once against one state of the model
    /// (the model setting `concurrent-hooks`, 1 to 256; 1: one at a time).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub concurrent_hooks: u32,
    /// Threads that run concurrent hooks (default: the machine's cores;
    /// 1 to 256). Only the time depends on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub threads: Option<u32>,
}

/// A time budget in seconds: more than 0, at most a day.
fn seconds(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if v > 0.0 && v <= 86_400.0 {
        Ok(v)
    } else {
        Err(format!("{s} is not in (0, 86400]"))
    }
}

/// Deploy `apps` × `units` ping-pong applications related in a ring.
fn setup(
    sim: &mut Simulator,
    charm: &std::path::Path,
    apps: u32,
    units: u32,
) -> anyhow::Result<()> {
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
    Ok(())
}

/// Deploy, integrate and settle; returns (hooks, time of the whole).
fn model(
    sim: &mut Simulator,
    charm: &std::path::Path,
    apps: u32,
    units: u32,
) -> anyhow::Result<(u64, Duration)> {
    let t = Instant::now();
    setup(sim, charm, apps, units)?;
    let hooks = sim.settle()?;
    Ok((hooks, t.elapsed()))
}

/// Run hooks until the model settles, `budget` passes or `max` hooks ran;
/// returns (hooks, time, settled).
fn sustained(
    sim: &mut Simulator,
    budget: Duration,
    max: Option<u64>,
    progress: bool,
) -> anyhow::Result<(u64, Duration, bool)> {
    let t = Instant::now();
    let mut n = 0u64;
    let (mut last_t, mut last_n) = (Duration::ZERO, 0u64);
    loop {
        // Check the clock every few hooks only.
        for _ in 0..64 {
            if max.is_some_and(|m| n >= m) {
                return Ok((n, t.elapsed(), false));
            }
            let ran = sim.run_due(max.map_or(u64::MAX, |m| m - n))?;
            if ran == 0 {
                return Ok((n, t.elapsed(), true));
            }
            n += ran;
        }
        let e = t.elapsed();
        if progress && e - last_t >= Duration::from_secs(1) {
            println!(
                "    {:6.1} s {n:9} hooks, {:.0} hooks/s in the last second",
                e.as_secs_f64(),
                (n - last_n) as f64 / (e - last_t).as_secs_f64()
            );
            (last_t, last_n) = (e, n);
        }
        if e >= budget {
            return Ok((n, e, false));
        }
    }
}

/// The single-event part of a hook alone, in the large model as it now
/// is: a no-op `update-status` of one unit (its view holds 99 peers and
/// 100 remote units) dispatched into a fresh instance, nothing merged.
/// One over its median bounds the hooks one core can run, whatever the
/// simulator does around them.
fn dispatch_floor(sim: &mut Simulator, per_hook: f64) -> anyhow::Result<()> {
    let concurrent = sim.hooks_on_threads() > 0;
    let mut times = sim.time_dispatch("pp0/1", charmbox::sim::hook::Hook::UpdateStatus, 2000)?;
    times.sort();
    let median = times[times.len() / 2].as_secs_f64();
    let rest = if concurrent {
        // Hooks overlapped on the threads: wall time per hook is no longer
        // a dispatch plus the simulator's serial work.
        format!(
            "the hooks above took {:.1} µs of wall time each, run on several threads",
            per_hook * 1e6
        )
    } else {
        format!(
            "the simulator's own work is the other {:.1} µs of the {:.1} µs per hook",
            (per_hook - median).max(0.0) * 1e6,
            per_hook * 1e6
        )
    };
    println!(
        "  dispatch alone: {:.1} µs median (min {:.1} µs) for a no-op hook of pp0/1 = at most {:.0} hooks/s on one core; {rest}",
        median * 1e6,
        times[0].as_secs_f64() * 1e6,
        1.0 / median,
    );
    Ok(())
}

/// CPU time of the whole process, every thread's (user and system): on
/// a shared machine, hooks per CPU-second do not depend on what else runs.
fn process_cpu() -> Option<Duration> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: getrusage fills the struct it is given and touches nothing
    // else; it is read only when the call succeeded.
    let usage = unsafe {
        if libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) != 0 {
            return None;
        }
        usage.assume_init()
    };
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Some(tv(usage.ru_utime) + tv(usage.ru_stime))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

impl BenchSimArgs {
    /// A new model's options: the defaults, with `--concurrent-hooks`.
    fn options(&self) -> ModelOptions {
        let mut o = ModelOptions::default();
        o.settings.concurrent_hooks = self.concurrent_hooks;
        o
    }

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
            "bench-sim: 3 applications x 3 units, integrated in a ring, settled ({} runs){}",
            self.runs,
            match self.concurrent_hooks {
                1 => String::new(),
                n => format!(
                    "; up to {n} concurrent hooks on {} threads",
                    self.threads
                        .map_or_else(|| "all".to_string(), |t| t.to_string())
                ),
            }
        );
        let files: &[bool] = match self.only.as_deref() {
            Some("memory") => &[false],
            Some(_) => &[true],
            None => &[false, true],
        };
        for &file in files {
            let mut times = Vec::new();
            let mut hooks = 0;
            for i in 0..self.runs.max(1) {
                let rt = Runtime::new(rt_config())?;
                let mut sim = if file {
                    let p = dir.join(format!("small-{i}.db"));
                    let _ = std::fs::remove_file(&p);
                    Simulator::create(rt, &p, self.options())?
                } else {
                    Simulator::in_memory(rt, self.options())
                };
                sim.keep_history(false);
                if let Some(t) = self.threads {
                    sim.set_threads(t as usize);
                }
                let (h, whole) = model(&mut sim, &self.charm, 3, 3)?;
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
            let budget = Duration::from_secs_f64(self.seconds.max(0.0));
            println!(
                "bench-sim: {} applications x {} units = {} units, ring of relations, hooks for up to {:.1} s{}",
                self.apps,
                self.units,
                self.apps * self.units,
                budget.as_secs_f64(),
                match self.hooks {
                    Some(h) => format!(" or {h} hooks"),
                    None => String::new(),
                }
            );
            for &file in files {
                let rt = Runtime::new(rt_config())?;
                let mut sim = if file {
                    let p = dir.join("large.db");
                    let _ = std::fs::remove_file(&p);
                    Simulator::create(rt, &p, self.options())?
                } else {
                    Simulator::in_memory(rt, self.options())
                };
                sim.keep_history(false);
                if let Some(t) = self.threads {
                    sim.set_threads(t as usize);
                }
                let t = Instant::now();
                setup(&mut sim, &self.charm, self.apps, self.units)?;
                let setup_time = t.elapsed();
                let cpu0 = process_cpu();
                let (hooks, time, settled) =
                    sustained(&mut sim, budget, self.hooks, self.progress)?;
                let cpu = match (cpu0, process_cpu()) {
                    (Some(a), Some(b)) if b > a => {
                        let c = b - a;
                        format!(
                            "; {:.2} s on the CPU = {:.0} hooks per CPU-second",
                            c.as_secs_f64(),
                            hooks as f64 / c.as_secs_f64()
                        )
                    }
                    _ => String::new(),
                };
                println!(
                    "  {:<9} {hooks} hooks in {:.2} s = {:.0} hooks/s sustained ({}; deploy and integrate {:.2} s{cpu})",
                    if file { "sqlite" } else { "in memory" },
                    time.as_secs_f64(),
                    hooks as f64 / time.as_secs_f64(),
                    if settled {
                        "settled".to_string()
                    } else {
                        format!("{} units still ready", sim.ready_units().len())
                    },
                    setup_time.as_secs_f64(),
                );
                if sim.hooks_on_threads() > 0 {
                    println!(
                        "  {:<9} {} of the {hooks} hooks ran in batches on threads",
                        "",
                        sim.hooks_on_threads()
                    );
                }
                if !file && hooks > 0 {
                    dispatch_floor(&mut sim, time.as_secs_f64() / hooks as f64)?;
                }
            }
        }
        if self.dir.is_none() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        Ok(ExitCode::SUCCESS)
    }
}
