//! `charmbox bench-build`: how long `charmbox build` takes for a charm —
//! cold (an empty cache: tools, requirements, native extensions built for
//! WASI, the component), after a source change (dependencies cached), and
//! unchanged (the cached component). Each build is the real `charmbox
//! build` in a child process, on a copy of the charm outside any workspace,
//! with its own cache directory (`CHARMBOX_CACHE_DIR`).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// Most files copied from the charm directory.
const MAX_FILES: usize = 10_000;

#[derive(clap::Args)]
pub struct BenchBuildArgs {
    /// The charm directory (Python, Rust, JavaScript or C).
    #[arg(long)]
    pub charm: PathBuf,
    /// Start from an empty cache (minutes for a charm with native
    /// requirements); otherwise the user's cache is used as it is.
    #[arg(long)]
    pub cold: bool,
}

impl BenchBuildArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let work =
            std::env::temp_dir().join(format!("charmbox-bench-build-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&work);
        let name = self
            .charm
            .canonicalize()
            .with_context(|| format!("{}", self.charm.display()))?
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "charm".into());
        let copy = work.join(&name);
        let mut files = 0;
        copy_charm(&self.charm, &copy, &mut files)?;
        let cache = if self.cold {
            Some(work.join("cache"))
        } else {
            None
        };
        println!(
            "charm: {} ({files} files copied to {})",
            self.charm.display(),
            copy.display()
        );
        let result = (|| {
            if self.cold {
                let t = build(&copy, cache.as_deref())?;
                println!(
                    "cold build (empty cache):          {:>8.2} s",
                    t.as_secs_f64()
                );
            } else {
                let t = build(&copy, cache.as_deref())?;
                println!(
                    "first build (the cache as it is):  {:>8.2} s",
                    t.as_secs_f64()
                );
            }
            touch_source(&copy)?;
            let t = build(&copy, cache.as_deref())?;
            println!(
                "source changed (deps cached):      {:>8.2} s",
                t.as_secs_f64()
            );
            let t = build(&copy, cache.as_deref())?;
            println!(
                "unchanged (cached component):      {:>8.2} s",
                t.as_secs_f64()
            );
            let size = std::fs::read_dir(&copy)?
                .flatten()
                .find(|e| e.path().extension().is_some_and(|x| x == "wasm"))
                .and_then(|e| e.metadata().ok())
                .map(|m| m.len())
                .unwrap_or(0);
            println!("component:                         {size:>8} bytes");
            Ok::<_, anyhow::Error>(())
        })();
        let _ = std::fs::remove_dir_all(&work);
        result?;
        Ok(ExitCode::SUCCESS)
    }
}

/// One `charmbox build` of `dir`, timed.
fn build(dir: &Path, cache: Option<&Path>) -> anyhow::Result<Duration> {
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.arg("build")
        .arg(dir)
        .arg("--quiet")
        .stdin(Stdio::null());
    if let Some(cache) = cache {
        cmd.env("CHARMBOX_CACHE_DIR", cache);
    }
    let start = Instant::now();
    let out = cmd.output()?;
    let took = start.elapsed();
    if !out.status.success() {
        bail!(
            "charmbox build {} failed:\n{}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(took)
}

/// Change the charm's entry source (a comment appended), as an edit would.
fn touch_source(dir: &Path) -> anyhow::Result<()> {
    for (entry, comment) in [
        ("src/charm.py", "\n# bench-build\n"),
        ("src/lib.rs", "\n// bench-build\n"),
        ("src/charm.js", "\n// bench-build\n"),
        ("src/charm.c", "\n/* bench-build */\n"),
    ] {
        let path = dir.join(entry);
        if path.is_file() {
            let mut text = std::fs::read(&path)?;
            text.extend_from_slice(comment.as_bytes());
            std::fs::write(&path, text)?;
            return Ok(());
        }
    }
    bail!(
        "{}: no src/charm.py, src/lib.rs, src/charm.js or src/charm.c",
        dir.display()
    )
}

/// Copy the charm's files (not target/, built components, VCS or caches;
/// symlinks not followed), at most [`MAX_FILES`].
fn copy_charm(from: &Path, to: &Path, files: &mut usize) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("{}", from.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        let text = name.to_string_lossy();
        if matches!(
            text.as_ref(),
            "target" | ".git" | "__pycache__" | "node_modules" | ".venv"
        ) || text.ends_with(".wasm")
        {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_charm(&entry.path(), &to.join(&name), files)?;
        } else if kind.is_file() {
            *files += 1;
            if *files > MAX_FILES {
                bail!("{} has more than {MAX_FILES} files", from.display());
            }
            std::fs::copy(entry.path(), to.join(&name))?;
        }
    }
    Ok(())
}
