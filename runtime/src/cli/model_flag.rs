//! The `--settle` flag every `charmbox model` operation takes.

/// `--settle`: run the hooks an operation made due before returning.
#[derive(clap::Args)]
pub struct SettleFlag {
    /// Run the hooks this operation made due before returning.
    #[arg(long, global = true)]
    pub settle: bool,
}
