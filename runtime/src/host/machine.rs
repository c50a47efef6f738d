//! `machine` imports: a command on the unit's machine, metered in and out
//! and answered by the backend (which applies the declaration and grant).

use super::{HostState, stop};
use crate::bindings::machine::{CommandError, CommandOutput, Host};

impl Host for HostState {
    fn run(
        &mut self,
        argv: Vec<String>,
        stdin: Vec<u8>,
    ) -> wasmtime::Result<Result<CommandOutput, CommandError>> {
        let asked: usize = argv.iter().map(String::len).sum::<usize>() + stdin.len();
        if let Err(e) = self.meter.call(asked as u64).map_err(stop)? {
            return Ok(Err(CommandError::Invalid(e.to_string())));
        }
        let result = self
            .backend
            .run_command(&argv, &stdin)
            .map_err(|m| wasmtime::format_err!("{m}"))?;
        if let Ok(out) = &result
            && let Err(e) = self
                .meter
                .reply((out.stdout.len() + out.stderr.len()) as u64)
                .map_err(stop)?
        {
            return Ok(Err(CommandError::Invalid(e.to_string())));
        }
        Ok(result)
    }
}
