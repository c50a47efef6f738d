//! `charmbox bench-packed`: one packed dispatch end to end — the
//! `dispatch` process Juju would start (start, load the precompiled
//! component, instantiate, run the event, write its trace, exit) — and the
//! same event under the native runner beside a native ops charm's
//! (docs/juju.md, "Measured").

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use charmbox::event::EventSpec;
use charmbox::native::NativeCharm;
use charmbox::pack::{PackOptions, pack, unpack};
use charmbox::run::{RunOptions, run_on};
use charmbox::state::State;

use super::bench::summary;

#[derive(clap::Args)]
pub struct BenchPackedArgs {
    /// The charm directory to pack (a Rust or Python charm).
    #[arg(long)]
    pub charm: PathBuf,
    /// A native ops charm directory to run the same event beside it.
    #[arg(long)]
    pub native: Option<PathBuf>,
    /// The event of the runner comparison.
    #[arg(long, default_value = "start")]
    pub event: String,
    /// The input State (JSON); an empty State when absent.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Dispatches to time each way.
    #[arg(long, default_value_t = 50)]
    pub runs: usize,
}

impl BenchPackedArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let state = match &self.state {
            Some(p) => State::load_bounded(p, 64 << 20)?,
            None => State::default(),
        };
        let work =
            std::env::temp_dir().join(format!("charmbox-bench-packed-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(&work)?;
        let out = work.join("bench.charm");
        let report = pack(
            &self.charm,
            &PackOptions {
                out: Some(out.clone()),
                build: charmbox::build::BuildOptions {
                    release: true,
                    quiet: true,
                    ..Default::default()
                },
                ..Default::default()
            },
        )?;
        println!(
            "packed {}: {} bytes (host {}, component {}, precompiled {})",
            self.charm.display(),
            report.bytes,
            report.host_bytes,
            report.component_bytes,
            report.precompiled_bytes
        );
        let dir = work.join("charm");
        unpack(&out, &dir)?;
        let packed = NativeCharm::open(&dir)?;

        // The process alone: Juju's environment for `install`, no tools
        // needed by a charm that calls none on install.
        let resolved = EventSpec::named("install").resolve(&packed.meta, &state)?;
        let mut times = Vec::with_capacity(self.runs);
        for _ in 0..self.runs {
            let t = Instant::now();
            let out = std::process::Command::new(dir.join("dispatch"))
                .env_clear()
                .envs(resolved.env.list().iter().cloned())
                .env("JUJU_CHARM_DIR", &dir)
                .current_dir(&dir)
                .output()?;
            times.push(t.elapsed());
            anyhow::ensure!(
                out.status.success(),
                "the packed dispatch failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let (median, line) = summary(&mut times);
        println!(
            "one packed dispatch process (install: start, load, instantiate, event, trace, exit), {} runs:",
            self.runs
        );
        println!(
            "  {line}   (target <= 5 ms median: {})",
            if median <= 5000.0 { "met" } else { "missed" }
        );

        let spec = EventSpec::named(&self.event);
        println!(
            "one `{}` event under the native runner (tools and Pebble over sockets):",
            self.event
        );
        let time = |charm: &NativeCharm| -> anyhow::Result<(f64, String)> {
            let mut times = Vec::with_capacity(self.runs);
            for _ in 0..self.runs {
                let t = Instant::now();
                let (_, r) = run_on(charm, state.clone(), &spec, RunOptions::default())?;
                times.push(t.elapsed());
                anyhow::ensure!(r.outcome.is_ok(), "the event failed: {r:?}");
            }
            Ok(summary(&mut times))
        };
        let (p_median, line) = time(&packed)?;
        println!("  packed charm        {line}");
        if let Some(native) = &self.native {
            let native = NativeCharm::open(native)?;
            let (n_median, line) = time(&native)?;
            println!("  native ops charm    {line}");
            println!(
                "  ratio packed / native ops (medians): {:.2}",
                p_median / n_median
            );
        }
        let _ = std::fs::remove_dir_all(&work);
        Ok(ExitCode::SUCCESS)
    }
}
