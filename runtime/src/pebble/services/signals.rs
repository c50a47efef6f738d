//! Signals from outside: `POST /v1/signals`, and the `on-check-failure`
//! actions a failed check calls for.

use super::{ServiceManager, SvcState};
use crate::go::duration::Duration;
use crate::go::quote::quote;
use crate::pebble::clock::Timer;
use crate::pebble::error::ApiError;
use crate::pebble::overlord::{CheckFailureHandler, Overlord};

/// The valid Linux signal names (`unix.SignalNum`).
const SIGNALS: &[&str] = &[
    "SIGABRT",
    "SIGALRM",
    "SIGBUS",
    "SIGCHLD",
    "SIGCLD",
    "SIGCONT",
    "SIGFPE",
    "SIGHUP",
    "SIGILL",
    "SIGINT",
    "SIGIO",
    "SIGIOT",
    "SIGKILL",
    "SIGPIPE",
    "SIGPOLL",
    "SIGPROF",
    "SIGPWR",
    "SIGQUIT",
    "SIGSEGV",
    "SIGSTKFLT",
    "SIGSTOP",
    "SIGSYS",
    "SIGTERM",
    "SIGTRAP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGUSR1",
    "SIGUSR2",
    "SIGVTALRM",
    "SIGWINCH",
    "SIGXCPU",
    "SIGXFSZ",
];

impl ServiceManager {
    /// `POST /v1/signals`.
    pub fn send_signal(
        &mut self,
        ov: &mut Overlord,
        signal: &str,
        names: &[String],
    ) -> Result<(), ApiError> {
        let mut errors = Vec::new();
        for name in names {
            let Some(s) = self.services.get(name) else {
                errors.push(format!(
                    "cannot send signal to {}: service is not running",
                    quote(name)
                ));
                continue;
            };
            match s.state {
                SvcState::Starting | SvcState::Running => {
                    if !SIGNALS.contains(&signal) {
                        errors.push(format!(
                            "cannot send signal to {}: invalid signal name {}",
                            quote(name),
                            quote(signal)
                        ));
                        continue;
                    }
                    let epoch = s.epoch;
                    let dies = match signal {
                        "SIGKILL" => !s.run.ignore_sigkill,
                        "SIGTERM" | "SIGINT" | "SIGQUIT" => !s.run.ignore_sigterm,
                        _ => false,
                    };
                    let code = match signal {
                        "SIGKILL" => 137,
                        "SIGINT" => 130,
                        "SIGQUIT" => 131,
                        _ => 143,
                    };
                    if let Some(s) = self.services.get_mut(name) {
                        s.signals.push(signal.to_string());
                    }
                    if dies {
                        ov.clock.after(
                            Duration(0),
                            Timer::ProcessExit {
                                service: name.clone(),
                                epoch,
                                code,
                            },
                        );
                    }
                }
                SvcState::Initial => errors.push(format!(
                    "cannot send signal to {}: invalid in state \"initial\"",
                    quote(name)
                )),
                _ => errors.push(format!(
                    "cannot send signal to {}: service is not running",
                    quote(name)
                )),
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::server(errors.join("; ")))
        }
    }
}

impl CheckFailureHandler for ServiceManager {
    /// A check hit its threshold: apply each service's `on-check-failure`.
    fn check_failed(&mut self, ov: &mut Overlord, check: &str) {
        let names: Vec<(String, String)> = self
            .services
            .iter()
            .filter_map(|(n, s)| {
                s.config
                    .on_check_failure
                    .as_ref()
                    .and_then(|m| m.get(check))
                    .map(|a| (n.clone(), a.clone()))
            })
            .collect();
        for (name, action) in names {
            let state = self.services[&name].state;
            if !matches!(
                state,
                SvcState::Running | SvcState::Backoff | SvcState::Exited
            ) {
                continue;
            }
            match action.as_str() {
                "shutdown" => ov.shutdown(11),
                "success-shutdown" => ov.shutdown(0),
                "restart" => match state {
                    SvcState::Running => self.send_term(ov, &name, true),
                    SvcState::Exited => self.do_backoff(ov, &name, "on-check-failure"),
                    _ => {}
                },
                _ => {}
            }
        }
    }
}
