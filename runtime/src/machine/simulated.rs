//! One command on a simulated machine: a scripted handler when one matches,
//! else the simulated program (`apt-get`, `apt`, `systemctl`), else "no
//! such program". Every command that ran is recorded in the State.

use super::CommandResult;
use super::{Ran, apt, systemctl};
use crate::bindings::machine::{CommandError, CommandOutput};
use crate::state::machine::{CommandRecord, MachineState};

/// The most commands a State keeps a record of (past it the oldest tenth
/// is dropped).
pub const MAX_RECORDED: usize = 10_000;
/// The longest standard input kept in a command's record.
const MAX_RECORDED_STDIN: usize = 4 << 10;

/// Run `argv` (already let through by [`crate::capability::machine::check`], whose
/// program name is `program`) on `machine`.
pub fn run(
    machine: &mut MachineState,
    program: &str,
    argv: &[String],
    stdin: &[u8],
) -> CommandResult {
    let args = &argv[1..];
    let handler = machine
        .handlers
        .iter()
        .find(|h| !h.command.is_empty() && prefixes(&h.command, program, args));
    let ran = match handler {
        Some(h) => Ran {
            code: h.exit_code,
            stdout: h.stdout.clone(),
            stderr: h.stderr.clone(),
        },
        None => match program {
            "apt-get" => apt::apt_get(machine, args),
            "apt" => apt::apt(machine, args),
            "systemctl" => systemctl::run(machine, args),
            _ => {
                return Err(CommandError::NotFound(format!(
                    "{program:?}: no such program on the simulated machine (it has apt-get, \
                     apt and systemctl; script others with `machine.handlers`)"
                )));
            }
        },
    };
    record(machine, argv, stdin, ran.code);
    Ok(CommandOutput {
        exit_code: ran.code,
        stdout: ran.stdout.into_bytes(),
        stderr: ran.stderr.into_bytes(),
    })
}

/// Whether a handler's `command` is a prefix of the argv (its first word
/// matched as the program name, so `/usr/bin/apt-get` meets `apt-get`).
fn prefixes(command: &[String], program: &str, args: &[String]) -> bool {
    let Some((first, rest)) = command.split_first() else {
        return false;
    };
    first == program && rest.len() <= args.len() && rest.iter().zip(args).all(|(a, b)| a == b)
}

fn record(machine: &mut MachineState, argv: &[String], stdin: &[u8], code: i32) {
    if machine.commands.len() >= MAX_RECORDED {
        // The oldest tenth at once: a guest looping over commands costs a
        // move of the records every thousand calls, not on every call.
        machine.commands.drain(..MAX_RECORDED / 10);
    }
    let kept = &stdin[..stdin.len().min(MAX_RECORDED_STDIN)];
    machine.commands.push(CommandRecord {
        command: argv.to_vec(),
        stdin: String::from_utf8_lossy(kept).into_owned(),
        exit_code: code,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::argv;
    use crate::state::machine::CommandHandler;

    #[test]
    fn a_handler_answers_before_the_simulated_program_and_is_recorded() {
        let mut m = MachineState::default();
        m.handlers.push(CommandHandler {
            command: argv(&["apt-get", "install"]),
            exit_code: 100,
            stderr: "E: Failed to fetch\n".into(),
            ..Default::default()
        });
        let a = argv(&["/usr/bin/apt-get", "install", "-y", "x"]);
        let out = run(&mut m, "apt-get", &a, b"").unwrap();
        assert_eq!(out.exit_code, 100);
        assert_eq!(out.stderr, b"E: Failed to fetch\n");
        assert_eq!(m.commands[0].command, a);
        assert_eq!(m.commands[0].exit_code, 100);
        // Not its prefix: the simulated apt-get answers.
        let out = run(&mut m, "apt-get", &argv(&["apt-get", "update"]), b"").unwrap();
        assert_eq!(out.exit_code, 0);
    }

    #[test]
    fn the_record_keeps_the_newest_commands_within_its_bound() {
        let mut m = MachineState::default();
        for n in 0..MAX_RECORDED + 5 {
            let a = argv(&["apt-get", "update", &n.to_string()]);
            run(&mut m, "apt-get", &a, b"").unwrap();
        }
        assert!(m.commands.len() <= MAX_RECORDED);
        let last = &m.commands.last().unwrap().command;
        assert_eq!(last[2], (MAX_RECORDED + 4).to_string());
        let first: usize = m.commands[0].command[2].parse().unwrap();
        assert_eq!(first, MAX_RECORDED / 10);
    }

    #[test]
    fn a_program_the_machine_lacks_is_not_found_and_not_recorded() {
        let mut m = MachineState::default();
        let e = run(&mut m, "snap", &argv(&["snap", "install", "x"]), b"").unwrap_err();
        assert!(matches!(e, CommandError::NotFound(_)), "{e:?}");
        assert!(m.commands.is_empty());
    }
}
