//! The guest toolchain: rustup's `wasm32-unknown-unknown` target when it is
//! installed or can be added, else Debian's `rustc-web` with `-Zbuild-std`
//! (see shared/toolchain.md). Decided once per process;
//! `CHARMBOX_GUEST_TOOLCHAIN=rustup|debian-web` forces one of the two.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};

use super::BuildError;

/// The target every Rust charm is built for.
pub(crate) const TARGET: &str = "wasm32-unknown-unknown";

/// Variables an outer cargo (charmbox run by `cargo test`) sets that must
/// not reach a cargo charmbox runs.
pub(crate) const OUTER_CARGO_VARS: [&str; 7] = [
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_MAKEFLAGS",
    "CARGO_PRIMARY_PACKAGE",
    "RUSTC_WORKSPACE_WRAPPER",
];

/// How to run cargo for a guest build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Toolchain {
    /// `cargo` on PATH (rustup's proxy) has the target installed.
    Rustup,
    /// Debian's `/usr/bin/cargo` 1.96 building std from source, linked
    /// with `linker` (rust-lld).
    DebianWeb {
        /// The wasm linker.
        linker: PathBuf,
    },
}

impl Toolchain {
    /// A `cargo` command for this toolchain, with its environment set and
    /// the outer cargo's variables (when charmbox runs under cargo) removed.
    pub(crate) fn cargo(&self) -> Command {
        let mut cmd = match self {
            Toolchain::Rustup => Command::new("cargo"),
            Toolchain::DebianWeb { .. } => Command::new("/usr/bin/cargo"),
        };
        for var in OUTER_CARGO_VARS {
            cmd.env_remove(var);
        }
        if let Toolchain::DebianWeb { linker } = self {
            cmd.env("RUSTC", "/usr/bin/rustc")
                .env("RUSTDOC", "/usr/bin/rustdoc")
                .env("RUSTC_BOOTSTRAP", "1")
                .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", linker);
        }
        cmd
    }

    /// Extra `cargo build` arguments for this toolchain.
    pub(crate) fn build_args(&self) -> &'static [&'static str] {
        match self {
            Toolchain::Rustup => &[],
            Toolchain::DebianWeb { .. } => &["-Zbuild-std=std,panic_abort"],
        }
    }
}

static DECISION: OnceLock<Toolchain> = OnceLock::new();
static INSTALLING: Mutex<()> = Mutex::new(());

/// The toolchain to build guests with, installing it if needed. Cheap after
/// the first call in a process; concurrent first calls install once.
pub(crate) fn ensure(charm_dir: &Path) -> Result<Toolchain, BuildError> {
    if let Some(t) = DECISION.get() {
        return Ok(t.clone());
    }
    let _guard = INSTALLING.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(t) = DECISION.get() {
        return Ok(t.clone());
    }
    let toolchain = detect(charm_dir)?;
    tracing::debug!(?toolchain, "guest toolchain");
    Ok(DECISION.get_or_init(|| toolchain).clone())
}

/// Environment variable forcing the toolchain (`rustup` or `debian-web`).
const FORCE_VAR: &str = "CHARMBOX_GUEST_TOOLCHAIN";

fn detect(charm_dir: &Path) -> Result<Toolchain, BuildError> {
    match std::env::var(FORCE_VAR).as_deref() {
        Err(_) | Ok("") => {}
        Ok("debian-web") => return debian_web().map_err(BuildError::ToolchainInstall),
        Ok("rustup") => return rustup(charm_dir).map_err(BuildError::ToolchainInstall),
        Ok(other) => {
            return Err(BuildError::ToolchainInstall(format!(
                "{FORCE_VAR}={other:?}: expected `rustup` or `debian-web`"
            )));
        }
    }
    rustup(charm_dir).or_else(|rustup_error| {
        tracing::info!(
            "rustup cannot provide {TARGET} ({rustup_error}); trying Debian's rustc-web"
        );
        debian_web().map_err(|e| BuildError::ToolchainInstall(format!("{rustup_error}; {e}")))
    })
}

/// rustup's target, added if missing. Run in the charm's directory so a
/// rust-toolchain.toml there counts.
fn rustup(charm_dir: &Path) -> Result<Toolchain, String> {
    match run(Command::new("rustup")
        .args(["target", "list", "--installed"])
        .current_dir(charm_dir))
    {
        Ok(out) if out.status.success() => {
            if String::from_utf8_lossy(&out.stdout)
                .lines()
                .any(|l| l.trim() == TARGET)
            {
                return Ok(Toolchain::Rustup);
            }
            match run(Command::new("rustup")
                .args(["target", "add", TARGET])
                .current_dir(charm_dir))
            {
                Ok(out) if out.status.success() => Ok(Toolchain::Rustup),
                Ok(out) => Err(format!("rustup target add {TARGET}: {}", tail(&out))),
                Err(e) => Err(format!("rustup target add {TARGET}: {e}")),
            }
        }
        Ok(out) => Err(format!("rustup target list: {}", tail(&out))),
        Err(e) => Err(format!("rustup: {e}")),
    }
}

/// Debian packages of the fallback.
const WEB_PACKAGES: [&str; 3] = ["rustc-web", "cargo-web", "rust-web-src"];

fn debian_web() -> Result<Toolchain, String> {
    if !web_packages_installed() {
        apt_install()?;
    }
    let linker = find_linker().ok_or_else(|| {
        "Debian's rustc-web is installed but no rust-lld was found to link wasm \
         (looked in rustup's stable sysroot, rustc's sysroot and PATH)"
            .to_string()
    })?;
    Ok(Toolchain::DebianWeb { linker })
}

fn web_packages_installed() -> bool {
    if !Path::new("/usr/bin/cargo").is_file() || !Path::new("/usr/bin/rustc").is_file() {
        return false;
    }
    let Ok(out) = run(Command::new("dpkg-query")
        .args(["-W", "-f=${Status}\n"])
        .args(WEB_PACKAGES))
    else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    out.status.success()
        && text.lines().count() == WEB_PACKAGES.len()
        && text.lines().all(|l| l.trim() == "install ok installed")
}

fn apt_install() -> Result<(), String> {
    // Refresh the lists first: stale ones offer an older rustc-web (or none).
    // A failed refresh is not fatal; the install says what is missing.
    if let Ok(out) = run(Command::new("apt-get")
        .arg("update")
        .env("DEBIAN_FRONTEND", "noninteractive"))
        && !out.status.success()
    {
        tracing::warn!("apt-get update failed: {}", tail(&out));
    }
    let install = run(Command::new("apt-get")
        .args(["install", "-y"])
        .args(WEB_PACKAGES)
        .env("DEBIAN_FRONTEND", "noninteractive"));
    match install {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!(
            "apt-get install -y {}: {}",
            WEB_PACKAGES.join(" "),
            tail(&out)
        )),
        Err(e) => Err(format!("apt-get: {e}")),
    }
}

/// rust-lld for the fallback: rustup's stable sysroot (as toolchain.md
/// does), then whatever `rustc` is on PATH, then `rust-lld`/`wasm-ld` on PATH.
fn find_linker() -> Option<PathBuf> {
    let host = host_triple()?;
    let queries: [&[&str]; 2] = [&["+stable", "--print", "sysroot"], &["--print", "sysroot"]];
    for args in queries {
        let Ok(out) = run(Command::new("rustc").args(args)) else {
            continue;
        };
        if !out.status.success() {
            continue;
        }
        let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        let lld = sysroot.join("lib/rustlib").join(&host).join("bin/rust-lld");
        if lld.is_file() {
            return Some(lld);
        }
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| [dir.join("rust-lld"), dir.join("wasm-ld")])
        .find(|p| p.is_file())
}

/// The host's target triple, from `/usr/bin/rustc -vV` (else `rustc -vV`).
fn host_triple() -> Option<String> {
    ["/usr/bin/rustc", "rustc"].into_iter().find_map(|rustc| {
        let out = run(Command::new(rustc).arg("-vV")).ok()?;
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("host: "))
            .map(|h| h.trim().to_string())
    })
}

fn run(cmd: &mut Command) -> std::io::Result<Output> {
    cmd.stdin(Stdio::null()).output()
}

/// The last lines of a failed command's stderr (else stdout), one line.
fn tail(out: &Output) -> String {
    let text = if out.stderr.is_empty() {
        String::from_utf8_lossy(&out.stdout)
    } else {
        String::from_utf8_lossy(&out.stderr)
    };
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(3);
    let tail = lines[start..].join(" / ");
    if tail.is_empty() {
        format!("exited with {}", out.status)
    } else {
        tail
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_runs_debian_cargo_with_build_std() {
        let t = Toolchain::DebianWeb {
            linker: PathBuf::from("/sysroot/bin/rust-lld"),
        };
        let cmd = t.cargo();
        assert_eq!(cmd.get_program(), "/usr/bin/cargo");
        let envs: Vec<_> = cmd
            .get_envs()
            .filter_map(|(k, v)| Some((k.to_str()?, v?.to_str()?)))
            .collect();
        assert!(envs.contains(&("RUSTC_BOOTSTRAP", "1")));
        assert!(envs.contains(&("RUSTC", "/usr/bin/rustc")));
        assert!(envs.contains(&(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER",
            "/sysroot/bin/rust-lld"
        )));
        assert_eq!(t.build_args(), ["-Zbuild-std=std,panic_abort"]);
    }

    #[test]
    fn rustup_runs_plain_cargo_without_outer_cargo_variables() {
        let cmd = Toolchain::Rustup.cargo();
        assert_eq!(cmd.get_program(), "cargo");
        let removed: Vec<_> = cmd
            .get_envs()
            .filter(|(_, v)| v.is_none())
            .filter_map(|(k, _)| k.to_str())
            .collect();
        assert!(removed.contains(&"CARGO_TARGET_DIR"));
        assert!(Toolchain::Rustup.build_args().is_empty());
    }
}
