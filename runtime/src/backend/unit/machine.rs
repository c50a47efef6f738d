//! The `machine` import on a State: the charm's declaration and the
//! State's grant checked, then the command run on the State's simulated
//! machine. Its effects are immediate (a machine does not roll back with a
//! failed hook).

use super::UnitBackend;
use crate::backend::machine::{MachineBackend, MachineResult};
use crate::capability::machine as policy;
use crate::machine::run;
use crate::state::machine::MachineFile;

impl MachineBackend for UnitBackend {
    fn run_command(&mut self, argv: &[String], stdin: &[u8]) -> MachineResult {
        let machine = &mut self.state.machine;
        Ok(
            policy::check(argv, stdin, &self.meta.machine_commands, &machine.granted)
                .and_then(|program| run(machine, program, argv, stdin)),
        )
    }

    fn keep_files(&mut self, files: std::collections::BTreeMap<String, Vec<u8>>) {
        self.state.machine.files = files
            .into_iter()
            .map(|(path, bytes)| (path, MachineFile::from_bytes(bytes)))
            .collect();
    }
}
