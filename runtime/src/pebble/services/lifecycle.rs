//! Each service's state machine: start (the okay delay), a process's
//! exit and the action it calls for, stop (SIGTERM, `kill-delay`, SIGKILL,
//! the fail delay), and the task handlers that drive them.

use super::{FAIL_DELAY, OKAY_DELAY, ServiceData, ServiceManager, SvcState};
use crate::go::duration::Duration;
use crate::go::quote::quote;
use crate::pebble::accounts::Accounts;
use crate::pebble::clock::Timer;
use crate::pebble::layer::{Layer, Service, shlex};
use crate::pebble::overlord::{ChangeStatusHandler, Overlord};

impl ServiceManager {
    pub(crate) fn do_start(
        &mut self,
        ov: &mut Overlord,
        plan: &Layer,
        accounts: &Accounts,
        on_status: &mut dyn ChangeStatusHandler,
        task: &str,
        name: &str,
    ) {
        let now = ov.now();
        let Some(config) = plan.services.get(name).cloned() else {
            ov.finish_task(
                task,
                Some(format!("cannot find service {} in plan", quote(name))),
                on_status,
            );
            return;
        };
        let workload = if config.workload.is_empty() {
            None
        } else {
            match plan.workloads.get(&config.workload) {
                Some(w) => Some(w.clone()),
                None => {
                    ov.finish_task(
                        task,
                        Some(format!(
                            "internal error: cannot find workload {} for service {} in plan",
                            quote(&config.workload),
                            quote(name)
                        )),
                        on_status,
                    );
                    return;
                }
            }
        };
        match self.services.get_mut(name) {
            None => {
                self.services
                    .insert(name.to_string(), ServiceData::new(config, workload, now));
            }
            Some(record) => {
                record.config = config;
                if workload.is_some() {
                    record.workload = workload;
                }
                match record.state {
                    SvcState::Initial | SvcState::Starting | SvcState::Running => {
                        ov.changes.log(
                            task,
                            now,
                            "INFO",
                            &format!("Service {} already started.", quote(name)),
                        );
                        ov.finish_task(task, None, on_status);
                        return;
                    }
                    SvcState::Backoff | SvcState::Stopped | SvcState::Exited => {
                        record.backoff_num = 0;
                        record.backoff_time = Duration(0);
                        self.transition(ov, name, SvcState::Initial);
                    }
                    SvcState::Terminating | SvcState::Killing => {}
                }
            }
        }
        let state = self.services[name].state;
        if state != SvcState::Initial {
            ov.finish_task(
                task,
                Some(format!("cannot start service while {}", state.as_str())),
                on_status,
            );
            return;
        }
        if let Err(e) = self.start_process(ov, accounts, name) {
            self.transition(ov, name, SvcState::Stopped);
            ov.finish_task(task, Some(e), on_status);
            return;
        }
        self.transition(ov, name, SvcState::Starting);
        let epoch = self.services[name].epoch;
        ov.clock.after(
            OKAY_DELAY,
            Timer::OkayDelay {
                service: name.to_string(),
                epoch,
            },
        );
        if let Some(s) = self.services.get_mut(name) {
            s.start_task = Some(task.to_string());
        }
    }

    /// `startInternal`: check the command and identity, start the scripted
    /// process, and arm its exit and the backoff reset.
    pub(super) fn start_process(
        &mut self,
        ov: &mut Overlord,
        accounts: &Accounts,
        name: &str,
    ) -> Result<(), String> {
        let record = &self.services[name];
        let config = record.config.clone();
        let (base, extra) = shlex::parse_command(&config.command)
            .map_err(|e| format!("cannot parse service {} command: {e}", quote(name)))?;
        if base.is_empty() && extra.is_empty() {
            return Err("cannot start service: empty command".into());
        }
        let (mut uid, mut gid) = (None, None);
        let (mut user, mut group) = (String::new(), String::new());
        if let Some(w) = &record.workload {
            uid = w.user_id;
            gid = w.group_id;
            user = w.user.clone();
            group = w.group.clone();
        }
        if config.user_id.is_some() {
            uid = config.user_id;
        }
        if config.group_id.is_some() {
            gid = config.group_id;
        }
        if !config.user.is_empty() {
            user = config.user.clone();
        }
        if !config.group.is_empty() {
            group = config.group.clone();
        }
        accounts.normalize(uid, gid, &user, &group)?;
        let starts = record.starts;
        let run = self
            .scripts
            .get(name)
            .map(|s| s.run(starts))
            .unwrap_or_default();
        if let Some(e) = &run.start_error {
            return Err(format!("cannot start service: {e}"));
        }
        let epoch = ov.next_epoch();
        let limit = config.backoff_limit.value;
        let exit = run
            .exit_after
            .as_deref()
            .map(|d| Duration::parse(d).unwrap_or(Duration(0)));
        let code = run.exit_code;
        if let Some(s) = self.services.get_mut(name) {
            s.epoch = epoch;
            s.starts += 1;
            s.run = run;
        }
        if let Some(d) = exit {
            ov.clock.after(
                d,
                Timer::ProcessExit {
                    service: name.to_string(),
                    epoch,
                    code,
                },
            );
        }
        ov.clock.after(
            limit,
            Timer::BackoffReset {
                service: name.to_string(),
                epoch,
            },
        );
        Ok(())
    }

    pub(crate) fn okay_elapsed(
        &mut self,
        ov: &mut Overlord,
        on_status: &mut dyn ChangeStatusHandler,
        name: &str,
        epoch: u64,
    ) {
        let Some(s) = self.services.get_mut(name) else {
            return;
        };
        if s.epoch != epoch || s.state != SvcState::Starting {
            return;
        }
        let task = s.start_task.take();
        self.transition(ov, name, SvcState::Running);
        if let Some(t) = task {
            ov.finish_task(&t, None, on_status);
        }
    }

    /// The process of `name` exited with `code` (`serviceData.exited`).
    pub(crate) fn process_exited(
        &mut self,
        ov: &mut Overlord,
        on_status: &mut dyn ChangeStatusHandler,
        name: &str,
        epoch: u64,
        code: i32,
    ) {
        let Some(s) = self.services.get(name) else {
            return;
        };
        if s.epoch != epoch {
            return;
        }
        let service = name.to_string();
        ov.clock.cancel(|t| {
            matches!(t, Timer::BackoffReset { service: n, epoch: e } if *n == service && *e == epoch)
        });
        let state = s.state;
        let restarting = s.restarting;
        let (action, on_type) = get_action(&s.config, code == 0);
        match state {
            SvcState::Starting | SvcState::Running => {
                if state == SvcState::Starting {
                    let task = self
                        .services
                        .get_mut(name)
                        .and_then(|s| s.start_task.take());
                    if let Some(t) = task {
                        let output = self.services[name].run.output.clone();
                        if !output.is_empty() {
                            let lines: Vec<String> =
                                output.iter().map(|l| format!("    {l}")).collect();
                            let now = ov.now();
                            ov.changes.log(
                                &t,
                                now,
                                "INFO",
                                &format!("Most recent service output:\n{}", lines.join("\n")),
                            );
                        }
                        ov.finish_task(
                            &t,
                            Some(format!(
                                "service start attempt: exited quickly with code {code}, will {action}"
                            )),
on_status,
                        );
                    }
                }
                match action.as_str() {
                    "ignore" => {
                        let next = if code == 0 {
                            SvcState::Stopped
                        } else {
                            SvcState::Exited
                        };
                        self.transition(ov, name, next);
                    }
                    "shutdown" => {
                        ov.shutdown(if code == 0 { 0 } else { 10 });
                        self.transition(ov, name, SvcState::Exited);
                    }
                    "success-shutdown" => {
                        ov.shutdown(0);
                        self.transition(ov, name, SvcState::Exited);
                    }
                    "failure-shutdown" => {
                        ov.shutdown(10);
                        self.transition(ov, name, SvcState::Exited);
                    }
                    _ => self.do_backoff(ov, name, on_type),
                }
            }
            SvcState::Terminating | SvcState::Killing => {
                if restarting {
                    self.do_backoff(ov, name, "on-check-failure");
                } else {
                    let task = self.services.get_mut(name).and_then(|s| s.stop_task.take());
                    self.transition(ov, name, SvcState::Stopped);
                    if let Some(t) = task {
                        ov.finish_task(&t, None, on_status);
                    }
                }
            }
            _ => {}
        }
    }

    pub(crate) fn do_stop(
        &mut self,
        ov: &mut Overlord,
        on_status: &mut dyn ChangeStatusHandler,
        task: &str,
        name: &str,
    ) {
        let now = ov.now();
        let log = match self.services.get(name).map(|s| s.state) {
            None => Some(format!("Service {} has never been started.", quote(name))),
            Some(SvcState::Terminating | SvcState::Killing) => {
                Some(format!("Service {} already stopping.", quote(name)))
            }
            Some(SvcState::Stopped) => Some(format!("Service {} already stopped.", quote(name))),
            Some(SvcState::Exited) => {
                self.transition(ov, name, SvcState::Stopped);
                Some(format!("Service {} had already exited.", quote(name)))
            }
            Some(_) => None,
        };
        if let Some(m) = log {
            ov.changes.log(task, now, "INFO", &m);
            ov.finish_task(task, None, on_status);
            return;
        }
        match self.stop_service(ov, on_status, name) {
            Ok(true) => ov.finish_task(task, None, on_status),
            Ok(false) => {
                if let Some(s) = self.services.get_mut(name) {
                    s.stop_task = Some(task.to_string());
                }
            }
            Err(e) => ov.finish_task(task, Some(e), on_status),
        }
    }

    /// `serviceData.stop`; `Ok(true)` when already stopped by it.
    fn stop_service(
        &mut self,
        ov: &mut Overlord,
        on_status: &mut dyn ChangeStatusHandler,
        name: &str,
    ) -> Result<bool, String> {
        let state = self.services[name].state;
        match state {
            SvcState::Starting | SvcState::Running => {
                if state == SvcState::Starting {
                    let task = self
                        .services
                        .get_mut(name)
                        .and_then(|s| s.start_task.take());
                    if let Some(t) = task {
                        ov.finish_task(
                            &t,
                            Some(format!(
                                "service start attempt: stopped before the {OKAY_DELAY} okay delay"
                            )),
                            on_status,
                        );
                    }
                }
                self.send_term(ov, name, false);
                Ok(false)
            }
            SvcState::Backoff => {
                self.transition(ov, name, SvcState::Stopped);
                Ok(true)
            }
            other => Err(format!("cannot stop service while {}", other.as_str())),
        }
    }

    /// SIGTERM the process group and arm the kill delay.
    pub(super) fn send_term(&mut self, ov: &mut Overlord, name: &str, restarting: bool) {
        let s = &self.services[name];
        let epoch = s.epoch;
        let kill_delay = s.kill_delay();
        let dies = !s.run.ignore_sigterm;
        self.transition_restarting(ov, name, SvcState::Terminating, restarting);
        ov.clock.after(
            kill_delay,
            Timer::TerminateElapsed {
                service: name.to_string(),
                epoch,
            },
        );
        if dies {
            ov.clock.after(
                Duration(0),
                Timer::ProcessExit {
                    service: name.to_string(),
                    epoch,
                    code: -1,
                },
            );
        }
    }

    pub(crate) fn terminate_elapsed(&mut self, ov: &mut Overlord, name: &str, epoch: u64) {
        let Some(s) = self.services.get(name) else {
            return;
        };
        if s.epoch != epoch || s.state != SvcState::Terminating {
            return;
        }
        let restarting = s.restarting;
        let dies = !s.run.ignore_sigkill;
        self.transition_restarting(ov, name, SvcState::Killing, restarting);
        ov.clock.after(
            FAIL_DELAY,
            Timer::KillElapsed {
                service: name.to_string(),
                epoch,
            },
        );
        if dies {
            ov.clock.after(
                Duration(0),
                Timer::ProcessExit {
                    service: name.to_string(),
                    epoch,
                    code: -1,
                },
            );
        }
    }

    pub(crate) fn kill_elapsed(
        &mut self,
        ov: &mut Overlord,
        on_status: &mut dyn ChangeStatusHandler,
        name: &str,
        epoch: u64,
    ) {
        let Some(s) = self.services.get(name) else {
            return;
        };
        if s.epoch != epoch || s.state != SvcState::Killing {
            return;
        }
        let restarting = s.restarting;
        let task = self.services.get_mut(name).and_then(|s| s.stop_task.take());
        self.transition(ov, name, SvcState::Stopped);
        if !restarting && let Some(t) = task {
            ov.finish_task(
                &t,
                Some("cannot stop service: process still running after SIGTERM and SIGKILL".into()),
                on_status,
            );
        }
    }

    /// A start task aborted while waiting for the okay delay.
    pub(crate) fn abort_start(
        &mut self,
        ov: &mut Overlord,
        on_status: &mut dyn ChangeStatusHandler,
        task: &str,
        name: &str,
    ) {
        if let Some(s) = self.services.get_mut(name)
            && s.start_task.as_deref() == Some(task)
        {
            s.start_task = None;
            s.epoch = 0;
        }
        self.transition(ov, name, SvcState::Stopped);
        ov.finish_task(
            task,
            Some("start aborted, sent SIGKILL to process".into()),
            on_status,
        );
    }
}

/// The action for an exit (`getAction`): unset means restart.
fn get_action(config: &Service, success: bool) -> (String, &'static str) {
    let (action, on_type) = if success {
        (config.on_success.clone(), "on-success")
    } else {
        (config.on_failure.clone(), "on-failure")
    };
    if action.is_empty() {
        ("restart".into(), on_type)
    } else {
        (action, on_type)
    }
}
