//! `charmbox new NAME --lang rust|python|js|c [--kind k8s|machine]`.

use std::path::PathBuf;
use std::process::ExitCode;

use charmbox::scaffold::{Kind, Lang, default_sdk, new_charm};

#[derive(clap::Args)]
pub struct NewArgs {
    /// The charm's name (Juju's rule: lower-case letters, digits, hyphens).
    pub name: String,
    /// The language of the charm.
    #[arg(long, value_enum)]
    pub lang: Lang,
    /// Kubernetes (a sidecar charm) or machines.
    #[arg(long, value_enum, default_value = "k8s")]
    pub kind: Kind,
    /// Where to write it (default: ./NAME); must not exist or be empty.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Rust: the charmbox Rust SDK (guest-sdk/) the charm depends on.
    #[arg(long)]
    pub sdk: Option<PathBuf>,
}

impl NewArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let dir = self.dir.unwrap_or_else(|| PathBuf::from(&self.name));
        let sdk = self.sdk.unwrap_or_else(default_sdk);
        let files = new_charm(&dir, &self.name, self.lang, self.kind, &sdk)?;
        for f in &files {
            println!("wrote {}", f.display());
        }
        let d = dir.display();
        println!("next: charmbox build {d} && charmbox sim {d}/scenario.yaml");
        if self.lang == Lang::Python {
            println!(
                "      pytest {d}/tests/unit   (charmbox.testing: pip install charmbox's python/)"
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}
