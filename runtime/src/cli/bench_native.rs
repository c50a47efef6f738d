//! `charmbox bench-native`: what the process boundary costs. One hook-tool
//! call over the agent socket (the framed request, `jujuc`, the reply), by
//! an in-process client and by the `charmbox-jujuc` executable a charm
//! runs; and one event of a charm run natively beside the same event as a
//! component (docs/native.md, "Measured").

use std::os::unix::net::UnixStream;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use charmbox::backend::unit::UnitBackend;
use charmbox::engine::{Runtime, RuntimeConfig};
use charmbox::event::EventSpec;
use charmbox::native::agent::{Agent, Session};
use charmbox::native::serve::{Listeners, exit_channel, serve};
use charmbox::native::wire::{ToolRequest, exchange};
use charmbox::native::{NativeCharm, helper_path};
use charmbox::run::{Charm, InRuntime, RunOptions, run_on};
use charmbox::state::State;

use super::bench::summary;

#[derive(clap::Args)]
pub struct BenchNativeArgs {
    /// The charm directory (for the event comparison, built as a component
    /// beside its charmcraft.yaml too).
    #[arg(long)]
    pub charm: PathBuf,
    /// The event to run both ways.
    #[arg(long, default_value = "start")]
    pub event: String,
    /// The input State (JSON); an empty State when absent.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Tool calls to time.
    #[arg(long, default_value_t = 2000)]
    pub calls: usize,
    /// Events to time each way.
    #[arg(long, default_value_t = 20)]
    pub runs: usize,
}

impl BenchNativeArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let state = match &self.state {
            Some(p) => State::load_bounded(p, 64 << 20)?,
            None => State::default(),
        };
        let native = NativeCharm::open(&self.charm)?;
        println!(
            "hook-tool round trip (`is-leader --format=json`, {} calls):",
            self.calls
        );
        let (mut inproc, mut exe) = tool_round_trips(&native, &state, self.calls)?;
        let (median, line) = summary(&mut inproc);
        println!(
            "  in-process client over the socket   {line}   (target <= 100 µs median: {})",
            if median <= 100.0 { "met" } else { "missed" }
        );
        let (_, line) = summary(&mut exe);
        println!("  charmbox-jujuc process per call     {line}");

        println!("one `{}` event, {} runs each:", self.event, self.runs);
        let spec = EventSpec::named(&self.event);
        let mut times = Vec::new();
        for _ in 0..self.runs {
            let t = Instant::now();
            let (_, report) = run_on(&native, state.clone(), &spec, RunOptions::default())?;
            times.push(t.elapsed());
            anyhow::ensure!(
                report.outcome.is_ok(),
                "the native event failed: {report:?}"
            );
        }
        let (n_median, line) = summary(&mut times);
        println!("  native      {line}");
        let rt = Runtime::new(RuntimeConfig::default())?;
        match Charm::open(&rt, &self.charm) {
            Ok(charm) => {
                let d = InRuntime {
                    rt: &rt,
                    charm: &charm,
                };
                let mut times = Vec::new();
                for _ in 0..self.runs {
                    let t = Instant::now();
                    let (_, report) = run_on(&d, state.clone(), &spec, RunOptions::default())?;
                    times.push(t.elapsed());
                    anyhow::ensure!(
                        report.outcome.is_ok(),
                        "the component event failed: {report:?}"
                    );
                }
                let (c_median, line) = summary(&mut times);
                println!("  component   {line}");
                println!(
                    "  ratio native / component (medians): {:.2}",
                    n_median / c_median
                );
            }
            Err(e) => println!("  component   not run: {e}"),
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Time `n` calls of one tool on a real agent socket, answered by the
/// agent loop on a State backend: from an in-process client, and by
/// running the helper executable as a charm does.
fn tool_round_trips(
    native: &NativeCharm,
    state: &State,
    n: usize,
) -> anyhow::Result<(Vec<Duration>, Vec<Duration>)> {
    let resolved = EventSpec::named("start").resolve(&native.meta, state)?;
    let mut backend = UnitBackend::new(native.meta.clone(), state.clone(), &resolved)
        .map_err(anyhow::Error::msg)?;
    let dir = std::env::temp_dir().join(format!("charmbox-bench-native-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let socket = dir.join("agent.socket");
    let _ = std::fs::remove_file(&socket);
    let listeners = Listeners::bind(&socket, &[]).context("cannot serve the socket")?;
    let (tx, exited) = exit_channel();
    let helper = helper_path()?;
    let tools = dir.join("is-leader");
    let _ = std::fs::remove_file(&tools);
    std::os::unix::fs::symlink(&helper, &tools)?;
    let client = {
        let socket = socket.clone();
        std::thread::spawn(move || -> anyhow::Result<(Vec<Duration>, Vec<Duration>)> {
            let request = ToolRequest {
                context_id: "bench".into(),
                dir: "/".into(),
                argv: vec!["is-leader".into(), "--format=json".into()],
                stdin: None,
            };
            let mut inproc = Vec::with_capacity(n);
            for _ in 0..n {
                let t = Instant::now();
                let mut s = UnixStream::connect(&socket)?;
                exchange(&mut s, &request)?;
                inproc.push(t.elapsed());
            }
            let mut exe = Vec::new();
            for _ in 0..(n / 10).max(10) {
                let t = Instant::now();
                let out = std::process::Command::new(&tools)
                    .arg("--format=json")
                    .env_clear()
                    .env("JUJU_CONTEXT_ID", "bench")
                    .env("JUJU_AGENT_SOCKET_ADDRESS", &socket)
                    .env("JUJU_AGENT_SOCKET_NETWORK", "unix")
                    .output()?;
                exe.push(t.elapsed());
                anyhow::ensure!(out.status.success(), "the tool failed: {out:?}");
            }
            let _ = tx.send(std::process::ExitStatus::from_raw(0));
            Ok((inproc, exe))
        })
    };
    let session = Session {
        context_id: "bench",
        now_ns: 0,
        io_bytes: u64::MAX,
    };
    let mut agent = Agent::new(&mut backend, session);
    serve(
        listeners,
        &mut agent,
        exited,
        Instant::now() + Duration::from_secs(600),
    );
    let result = client
        .join()
        .map_err(|_| anyhow::anyhow!("the client panicked"))?;
    let _ = std::fs::remove_dir_all(&dir);
    result
}
