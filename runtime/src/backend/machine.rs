//! The `machine` interface as a backend trait: commands run on the unit's
//! machine, once [`crate::capability::machine`] has let them through.

pub use crate::bindings::machine::{CommandError, CommandOutput};

pub use crate::machine::CommandResult;

/// A command's answer, or a fatal host problem (the guest traps).
pub type MachineResult = Result<CommandResult, String>;

/// Commands on one unit's machine for one dispatch.
pub trait MachineBackend {
    /// Run `argv` with `stdin` to completion. The backend applies the
    /// charm's declaration and the run's grant before anything runs.
    fn run_command(&mut self, argv: &[String], stdin: &[u8]) -> MachineResult;

    /// The files of the charm's machine directories after the event (path
    /// → bytes), on a simulated machine. They stand whatever the hook's
    /// outcome, as a machine's files do. Default: not kept (the files are
    /// real, or nothing keeps a machine).
    fn keep_files(&mut self, _files: std::collections::BTreeMap<String, Vec<u8>>) {}
}
