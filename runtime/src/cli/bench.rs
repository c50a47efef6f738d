//! `charmbox bench`: time repeated dispatches of one event, with and without
//! trace recording, or the speed of exact replay; prints the distributions.
//! Loading and compiling are done once, outside the timing.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::bail;
use charmbox::engine::Runtime;
use charmbox::event::EventSpec;
use charmbox::run::{Charm, RunOptions, run_event, run_event_with, time_instantiation};
use charmbox::state::State;
use charmbox::trace::replay::replay_exact;
use charmbox::trace::{Header, TraceWriter, read_trace};

use super::bench_scenario;

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
    /// Timed dispatches (after 10% as many for warm-up; 1 to 1,000,000).
    #[arg(long, default_value_t = 2000,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    pub iterations: usize,
    /// Instead: replay this trace exactly (recorded with --charm) and report
    /// host calls per second.
    #[arg(long)]
    pub replay: Option<PathBuf>,
    /// Instead: time the same event of this Python charm in charmbox and
    /// under ops' Scenario in CPython (ops[testing], installed from PyPI),
    /// side by side, and print both medians and their ratio.
    #[arg(long)]
    pub vs_scenario: bool,
    /// Also time the same event under ops' Scenario with this Python charm,
    /// which must implement the same logic (the results are compared), and
    /// print how many times faster the charmbox dispatch is.
    #[arg(long, value_name = "PYTHON_CHARM_DIR", conflicts_with_all = ["vs_scenario", "replay"])]
    pub scenario_baseline: Option<PathBuf>,
    /// Run this action instead of a hook (with --param).
    #[arg(long)]
    pub action: Option<String>,
    /// Action parameter `key=value` (value parsed as JSON when it is JSON).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// The relation of a relation event (default: the first of its endpoint).
    #[arg(long)]
    pub relation_id: Option<u32>,
    /// The remote unit of a relation event (`app/1`).
    #[arg(long)]
    pub remote_unit: Option<String>,
    #[command(flatten)]
    pub limits: super::limits::LimitArgs,
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Median, p10, p90, mean of sorted samples, in µs.
pub(super) fn summary(samples: &mut [Duration]) -> (f64, String) {
    samples.sort();
    let pct = |p: f64| micros(samples[((samples.len() - 1) as f64 * p) as usize]);
    let mean = micros(samples.iter().sum::<Duration>()) / samples.len() as f64;
    let median = pct(0.5);
    let line = format!(
        "median {median:.1} µs   p10 {:.1} µs   p90 {:.1} µs   mean {mean:.1} µs   min {:.1} µs",
        pct(0.1),
        pct(0.9),
        micros(samples[0])
    );
    (median, line)
}

/// Scenario's timing line; `on` names the charm when it is another.
fn scenario_line(t: &bench_scenario::ScenarioTimes, on: &str) -> String {
    format!(
        "  Scenario   median {:.1} µs   p10 {:.1} µs   p90 {:.1} µs   mean {:.1} µs   min {:.1} µs   ({} runs of ctx.run{on}, {})",
        t.median_us, t.p10_us, t.p90_us, t.mean_us, t.min_us, t.runs, t.versions
    )
}

/// Print whether both sides left the same result; failure when not.
fn compare_results(ours: &serde_json::Value, theirs: &bench_scenario::ScenarioTimes) -> ExitCode {
    if *ours == theirs.result {
        println!("  same result on both sides (unit status, application databags): {ours}");
        ExitCode::SUCCESS
    } else {
        println!(
            "  results differ (not the same logic?)\n    charmbox: {ours}\n    Scenario: {}",
            theirs.result
        );
        ExitCode::FAILURE
    }
}

/// What an event left, as the Scenario driver reports it: the unit's
/// status and each relation's application databag.
fn result_of(state: &serde_json::Value) -> serde_json::Value {
    let status = &state["unit_status"];
    let relations: serde_json::Map<String, serde_json::Value> = state["relations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let data = r.get("local_app_data").cloned();
            (
                r["id"].to_string(),
                data.unwrap_or_else(|| serde_json::json!({})),
            )
        })
        .collect();
    serde_json::json!({
        "unit_status": {
            "status": status.get("status").cloned().unwrap_or_else(|| "unknown".into()),
            "message": status.get("message").cloned().unwrap_or_else(|| "".into()),
        },
        "relations": relations,
    })
}

/// The event as the Scenario driver reads it.
fn event_json(spec: &EventSpec) -> serde_json::Value {
    serde_json::json!({
        "name": spec.name,
        "action": spec.action,
        "params": spec.params,
        "relation_id": spec.relation_id,
        "remote_unit": spec.remote_unit,
    })
}

/// The component's size, for comparing languages: `path` is the component
/// or the charm directory holding `<name>.wasm`.
fn component_size(path: &std::path::Path, name: &str) -> String {
    let file = if path.is_dir() {
        path.join(format!("{name}.wasm"))
    } else {
        path.to_path_buf()
    };
    match std::fs::metadata(&file) {
        Ok(m) => format!("{} bytes ({})", m.len(), file.display()),
        Err(e) => format!("unknown ({}: {e})", file.display()),
    }
}

impl BenchArgs {
    /// The event to time: the hook, or the action with its parameters.
    fn spec(&self) -> anyhow::Result<EventSpec> {
        let name = self.action.as_deref().unwrap_or(&self.event);
        Ok(EventSpec {
            action: self.action.is_some(),
            params: super::run::parse_params(&self.params)?,
            relation_id: self.relation_id,
            remote_unit: self.remote_unit.clone(),
            ..EventSpec::named(name)
        })
    }

    pub fn run(self) -> anyhow::Result<ExitCode> {
        let rt = Runtime::new(self.limits.config()?)?;
        let charm = Charm::open(&rt, &self.charm)?;
        if let Some(trace) = &self.replay {
            return self.bench_replay(&rt, &charm, trace);
        }
        let state = match &self.state {
            Some(p) => State::load(p)?,
            None => State::default(),
        };
        if self.vs_scenario {
            return self.bench_vs_scenario(&rt, &charm, state);
        }
        let spec = self.spec()?;
        let header = Header::for_charm(&charm, &rt, None, state.seed);
        let mut sink = TraceWriter::new(Box::new(std::io::sink()), header)?;
        let warmup = (self.iterations / 10).max(1);
        let mut plain = Vec::with_capacity(self.iterations);
        let mut traced = Vec::with_capacity(self.iterations);
        let mut last = None;
        // Interleaved, so both see the same machine.
        for i in 0..warmup + self.iterations {
            for recording in [false, true] {
                let input = state.clone();
                let t = Instant::now();
                let trace = if recording { Some(&mut sink) } else { None };
                let (out, report) = run_event_with(
                    &rt,
                    &charm,
                    input,
                    &spec,
                    RunOptions::default().trace(trace),
                )?;
                let took = t.elapsed();
                if !report.outcome.is_ok() {
                    bail!("{}: {}", self.event, report.outcome.describe());
                }
                if i >= warmup {
                    if recording { &mut traced } else { &mut plain }.push(took);
                }
                last = Some(out);
            }
        }
        println!(
            "bench {} {}: {} dispatches each (instantiate + event + commit)",
            charm.meta.name,
            self.event,
            plain.len()
        );
        println!(
            "  component: {}",
            component_size(&self.charm, &charm.meta.name)
        );
        println!("  memory reset: {}", charmbox::engine::memory_reset());
        let (m0, line) = summary(&mut plain);
        println!("  plain      {line}");
        let (m1, line) = summary(&mut traced);
        println!("  recording  {line}");
        println!(
            "  recording overhead: {:+.1} % of the median",
            (m1 / m0 - 1.0) * 100.0
        );
        let mut alone = time_instantiation(&rt, &charm, &state, &spec, self.iterations)?;
        let (_, line) = summary(&mut alone);
        println!("  instantiate alone {line}   (a fresh instance and its reset, no event)");
        match &self.scenario_baseline {
            Some(dir) => {
                let last = last.expect("one run at least");
                self.print_baseline(dir, &state, &spec, &last, m0)
            }
            None => Ok(ExitCode::SUCCESS),
        }
    }

    /// The same event under Scenario with the Python charm at `dir`, and the
    /// ratio of its median to charmbox's (`ours`, µs).
    fn print_baseline(
        &self,
        dir: &Path,
        state: &State,
        spec: &EventSpec,
        out: &State,
        ours: f64,
    ) -> anyhow::Result<ExitCode> {
        if !dir.join("src").join("charm.py").is_file() {
            bail!(
                "--scenario-baseline needs a Python charm directory (src/charm.py): {}",
                dir.display()
            );
        }
        let input = serde_json::to_value(state)?;
        let runs = self.iterations.min(2000);
        let theirs = bench_scenario::time_in_scenario(dir, &input, &event_json(spec), runs)?;
        println!(
            "{}",
            scenario_line(&theirs, &format!(" on {}", dir.display()))
        );
        println!(
            "  ratio Scenario / charmbox (medians, plain): {:.0} x (target >= 200)",
            theirs.median_us / ours
        );
        Ok(compare_results(
            &result_of(&serde_json::to_value(out)?),
            &theirs,
        ))
    }

    fn bench_vs_scenario(
        &self,
        rt: &Runtime,
        charm: &Charm,
        state: State,
    ) -> anyhow::Result<ExitCode> {
        if !charm.dir.join("src").join("charm.py").is_file() {
            bail!(
                "--vs-scenario needs a Python charm directory (src/charm.py): {}",
                self.charm.display()
            );
        }
        let spec = self.spec()?;
        let warmup = (self.iterations / 10).max(1);
        let mut samples = Vec::with_capacity(self.iterations);
        let mut last = None;
        for i in 0..warmup + self.iterations {
            let t = Instant::now();
            let (out, report) = run_event(rt, charm, state.clone(), &spec, None)?;
            let took = t.elapsed();
            if !report.outcome.is_ok() {
                bail!("{}: {}", self.event, report.outcome.describe());
            }
            if i >= warmup {
                samples.push(took);
            }
            last = Some(out);
        }
        let input = serde_json::to_value(&state)?;
        let theirs = bench_scenario::time_in_scenario(
            &charm.dir,
            &input,
            &event_json(&spec),
            self.iterations,
        )?;
        println!(
            "bench {} {}: {} events each, side by side",
            charm.meta.name,
            self.event,
            samples.len()
        );
        println!("  memory reset: {}", charmbox::engine::memory_reset());
        let (ours, line) = summary(&mut samples);
        println!("  charmbox   {line}   (instantiate + event + commit)");
        println!("{}", scenario_line(&theirs, ""));
        println!(
            "  ratio charmbox / Scenario (medians): {:.2} (target <= 1.0)",
            ours / theirs.median_us
        );
        let mut alone = time_instantiation(rt, charm, &state, &spec, self.iterations)?;
        let (inst, line) = summary(&mut alone);
        println!("  instantiate alone {line}   (a fresh instance and its reset, no event)");
        println!(
            "  charmbox without it: {:.1} µs (median event - median instantiation) = {:.2} x Scenario's whole event",
            ours - inst,
            (ours - inst) / theirs.median_us
        );
        let last = last.expect("one run at least");
        Ok(compare_results(
            &result_of(&serde_json::to_value(last)?),
            &theirs,
        ))
    }

    fn bench_replay(&self, rt: &Runtime, charm: &Charm, path: &Path) -> anyhow::Result<ExitCode> {
        let trace = read_trace(path)?;
        if trace.header.component != charm.component.hash {
            bail!(
                "{} was not recorded with {}",
                path.display(),
                self.charm.display()
            );
        }
        let calls: usize = trace.dispatches.iter().map(|d| d.calls.len()).sum();
        let rounds = (self.iterations / trace.dispatches.len().max(1)).max(1);
        let mut samples = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let t = Instant::now();
            let report = replay_exact(rt, charm, &trace);
            samples.push(t.elapsed());
            if let Some(r) = report.iter().find(|r| r.divergence.is_some()) {
                bail!("dispatch #{} diverged", r.n);
            }
        }
        let (median, line) = summary(&mut samples);
        println!(
            "bench exact replay of {}: {} dispatches, {calls} host calls, {rounds} rounds",
            path.display(),
            trace.dispatches.len()
        );
        println!("  per replay {line}");
        println!(
            "  {:.0} host calls/s (median; instantiation included)",
            calls as f64 / (median / 1e6)
        );
        Ok(ExitCode::SUCCESS)
    }
}
