//! Commands on the unit's machine, for machine charms: `apt-get`,
//! `systemctl` and the other programs the charm declares under
//! `charmbox: machine-commands:` in charmcraft.yaml and the run grants.
//!
//! ```no_run
//! use charmbox_sdk::machine::Command;
//! let out = Command::new("apt-get").args(["install", "-y", "nginx"]).output()?;
//! if !out.success() {
//!     // apt-get's exit code 100: the package could not be installed.
//! }
//! # Ok::<(), charmbox_sdk::machine::CommandError>(())
//! ```

use crate::bindings::juju::charm::machine as raw;

/// Why a command did not run at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandError {
    /// The charm does not declare the program under `charmbox:
    /// machine-commands:` in charmcraft.yaml.
    NotDeclared(String),
    /// Declared, but this run does not grant it.
    NotGranted(String),
    /// The machine has no such program.
    NotFound(String),
    /// Not a command the host takes (empty, or over its size limits).
    Invalid(String),
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CommandError::NotDeclared(m)
            | CommandError::NotGranted(m)
            | CommandError::NotFound(m)
            | CommandError::Invalid(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for CommandError {}

impl From<raw::CommandError> for CommandError {
    fn from(e: raw::CommandError) -> Self {
        match e {
            raw::CommandError::NotDeclared(m) => CommandError::NotDeclared(m),
            raw::CommandError::NotGranted(m) => CommandError::NotGranted(m),
            raw::CommandError::NotFound(m) => CommandError::NotFound(m),
            raw::CommandError::Invalid(m) => CommandError::Invalid(m),
        }
    }
}

/// What a command that ran left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Its exit code (0: success).
    pub code: i32,
    /// What it wrote to standard output.
    pub stdout: Vec<u8>,
    /// What it wrote to standard error.
    pub stderr: Vec<u8>,
}

impl Output {
    /// Whether it exited 0.
    pub fn success(&self) -> bool {
        self.code == 0
    }

    /// Standard output as text (invalid UTF-8 replaced).
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Standard error as text (invalid UTF-8 replaced).
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// A command to run on the machine: a program and its arguments (no
/// shell), with optional standard input.
#[derive(Debug, Clone)]
pub struct Command {
    argv: Vec<String>,
    stdin: Vec<u8>,
}

impl Command {
    /// The command running `program` (a name such as `"apt-get"`).
    pub fn new(program: impl Into<String>) -> Command {
        Command {
            argv: vec![program.into()],
            stdin: Vec::new(),
        }
    }

    /// One more argument.
    pub fn arg(mut self, arg: impl Into<String>) -> Command {
        self.argv.push(arg.into());
        self
    }

    /// More arguments.
    pub fn args<I, S>(mut self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.argv.extend(args.into_iter().map(Into::into));
        self
    }

    /// What the command reads on its standard input.
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Command {
        self.stdin = bytes.into();
        self
    }

    /// Run it to completion: its output whatever its exit code, or why it
    /// could not run at all (not declared, not granted, no such program).
    pub fn output(&self) -> Result<Output, CommandError> {
        let out = raw::run(&self.argv, &self.stdin)?;
        Ok(Output {
            code: out.exit_code,
            stdout: out.stdout,
            stderr: out.stderr,
        })
    }
}
