//! `systemctl` on the simulated machine: start, stop, restart, reload,
//! enable and disable (with `--now`), is-active, is-enabled, is-failed,
//! status, daemon-reload, reset-failed; with systemctl's exit codes (3 for
//! not active, 4 for no such unit in `status`, 5 for a unit not loaded) and
//! its messages.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::Ran;
use crate::state::machine::{ActiveState, MachineState, Service};

/// A unit name without its `.service` suffix.
fn unit(name: &str) -> &str {
    name.strip_suffix(".service").unwrap_or(name)
}

/// Start `service` (called `name`): active, or failed with the message
/// systemctl prints when its process exits at once.
pub fn start_unit(
    failing: &mut BTreeSet<String>,
    service: &mut Service,
    name: &str,
) -> Result<(), String> {
    if failing.contains(name) {
        service.active = ActiveState::Failed;
        return Err(format!(
            "Job for {name}.service failed because the control process exited with error \
             code.\nSee \"systemctl status {name}.service\" and \"journalctl -xeu \
             {name}.service\" for details.\n"
        ));
    }
    service.active = ActiveState::Active;
    Ok(())
}

/// `systemctl <verb> [options] [units...]`.
pub fn run(machine: &mut MachineState, args: &[String]) -> Ran {
    let mut now = false;
    let mut quiet = false;
    let mut words = Vec::new();
    for a in args {
        match a.as_str() {
            "--now" => now = true,
            "-q" | "--quiet" => quiet = true,
            "--no-block" | "--no-pager" | "--system" | "--no-reload" | "--no-ask-password"
            | "-l" | "--full" => {}
            o if o.starts_with('-') => {
                return Ran::fail(1, format!("systemctl: unrecognized option '{o}'\n"));
            }
            w => words.push(unit(w)),
        }
    }
    let Some((verb, units)) = words.split_first() else {
        return Ran::fail(1, "Too few arguments.\n".into());
    };
    let needs_units = !matches!(*verb, "daemon-reload" | "reset-failed");
    if needs_units && units.is_empty() {
        return Ran::fail(
            1,
            format!("Too few arguments.\n{verb} requires a unit name.\n"),
        );
    }
    let mut ran = Ran::default();
    match *verb {
        "start" | "restart" | "try-restart" | "reload-or-restart" => {
            for u in units {
                let Some(s) = machine.services.get_mut(*u) else {
                    let what = if *verb == "start" { "start" } else { "restart" };
                    return Ran::fail(
                        5,
                        format!("Failed to {what} {u}.service: Unit {u}.service not found.\n"),
                    );
                };
                if *verb == "try-restart" && s.active != ActiveState::Active {
                    continue;
                }
                if let Err(why) = start_unit(&mut machine.failing_services, s, u) {
                    return Ran::fail(1, why);
                }
            }
        }
        "stop" => {
            for u in units {
                let Some(s) = machine.services.get_mut(*u) else {
                    return Ran::fail(
                        5,
                        format!("Failed to stop {u}.service: Unit {u}.service not loaded.\n"),
                    );
                };
                s.active = ActiveState::Inactive;
            }
        }
        "reload" => {
            for u in units {
                match machine.services.get(*u) {
                    None => {
                        return Ran::fail(
                            5,
                            format!("Failed to reload {u}.service: Unit {u}.service not found.\n"),
                        );
                    }
                    Some(s) if s.active != ActiveState::Active => {
                        return Ran::fail(
                            1,
                            format!(
                                "Job for {u}.service invalid.\nFailed to reload {u}.service: \
                                 Job type reload is not applicable for unit {u}.service.\n"
                            ),
                        );
                    }
                    Some(_) => {}
                }
            }
        }
        "enable" | "disable" => {
            let enable = *verb == "enable";
            for u in units {
                let Some(s) = machine.services.get_mut(*u) else {
                    return Ran::fail(
                        1,
                        format!("Failed to {verb} unit: Unit file {u}.service does not exist.\n"),
                    );
                };
                if s.enabled != enable {
                    let link = format!("/etc/systemd/system/multi-user.target.wants/{u}.service");
                    let _ = if enable {
                        writeln!(
                            ran.stderr,
                            "Created symlink {link} → /usr/lib/systemd/system/{u}.service."
                        )
                    } else {
                        writeln!(ran.stderr, "Removed \"{link}\".")
                    };
                    s.enabled = enable;
                }
                if now && enable {
                    if let Err(why) = start_unit(&mut machine.failing_services, s, u) {
                        ran.stderr.push_str(&why);
                        ran.code = 1;
                        return ran;
                    }
                } else if now {
                    s.active = ActiveState::Inactive;
                }
            }
        }
        "is-active" | "is-failed" => {
            let want = if *verb == "is-active" {
                ActiveState::Active
            } else {
                ActiveState::Failed
            };
            let mut any = false;
            for u in units {
                let state = machine
                    .services
                    .get(*u)
                    .map_or(ActiveState::Inactive, |s| s.active);
                any |= state == want;
                if !quiet {
                    let _ = writeln!(ran.stdout, "{}", state.word());
                }
            }
            ran.code = match (any, *verb) {
                (true, _) => 0,
                (false, "is-active") => 3,
                (false, _) => 1,
            };
        }
        "is-enabled" => {
            let mut any = false;
            for u in units {
                let Some(s) = machine.services.get(*u) else {
                    if !quiet {
                        let _ = writeln!(
                            ran.stderr,
                            "Failed to get unit file state for {u}.service: No such file or \
                             directory"
                        );
                    }
                    ran.code = 1;
                    return ran;
                };
                any |= s.enabled;
                if !quiet {
                    let word = if s.enabled { "enabled" } else { "disabled" };
                    let _ = writeln!(ran.stdout, "{word}");
                }
            }
            ran.code = if any { 0 } else { 1 };
        }
        "status" => {
            for u in units {
                let Some(s) = machine.services.get(*u) else {
                    let _ = writeln!(ran.stderr, "Unit {u}.service could not be found.");
                    ran.code = 4;
                    return ran;
                };
                let dot = if s.active == ActiveState::Active {
                    "●"
                } else {
                    "○"
                };
                let enabled = if s.enabled { "enabled" } else { "disabled" };
                let _ = write!(
                    ran.stdout,
                    "{dot} {u}.service\n     Loaded: loaded (/usr/lib/systemd/system/{u}.service; \
                     {enabled}; preset: enabled)\n     Active: {}\n",
                    s.active.word()
                );
                if s.active != ActiveState::Active {
                    ran.code = 3;
                }
            }
        }
        "daemon-reload" => {}
        "reset-failed" => {
            for (name, s) in machine.services.iter_mut() {
                let named = units.is_empty() || units.contains(&name.as_str());
                if named && s.active == ActiveState::Failed {
                    s.active = ActiveState::Inactive;
                }
            }
        }
        other => return Ran::fail(1, format!("Unknown command verb '{other}'.\n")),
    }
    ran
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::argv;

    fn machine() -> MachineState {
        let mut m = MachineState::default();
        m.services.insert("ssh".into(), Service::default());
        m
    }

    #[test]
    fn enable_now_enables_and_starts_and_is_active_says_so() {
        let mut m = machine();
        let r = run(&mut m, &argv(&["enable", "--now", "ssh.service"]));
        assert_eq!(r.code, 0, "{r:?}");
        assert!(r.stderr.starts_with(
            "Created symlink /etc/systemd/system/multi-user.target.wants/ssh.service"
        ));
        let r = run(&mut m, &argv(&["is-active", "ssh"]));
        assert_eq!((r.code, r.stdout.as_str()), (0, "active\n"));
        let r = run(&mut m, &argv(&["is-enabled", "ssh"]));
        assert_eq!((r.code, r.stdout.as_str()), (0, "enabled\n"));
        run(&mut m, &argv(&["stop", "ssh"]));
        let r = run(&mut m, &argv(&["is-active", "--quiet", "ssh"]));
        assert_eq!((r.code, r.stdout.as_str()), (3, ""));
    }

    #[test]
    fn a_missing_unit_gets_systemctls_codes_and_messages() {
        let mut m = machine();
        let cases = [
            (
                &["start", "nope"][..],
                5,
                "Failed to start nope.service: Unit nope.service not found.\n",
            ),
            (
                &["stop", "nope"],
                5,
                "Failed to stop nope.service: Unit nope.service not loaded.\n",
            ),
            (
                &["enable", "nope"],
                1,
                "Failed to enable unit: Unit file nope.service does not exist.\n",
            ),
            (
                &["status", "nope"],
                4,
                "Unit nope.service could not be found.\n",
            ),
            (&["frob", "ssh"], 1, "Unknown command verb 'frob'.\n"),
        ];
        for (a, code, stderr) in cases {
            let r = run(&mut m, &argv(a));
            assert_eq!((r.code, r.stderr.as_str()), (code, stderr), "{a:?}");
        }
        let r = run(&mut m, &argv(&["is-active", "nope"]));
        assert_eq!((r.code, r.stdout.as_str()), (3, "inactive\n"));
    }

    #[test]
    fn a_failing_service_is_left_failed_until_reset() {
        let mut m = machine();
        m.failing_services.insert("ssh".into());
        let r = run(&mut m, &argv(&["enable", "--now", "ssh"]));
        assert_eq!(r.code, 1);
        assert!(
            r.stderr
                .contains("Job for ssh.service failed because the control process")
        );
        assert!(m.services["ssh"].enabled);
        let r = run(&mut m, &argv(&["is-failed", "ssh"]));
        assert_eq!((r.code, r.stdout.as_str()), (0, "failed\n"));
        run(&mut m, &argv(&["reset-failed"]));
        assert_eq!(m.services["ssh"].active, ActiveState::Inactive);
    }
}
