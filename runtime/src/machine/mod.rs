//! Machine charms' commands: the policy that lets a command run (declared
//! by the charm, granted by the run) and the simulated Ubuntu machine that
//! answers them from a State (apt packages, systemd services, scripted
//! handlers), as the real programs answer: same exit codes, same shapes of
//! output.

mod apt;
mod simulated;
mod systemctl;

pub use simulated::run;

/// What running one command gave: its output, or why it did not run.
pub type CommandResult =
    Result<crate::bindings::machine::CommandOutput, crate::bindings::machine::CommandError>;

/// An argv from string slices (tests).
#[cfg(test)]
fn argv(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// What a simulated program printed and returned.
#[derive(Debug, Default, PartialEq)]
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    fn ok(stdout: String) -> Ran {
        Ran {
            code: 0,
            stdout,
            stderr: String::new(),
        }
    }

    fn fail(code: i32, stderr: String) -> Ran {
        Ran {
            code,
            stdout: String::new(),
            stderr,
        }
    }
}

/// The machine boots (a reboot): enabled services start (those whose
/// start fails are left failed), the others are inactive. Packages and
/// files stay.
pub fn boot(machine: &mut crate::state::MachineState) {
    use crate::state::machine::ActiveState;
    for (name, s) in machine.services.iter_mut() {
        s.active = match (s.enabled, machine.failing_services.contains(name)) {
            (false, _) => ActiveState::Inactive,
            (true, true) => ActiveState::Failed,
            (true, false) => ActiveState::Active,
        };
    }
}
