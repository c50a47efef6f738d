//! Running `cargo build` for a guest crate and finding the core module it
//! produced (from cargo's JSON messages, so `[lib] name` overrides work).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::thread;

use super::toolchain::{TARGET, Toolchain};
use super::{BuildError, BuildOptions};

/// How many stderr lines a failed build's error keeps.
const TAIL_LINES: usize = 40;

/// The guest's shadow stack. Rust's default of 1 MiB puts the heap beyond
/// the first megabyte, so every fresh instance faults in new pages; a
/// smaller stack keeps a charm's working set in the few pages the host keeps
/// resident between instances.
pub const GUEST_STACK_SIZE: usize = 256 * 1024;

/// The guest's initial linear memory. Large enough that a typical event's
/// heap fits without `memory.grow`: a grown memory must be shrunk back
/// (`mprotect`, and a TLB shootdown on every core the process runs on) when
/// the pool slot is handed to the next event, which cost a Rust dispatch
/// about a third of its time. Pages the guest never touches cost nothing.
pub const GUEST_INITIAL_MEMORY: usize = 2 << 20;

/// Build the crate in `charm_dir` for wasm32 into `target_dir`; the path of
/// the core module.
pub(crate) fn build(
    charm_dir: &Path,
    target_dir: &Path,
    toolchain: &Toolchain,
    opts: &BuildOptions,
) -> Result<PathBuf, BuildError> {
    let manifest = charm_dir.join("Cargo.toml");
    let mut cmd = toolchain.cargo();
    cmd.arg("build")
        .args(toolchain.build_args())
        .args(["--target", TARGET])
        .arg("--message-format=json-render-diagnostics")
        .arg("--manifest-path")
        .arg(&manifest)
        .current_dir(charm_dir)
        .env("CARGO_TARGET_DIR", target_dir)
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
            format!(
                "-C link-arg=-zstack-size={GUEST_STACK_SIZE} \
                 -C link-arg=--initial-memory={GUEST_INITIAL_MEMORY}"
            ),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if opts.release {
        cmd.arg("--release");
    }
    if opts.quiet {
        cmd.arg("--quiet");
    } else if std::io::stderr().is_terminal() {
        cmd.arg("--color=always");
    }
    tracing::debug!(?cmd, "building guest");
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd
        .spawn()
        .map_err(|source| BuildError::CargoSpawn { program, source })?;

    // stderr: told to the progress sink, its tail kept for the error.
    let stderr = child.stderr.take().expect("stderr is piped");
    let progress = opts.progress;
    let stderr_reader = thread::spawn(move || {
        let mut tail = VecDeque::with_capacity(TAIL_LINES);
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Some(p) = progress {
                p(&line);
            }
            if tail.len() == TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(line);
        }
        tail
    });

    // stdout: cargo's JSON messages.
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut artifacts = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        if let Some(a) = parse_artifact(&line) {
            artifacts.push(a);
        }
    }

    let status = child.wait().map_err(|source| BuildError::CargoSpawn {
        program: "cargo".to_string(),
        source,
    })?;
    let tail = stderr_reader.join().unwrap_or_default();
    if !status.success() {
        let tail: Vec<String> = tail.into_iter().map(|l| strip_ansi(&l)).collect();
        return Err(BuildError::CargoFailed {
            status: status.to_string(),
            stderr_tail: tail.join("\n"),
        });
    }
    pick_module(&artifacts, &manifest).ok_or_else(|| BuildError::NoArtifact {
        dir: charm_dir.to_path_buf(),
    })
}

/// A wasm cdylib cargo reported building.
#[derive(Debug, PartialEq)]
struct Artifact {
    manifest_path: PathBuf,
    wasm: PathBuf,
}

/// The cdylib `.wasm` of one `compiler-artifact` message, if it is one.
fn parse_artifact(line: &str) -> Option<Artifact> {
    let msg: serde_json::Value = serde_json::from_str(line).ok()?;
    if msg.get("reason")?.as_str()? != "compiler-artifact" {
        return None;
    }
    let is_cdylib = msg
        .pointer("/target/kind")?
        .as_array()?
        .iter()
        .any(|k| k.as_str() == Some("cdylib"));
    if !is_cdylib {
        return None;
    }
    let wasm = msg
        .get("filenames")?
        .as_array()?
        .iter()
        .filter_map(|f| f.as_str())
        .find(|f| f.ends_with(".wasm"))?;
    Some(Artifact {
        manifest_path: PathBuf::from(msg.get("manifest_path")?.as_str()?),
        wasm: PathBuf::from(wasm),
    })
}

/// The module of the charm's own crate: the artifact whose manifest is the
/// charm's, else the only wasm cdylib built.
fn pick_module(artifacts: &[Artifact], manifest: &Path) -> Option<PathBuf> {
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let want = canonical(manifest);
    artifacts
        .iter()
        .find(|a| canonical(&a.manifest_path) == want)
        .or(match artifacts {
            [only] => Some(only),
            _ => None,
        })
        .map(|a| a.wasm.clone())
}

/// Remove ANSI colour sequences (cargo colours its output on a terminal).
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // ESC [ ... final byte in @..~
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARTIFACT: &str = r#"{"reason":"compiler-artifact","package_id":"path+file:///c#peer-counter@0.1.0","manifest_path":"/c/Cargo.toml","target":{"kind":["cdylib"],"crate_types":["cdylib"],"name":"peer_counter","src_path":"/c/src/lib.rs"},"profile":{},"features":[],"filenames":["/t/wasm32-unknown-unknown/release/peer_counter.wasm"],"executable":null,"fresh":true}"#;

    #[test]
    fn finds_the_cdylib_in_cargo_messages() {
        let a = parse_artifact(ARTIFACT).unwrap();
        assert_eq!(a.manifest_path, PathBuf::from("/c/Cargo.toml"));
        assert_eq!(
            a.wasm,
            PathBuf::from("/t/wasm32-unknown-unknown/release/peer_counter.wasm")
        );
        let rlib = ARTIFACT
            .replace(r#"["cdylib"]"#, r#"["lib"]"#)
            .replace("peer_counter.wasm", "libserde.rlib");
        assert_eq!(parse_artifact(&rlib), None);
        assert_eq!(
            parse_artifact(r#"{"reason":"build-finished","success":true}"#),
            None
        );
        assert_eq!(parse_artifact("not json"), None);
    }

    #[test]
    fn picks_the_charms_own_module() {
        let a = |m: &str, w: &str| Artifact {
            manifest_path: PathBuf::from(m),
            wasm: PathBuf::from(w),
        };
        let two = [
            a("/dep/Cargo.toml", "/t/dep.wasm"),
            a("/c/Cargo.toml", "/t/c.wasm"),
        ];
        assert_eq!(
            pick_module(&two, Path::new("/c/Cargo.toml")),
            Some(PathBuf::from("/t/c.wasm"))
        );
        assert_eq!(pick_module(&two, Path::new("/x/Cargo.toml")), None);
        let one = [a("/elsewhere/Cargo.toml", "/t/c.wasm")];
        assert_eq!(
            pick_module(&one, Path::new("/c/Cargo.toml")),
            Some(PathBuf::from("/t/c.wasm"))
        );
        assert_eq!(pick_module(&[], Path::new("/c/Cargo.toml")), None);
    }

    #[test]
    fn ansi_colours_are_stripped() {
        assert_eq!(
            strip_ansi("\u{1b}[1m\u{1b}[31merror\u{1b}[0m: boom"),
            "error: boom"
        );
    }
}
