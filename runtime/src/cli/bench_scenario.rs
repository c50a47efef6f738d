//! The Scenario side of `charmbox bench --vs-scenario`: the same Python
//! charm and event timed under ops' Scenario (`ops[testing]`) in the host's
//! CPython. The benchmark installs `ops[testing]` and the charm's
//! requirements from PyPI into a cached virtual environment
//! (`target/python/scenario/<hash>/`), then runs `bench_scenario.py` there.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The driver run in the virtual environment.
const DRIVER: &str = include_str!("bench_scenario.py");

/// Per-event times under Scenario, and what the last event left.
#[derive(Debug, Deserialize)]
pub struct ScenarioTimes {
    pub median_us: f64,
    pub p10_us: f64,
    pub p90_us: f64,
    pub mean_us: f64,
    pub min_us: f64,
    pub runs: usize,
    /// The interpreter and ops versions.
    pub versions: String,
    /// `unit_status` {status, message} and `relations` {id: app databag}.
    pub result: serde_json::Value,
}

/// Time `event` (`{name, action, params, relation_id, remote_unit}`) of
/// the Python charm in `charm_dir` from `state` (charmbox State JSON) under
/// Scenario, `iterations` times after a warm-up.
pub fn time_in_scenario(
    charm_dir: &Path,
    state: &serde_json::Value,
    event: &serde_json::Value,
    iterations: usize,
) -> anyhow::Result<ScenarioTimes> {
    let venv = ensure_venv(charm_dir)?;
    let driver = venv.join("bench_scenario.py");
    let mut child = Command::new(venv.join("bin").join("python"))
        .arg(&driver)
        .arg(charm_dir)
        .arg(iterations.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run the Scenario benchmark's Python")?;
    if let Some(mut stdin) = child.stdin.take() {
        let input = serde_json::json!({"state": state, "event": event});
        stdin.write_all(serde_json::to_string(&input)?.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "the charm under Scenario failed:\n{}",
            String::from_utf8_lossy(&out.stderr).trim_end()
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).with_context(|| format!("unreadable driver output: {last:?}"))
}

/// A virtual environment with `ops[testing]` and the charm's requirements,
/// made once per distinct requirements.txt.
fn ensure_venv(charm_dir: &Path) -> anyhow::Result<PathBuf> {
    let requirements = charm_dir.join("requirements.txt");
    let listed = fs::read_to_string(&requirements).unwrap_or_default();
    let key = Sha256::digest(format!("{listed}\0ops[testing]"));
    let hex: String = key[..6].iter().map(|b| format!("{b:02x}")).collect();
    let dir = charmbox::build::python_cache_dir(charm_dir)
        .join("scenario")
        .join(hex);
    // Benchmarks running at once (tests in parallel) share the venv: one
    // makes it while the others wait on its lock.
    if let Some(parent) = dir.parent() {
        fs::create_dir_all(parent).with_context(|| parent.display().to_string())?;
    }
    let _lock =
        charmbox::sim::lock::ModelLock::acquire(&dir, Duration::from_secs(900), &mut |_| {
            eprintln!(
                "  waiting for another benchmark installing {}",
                dir.display()
            );
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let ready = dir.join(".ready");
    if ready.is_file() {
        write_driver(&dir)?;
        return Ok(dir);
    }
    eprintln!(
        "  Installing ops[testing] and {} into {} (pip)",
        requirements.display(),
        dir.display()
    );
    let _ = fs::remove_dir_all(&dir);
    let python = charmbox::build::host_python();
    run(Command::new(&python).arg("-m").arg("venv").arg(&dir))
        .with_context(|| format!("{python} -m venv (the Scenario benchmark needs python3-venv)"))?;
    let mut pip = Command::new(dir.join("bin").join("python"));
    pip.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ]);
    if requirements.is_file() {
        pip.arg("-r").arg(&requirements);
    }
    pip.arg("ops[testing]");
    run(&mut pip).context("pip install ops[testing]")?;
    fs::write(&ready, b"")?;
    write_driver(&dir)?;
    Ok(dir)
}

/// The driver script in the venv, rewritten only when it differs (under
/// the venv's lock, so no benchmark reads it half-written).
fn write_driver(venv: &Path) -> anyhow::Result<()> {
    let driver = venv.join("bench_scenario.py");
    if fs::read(&driver).ok().as_deref() != Some(DRIVER.as_bytes()) {
        fs::write(&driver, DRIVER).with_context(|| driver.display().to_string())?;
    }
    Ok(())
}

fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let out = cmd.stdin(Stdio::null()).output()?;
    if !out.status.success() {
        bail!("{}", String::from_utf8_lossy(&out.stderr).trim_end());
    }
    Ok(())
}
