//! Machine charms' commands: the policy that lets a command run (declared
//! by the charm, granted by the run) and the simulated Ubuntu machine that
//! answers them from a State (apt packages, systemd services, scripted
//! handlers), as the real programs answer: same exit codes, same shapes of
//! output.

mod apt;
pub mod policy;
mod simulated;
mod systemctl;

pub use simulated::run;

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
