//! Machine commands for real, under a unit agent: the programs the charm
//! declares and the pack grants (`charmbox pack --grant-command`) run on
//! the unit's machine. Each runs with a fixed environment, no shell, from
//! the standard program directories only, bounded in time and output.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::bindings::machine::{CommandError, CommandOutput};
use crate::capability::machine;
use crate::machine::CommandResult;

/// Where a bare program name is looked up, in this order (never `PATH`).
pub const PROGRAM_DIRS: [&str; 4] = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];
/// The environment every command gets, and nothing else.
pub const COMMAND_ENV: [(&str, &str); 2] = [
    ("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
    ("LANG", "C.UTF-8"),
];
/// The most bytes kept of each of stdout and stderr.
pub const MAX_OUTPUT_BYTES: usize = 16 << 20;
/// How long a command may run when the dispatch has no deadline.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// The machine's commands for one dispatch: what the charm declares, what
/// the pack grants, and how long each command may run.
#[derive(Debug, Clone)]
pub struct HostCommands {
    declared: BTreeSet<String>,
    granted: BTreeSet<String>,
    timeout: Duration,
    dirs: Vec<PathBuf>,
}

impl HostCommands {
    /// Commands the charm `declared`, of which `granted` may run, each for
    /// at most `timeout`.
    pub fn new(declared: BTreeSet<String>, granted: BTreeSet<String>, timeout: Duration) -> Self {
        HostCommands {
            declared,
            granted,
            timeout,
            dirs: PROGRAM_DIRS.iter().map(PathBuf::from).collect(),
        }
    }

    /// Nothing granted: every command is refused.
    pub fn none(declared: BTreeSet<String>) -> Self {
        Self::new(declared, BTreeSet::new(), DEFAULT_TIMEOUT)
    }

    /// Look bare names up in `dirs` instead of the standard directories
    /// (tests).
    pub fn with_program_dirs(mut self, dirs: Vec<PathBuf>) -> Self {
        self.dirs = dirs;
        self
    }

    /// Run `argv` with `stdin` if the charm declares and the pack grants it.
    pub fn run(&self, argv: &[String], stdin: &[u8]) -> CommandResult {
        let name = machine::check_granted_by(
            argv,
            stdin,
            &self.declared,
            &self.granted,
            machine::GrantedBy::Pack,
        )?;
        let program = self.locate(name).ok_or_else(|| {
            CommandError::NotFound(format!(
                "{name}: command not found (looked in {})",
                self.dirs_shown()
            ))
        })?;
        self.spawn_and_wait(&program, &argv[1..], stdin)
    }

    fn dirs_shown(&self) -> String {
        let dirs: Vec<String> = self.dirs.iter().map(|d| d.display().to_string()).collect();
        dirs.join(", ")
    }

    /// The program's file: the first standard directory holding `name` as
    /// a regular executable file.
    fn locate(&self, name: &str) -> Option<PathBuf> {
        self.dirs
            .iter()
            .map(|d| d.join(name))
            .find(|p| is_executable(p))
    }

    fn spawn_and_wait(&self, program: &Path, args: &[String], stdin: &[u8]) -> CommandResult {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env_clear()
            .envs(COMMAND_ENV)
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| {
            CommandError::NotFound(format!("{}: cannot run: {e}", program.display()))
        })?;
        if let Some(mut pipe) = child.stdin.take() {
            let input = stdin.to_vec();
            // Not joined: a program that never reads its input must not
            // hold the host; the pipe closes when the program ends.
            std::thread::spawn(move || {
                let _ = pipe.write_all(&input);
            });
        }
        let out = Captured::start(child.stdout.take());
        let err = Captured::start(child.stderr.take());
        let code = match wait(&mut child, self.timeout) {
            Waited::Exited(code) => code,
            Waited::TimedOut => {
                return Err(CommandError::Invalid(format!(
                    "{} ran longer than {} s and was killed",
                    program.display(),
                    self.timeout.as_secs()
                )));
            }
        };
        // A daemon the program left behind may keep the pipes open: what
        // came within a short grace is the output.
        let grace = Instant::now() + OUTPUT_GRACE;
        while !(out.done() && err.done()) && Instant::now() < grace {
            std::thread::sleep(Duration::from_millis(2));
        }
        let (stdout, cut_out) = out.take();
        let (stderr, cut_err) = err.take();
        if cut_out || cut_err {
            return Err(CommandError::Invalid(format!(
                "{} wrote more than {MAX_OUTPUT_BYTES} bytes to {}",
                program.display(),
                if cut_out { "stdout" } else { "stderr" }
            )));
        }
        Ok(CommandOutput {
            exit_code: code,
            stdout,
            stderr,
        })
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// How long output is still read once the program has exited.
const OUTPUT_GRACE: Duration = Duration::from_millis(500);

/// One output pipe read to its end on its own thread, keeping at most
/// [`MAX_OUTPUT_BYTES`] (the rest is drained so the program never blocks
/// on a full pipe, and dropped).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<CapturedBytes>>);

#[derive(Default)]
struct CapturedBytes {
    kept: Vec<u8>,
    cut: bool,
    done: bool,
}

impl Captured {
    fn start(pipe: Option<impl Read + Send + 'static>) -> Captured {
        let c = Captured::default();
        let Some(mut pipe) = pipe else {
            c.lock().done = true;
            return c;
        };
        let shared = c.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 64 << 10];
            loop {
                let n = match pipe.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let mut b = shared.lock();
                let room = MAX_OUTPUT_BYTES.saturating_sub(b.kept.len());
                b.kept.extend_from_slice(&buf[..n.min(room)]);
                b.cut |= n > room;
            }
            shared.lock().done = true;
        });
        c
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CapturedBytes> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn done(&self) -> bool {
        self.lock().done
    }

    /// What was read so far, and whether any was dropped.
    fn take(&self) -> (Vec<u8>, bool) {
        let mut b = self.lock();
        (std::mem::take(&mut b.kept), b.cut)
    }
}

enum Waited {
    Exited(i32),
    TimedOut,
}

/// Wait for `child` up to `timeout`; past it the child is killed.
fn wait(child: &mut Child, timeout: Duration) -> Waited {
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Waited::Exited(exit_code(status)),
            Ok(None) if start.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Waited::TimedOut;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => {
                let _ = child.kill();
                return Waited::Exited(-1);
            }
        }
    }
}

/// The exit code as a shell reports it: a signal `n` is `128 + n`.
fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(-1)
}

#[cfg(test)]
#[path = "commands_tests.rs"]
mod tests;
