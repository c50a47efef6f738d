//! `charmbox pack <charm dir>`: a .charm a real Juju unit agent runs.

use std::path::PathBuf;
use std::process::ExitCode;

use charmbox::build::BuildOptions;
use charmbox::pack::{PackOptions, pack};

#[derive(clap::Args)]
pub struct PackArgs {
    /// The charm directory (with charmcraft.yaml).
    pub charm_dir: PathBuf,
    /// The .charm to write (default: `<dir>/<name>_<arch>.charm`).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// A platform to pack for (`amd64`, `ubuntu@22.04:amd64`); repeatable;
    /// default: charmcraft.yaml's. Only this machine's architecture can be built.
    #[arg(long = "platform")]
    pub platforms: Vec<String>,
    /// The packed host binary (default: target/dispatch-host's, or $CHARMBOX_DISPATCH_HOST).
    #[arg(long)]
    pub host: Option<PathBuf>,
    /// A program the charm declares (`charmbox: machine-commands:`) that the
    /// packed charm may run on its machine for real; repeatable. Nothing is
    /// granted by default.
    #[arg(long = "grant-command", value_name = "PROGRAM")]
    pub grant_commands: Vec<String>,
    /// A directory the charm declares (`charmbox: machine-files:`) that the
    /// packed charm may write on its machine for real; repeatable.
    #[arg(long = "grant-dir", value_name = "DIR")]
    pub grant_dirs: Vec<String>,
    /// A loopback port (1-65535) the packed charm's HTTP may reach for real
    /// (its workload's server on localhost); repeatable. None by default.
    #[arg(long = "grant-loopback-port", value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    pub grant_loopback_ports: Vec<u16>,
    /// Print nothing but errors and the result.
    #[arg(long, short)]
    pub quiet: bool,
}

impl PackArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let opts = PackOptions {
            out: self.output,
            platforms: self.platforms,
            host: self.host,
            build: BuildOptions {
                release: true,
                quiet: self.quiet,
                progress: (!self.quiet).then_some(super::build::progress_line),
            },
            grant_commands: self.grant_commands,
            grant_dirs: self.grant_dirs,
            grant_loopback_ports: self.grant_loopback_ports,
        };
        let r = pack(&self.charm_dir, &opts)?;
        println!(
            "packed {} ({} bytes: host {}, component {}, precompiled {}) for {} on {}",
            r.charm.display(),
            r.bytes,
            r.host_bytes,
            r.component_bytes,
            r.precompiled_bytes,
            r.platform,
            if r.bases.is_empty() {
                "any base".to_string()
            } else {
                r.bases.join(", ")
            }
        );
        Ok(ExitCode::SUCCESS)
    }
}
