//! Subcommands of `charmbox`, one file each.

mod bench;
mod bench_build;
mod bench_native;
mod bench_packed;
mod bench_scenario;
mod bench_sim;
mod build;
mod limits;
mod model;
mod model_flag;
mod model_ops;
mod model_secret;
mod new;
mod pack;
mod replay;
mod run;
mod sim;
mod yaml_limits;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Run Juju charms compiled to WebAssembly components, sandboxed and deterministic.
#[derive(Parser)]
#[command(name = "charmbox", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub yaml: yaml_limits::YamlLimitArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run one event for one unit: State JSON in, State JSON out.
    Run(Box<run::RunArgs>),
    /// Build a charm directory into a component beside its charmcraft.yaml.
    Build(build::BuildArgs),
    /// Make a new charm (Rust, Python, JavaScript or C) that builds and passes its scenario.
    New(new::NewArgs),
    /// Pack a charm directory into a .charm that a real Juju deploys.
    Pack(pack::PackArgs),
    /// Measure dispatch time of a charm's event.
    Bench(bench::BenchArgs),
    /// Replay a trace exactly, or against a changed charm.
    Replay(replay::ReplayArgs),
    /// Operate on a simulated model kept in a file (deploy, integrate, settle, status...).
    Model(model::ModelArgs),
    /// Run a scenario (steps and expectations) on a simulated model.
    Sim(sim::SimArgs),
    /// Measure the model simulator: a 3x3 model settled, and sustained hooks per second.
    BenchSim(bench_sim::BenchSimArgs),
    /// Measure the process boundary: a hook-tool round trip over the agent
    /// socket, and a native event beside the same event as a component.
    BenchNative(bench_native::BenchNativeArgs),
    /// Measure a packed charm: its `dispatch` process end to end, and an
    /// event under the native runner beside a native ops charm.
    BenchPacked(bench_packed::BenchPackedArgs),
    /// Measure `charmbox build` of a charm: cold (with --cold), after a
    /// source change, and unchanged.
    BenchBuild(bench_build::BenchBuildArgs),
}

impl Command {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Command::Run(a) => a.run(),
            Command::Build(a) => a.run(),
            Command::New(a) => a.run(),
            Command::Pack(a) => a.run(),
            Command::Bench(a) => a.run(),
            Command::Replay(a) => a.run(),
            Command::Model(a) => a.run(),
            Command::Sim(a) => a.run(),
            Command::BenchSim(a) => a.run(),
            Command::BenchNative(a) => a.run(),
            Command::BenchPacked(a) => a.run(),
            Command::BenchBuild(a) => a.run(),
        }
    }
}
