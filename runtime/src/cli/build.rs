//! `charmbox build <charm dir>`.

use std::path::PathBuf;
use std::process::ExitCode;

use charmbox::build::{BuildOptions, build_charm};

#[derive(clap::Args)]
pub struct BuildArgs {
    /// The charm directory (with charmcraft.yaml).
    pub charm_dir: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// A build's progress line, on stderr as cargo prints its own.
pub fn progress_line(line: &str) {
    eprintln!("{line}");
}

impl BuildArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let opts = BuildOptions {
            release: true,
            quiet: self.quiet,
            progress: (!self.quiet).then_some(progress_line),
        };
        let out = build_charm(&self.charm_dir, &opts)?;
        let size = std::fs::metadata(&out.component)
            .map(|m| m.len())
            .unwrap_or(0);
        println!(
            "built {} ({} bytes): {}",
            out.charm_name,
            size,
            out.component.display()
        );
        Ok(ExitCode::SUCCESS)
    }
}
