//! The raw `jujuc` layer: Juju's hook-tool binaries, byte for byte.
//!
//! [`run`] takes an argv (`argv[0]` is the tool's name) and stdin, parses
//! them the way Juju's hook tools do (gnuflag, juju/cmd), turns the request
//! into [`HookCall`]s on the backend — the same requests the typed imports
//! make, so there is one set of semantics — and renders the replies with
//! juju/cmd's smart/yaml/json formatters. The result is the exit code,
//! stdout and stderr that Juju's client would produce. See `docs/jujuc.md`.

mod args;
mod flags;
mod host;
mod input;
mod json;
mod output;
mod tools;
mod value;

#[cfg(test)]
mod fuzz;

/// Every hook tool's name, as Juju puts them on a hook's PATH.
pub fn tool_names() -> Vec<&'static str> {
    tools::names()
}

pub use host::{FileError, FsHost, MAX_TOOL_FILE_BYTES, NoHost, ToolHost};

use crate::backend::{HookCall, HookReply, HookTools, ToolError};
use crate::bindings::jujuc::ToolOutput;
use crate::bindings::types::HookError;
use crate::go;

/// Run one hook tool with no access to the charm's files (see [`ToolHost`]).
/// `Err` only for a fatal host problem, which traps the guest.
pub fn run(tools: &mut dyn HookTools, argv: &[String], stdin: &[u8]) -> Result<ToolOutput, String> {
    run_with(tools, &mut NoHost, argv, stdin)
}

/// Run one hook tool; `host` resolves the file paths the tool is given
/// (`--file PATH`, `key#file=PATH`, `-o PATH`) and supplies the clock for
/// `secret-add --expire <duration>`.
pub fn run_with(
    tools: &mut dyn HookTools,
    host: &mut dyn ToolHost,
    argv: &[String],
    stdin: &[u8],
) -> Result<ToolOutput, String> {
    run_stdin_on_demand(tools, host, argv, Some(stdin))?
        .ok_or_else(|| "a hook tool given stdin asked for it again".to_string())
}

/// [`run_with`] as Juju's agent runs a tool for its client: without stdin
/// (`None`) until the tool reads it. `Ok(None)`: the tool wanted stdin —
/// Juju's `hook tool requires stdin, none supplied`, after which the client
/// sends it and asks again. What the tool asked the backend before it
/// reached stdin was asked (the caller answers it again the same way).
pub fn run_stdin_on_demand(
    tools: &mut dyn HookTools,
    host: &mut dyn ToolHost,
    argv: &[String],
    stdin: Option<&[u8]>,
) -> Result<Option<ToolOutput>, String> {
    let Some(first) = argv.first() else {
        return Ok(Some(fail_output(
            1,
            Vec::new(),
            Vec::new(),
            "bad request: command not specified",
        )));
    };
    // The client takes the tool's name from basename(argv[0]).
    let name = first.rsplit('/').next().unwrap_or(first);
    if name.is_empty() {
        return Ok(Some(fail_output(
            1,
            Vec::new(),
            Vec::new(),
            "bad request: command not specified",
        )));
    }
    let Some(tool) = tools::lookup(name) else {
        return Ok(Some(fail_output(
            1,
            Vec::new(),
            Vec::new(),
            &format!("bad request: unknown command: {name}"),
        )));
    };
    let mut ctx = Ctx {
        name,
        tools,
        host,
        stdin,
        stdout: Vec::new(),
        stderr: Vec::new(),
    };
    let result = tool(&mut ctx, &argv[1..]);
    let Ctx { stdout, stderr, .. } = ctx;
    Ok(Some(match result {
        Ok(()) => ToolOutput {
            code: 0,
            stdout,
            stderr,
        },
        Err(Fail::Help(text)) => ToolOutput {
            code: 0,
            stdout: text.into_bytes(),
            stderr: Vec::new(),
        },
        Err(Fail::Usage(m)) => fail_output(2, stdout, stderr, &m),
        Err(Fail::Run(m)) => fail_output(1, stdout, stderr, &m),
        Err(Fail::NeedStdin) => return Ok(None),
        Err(Fail::Fatal(m)) => return Err(m),
    }))
}

/// A tool that failed before it ran (a host limit): `ERROR <message>`,
/// exit 1, as a tool's run error.
pub fn error_output(message: &str) -> ToolOutput {
    fail_output(1, Vec::new(), Vec::new(), message)
}

/// juju/cmd's `WriteError`: `ERROR <message>\n` after what was written.
fn fail_output(code: i32, stdout: Vec<u8>, mut stderr: Vec<u8>, message: &str) -> ToolOutput {
    stderr.extend_from_slice(b"ERROR ");
    stderr.extend_from_slice(message.as_bytes());
    stderr.push(b'\n');
    ToolOutput {
        code,
        stdout,
        stderr,
    }
}

/// How a tool invocation ends when it does not succeed.
#[derive(Debug)]
pub(crate) enum Fail {
    /// `-h`/`--help`: the usage text on stdout, exit 0.
    Help(String),
    /// A flag or `Init` error: exit 2.
    Usage(String),
    /// A `Run` error: exit 1.
    Run(String),
    /// A host problem: trap the guest.
    Fatal(String),
    /// The tool reads stdin and was run without it.
    NeedStdin,
}

pub(crate) type Res<T> = Result<T, Fail>;

impl From<crate::backend::UnexpectedReply> for Fail {
    fn from(e: crate::backend::UnexpectedReply) -> Self {
        Fail::Fatal(e.to_string())
    }
}

/// One tool invocation: the backend, the host, stdin and the output so far.
pub(crate) struct Ctx<'a> {
    pub name: &'a str,
    tools: &'a mut dyn HookTools,
    pub host: &'a mut dyn ToolHost,
    /// None: not sent yet (see [`run_stdin_on_demand`]).
    pub stdin: Option<&'a [u8]>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Ctx<'_> {
    /// Ask the backend; Juju's error comes back as the inner `Err`.
    pub fn try_call(&mut self, call: HookCall) -> Res<Result<HookReply, HookError>> {
        match self.tools.call(call) {
            Ok(r) => Ok(Ok(r)),
            Err(ToolError::Hook(e)) => Ok(Err(e)),
            Err(ToolError::Fatal(m)) => Err(Fail::Fatal(m)),
        }
    }

    /// Ask the backend; an invalid-argument error is a usage error (exit 2),
    /// any other is a run error (exit 1).
    pub fn call(&mut self, call: HookCall) -> Res<HookReply> {
        self.try_call(call)?.map_err(|e| match e {
            HookError::InvalidArgument(m) => Fail::Usage(m),
            other => Fail::Run(message(&other).to_string()),
        })
    }

    /// Ask the backend; every error is a run error (exit 1).
    pub fn call_run(&mut self, call: HookCall) -> Res<HookReply> {
        self.try_call(call)?
            .map_err(|e| Fail::Run(message(&e).to_string()))
    }

    /// Write to stdout.
    pub fn out(&mut self, bytes: &[u8]) {
        self.stdout.extend_from_slice(bytes);
    }

    /// juju's deprecation notice for `--format` on tools that print nothing
    /// (no newline, as Juju writes it).
    pub fn format_deprecated(&mut self) {
        let note = format!(
            "--format flag deprecated for command {}",
            go::quote::quote(self.name)
        );
        self.stderr.extend_from_slice(note.as_bytes());
    }
}

/// The text Juju prints after `ERROR ` for a backend error.
pub(crate) fn message(e: &HookError) -> &str {
    crate::backend::error::hook_error_message(e)
}

/// [`expect_variant!`](crate::expect_variant) for the raw tools: a wrong
/// reply is a [`Fail::Fatal`].
macro_rules! reply {
    ($reply:expr, $variant:ident) => {{
        use $crate::backend::HookReply;
        $crate::expect_variant!($reply, HookReply::$variant).map_err($crate::jujuc::Fail::from)
    }};
}
pub(crate) use reply;
