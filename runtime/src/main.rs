//! The `charmbox` command line.

mod cli;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of glibc's malloc: a dispatch makes a few hundred small
/// allocations, some freed on the trace writer's thread, and glibc's arena
/// locks and consolidation were a tenth of a Rust dispatch.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod mimalloc_options {
    include!(concat!(env!("OUT_DIR"), "/mimalloc_options.rs"));
}

/// Freed memory goes back to the kernel after a second instead of 10 ms.
/// The simulator frees and allocates steadily, and with the default mimalloc
/// kept returning pages and faulting them in again, zeroing a transparent
/// huge page each time: about 5 % of a simulated hook (docs/performance.md,
/// "The allocator's purge delay"). `MIMALLOC_PURGE_DELAY`, when set, wins.
fn tune_allocator() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one of mimalloc's options, a plain integer it reads
        // when it next purges; the number comes from its own header (build.rs).
        unsafe { libmimalloc_sys::mi_option_set(mimalloc_options::PURGE_DELAY, 1000) };
    }
}

fn main() -> ExitCode {
    tune_allocator();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CHARMBOX_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = cli::Cli::parse();
    cli.yaml.apply();
    match cli.command.run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", message(&e));
            ExitCode::from(2)
        }
    }
}

/// An error and its causes on one line, each cause once: library errors
/// often quote their source in their own message already.
fn message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !out.contains(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::message;

    #[derive(Debug, thiserror::Error)]
    #[error("malformed x.yaml: {source}")]
    struct Outer {
        source: std::io::Error,
    }

    #[test]
    fn each_cause_is_said_once() {
        let inner = std::io::Error::other("line 1 column 7");
        let e = anyhow::Error::new(Outer { source: inner }).context("opening x");
        assert_eq!(message(&e), "opening x: malformed x.yaml: line 1 column 7");
        let plain = anyhow::anyhow!("a").context("b");
        assert_eq!(message(&plain), "b: a");
    }
}
