//! Services (`servstate`): each service's state machine on virtual time,
//! with scripted processes standing in for real ones, and the
//! start/stop/restart/replan/autostart changes that drive it.
//!
//! States: initial, starting (the 1 s okay delay), running, terminating
//! (SIGTERM sent, `kill-delay` running), killing (SIGKILL sent, 5 s),
//! stopped, backoff (waiting to restart), exited. Reported as active
//! (starting, running), inactive (terminating, killing, stopped), backoff,
//! error (exited).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::pebble::accounts::Accounts;
use crate::pebble::changes::{Status, Work};
use crate::pebble::clock::{Instant, Timer};
use crate::pebble::duration::{Duration, SECOND};
use crate::pebble::error::ApiError;
use crate::pebble::go::quote;
use crate::pebble::layer::{FormatError, Layer, Service, Workload, order, shlex};
use crate::pebble::overlord::{ChangeStatusHandler, CheckFailureHandler, Overlord};
pub use crate::state::container::{ProcessRun, ProcessScript};

/// How long a started service must survive to count as started.
pub const OKAY_DELAY: Duration = Duration(SECOND);
/// `kill-delay` when the service sets none.
pub const KILL_DELAY_DEFAULT: Duration = Duration(5 * SECOND);
/// How long after SIGKILL a stop gives up.
pub const FAIL_DELAY: Duration = Duration(5 * SECOND);

/// A service's internal state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SvcState {
    Initial,
    Starting,
    Running,
    Terminating,
    Killing,
    Stopped,
    Backoff,
    Exited,
}

impl SvcState {
    /// The status the API reports (`stateToStatus`).
    pub fn status(self) -> &'static str {
        match self {
            SvcState::Starting | SvcState::Running => "active",
            SvcState::Terminating | SvcState::Killing | SvcState::Stopped => "inactive",
            SvcState::Backoff => "backoff",
            SvcState::Initial | SvcState::Exited => "error",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SvcState::Initial => "initial",
            SvcState::Starting => "starting",
            SvcState::Running => "running",
            SvcState::Terminating => "terminating",
            SvcState::Killing => "killing",
            SvcState::Stopped => "stopped",
            SvcState::Backoff => "backoff",
            SvcState::Exited => "exited",
        }
    }
}

/// The runtime record of a service Pebble has started.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceData {
    pub state: SvcState,
    /// The definition it was (last) started with.
    pub config: Service,
    pub workload: Option<Workload>,
    pub current_since: Instant,
    pub backoff_num: u32,
    pub backoff_time: Duration,
    pub restarting: bool,
    /// The current process incarnation; timers of others are stale.
    pub epoch: u64,
    /// Starts so far (which scripted run comes next).
    pub starts: u32,
    pub run: ProcessRun,
    /// The start task waiting for the okay delay.
    pub start_task: Option<String>,
    /// The stop task waiting for the process to go.
    pub stop_task: Option<String>,
    /// Signals delivered to the process, in order.
    pub signals: Vec<String>,
}

impl ServiceData {
    pub fn new(config: Service, workload: Option<Workload>, now: Instant) -> ServiceData {
        ServiceData {
            state: SvcState::Initial,
            config,
            workload,
            current_since: now,
            backoff_num: 0,
            backoff_time: Duration(0),
            restarting: false,
            epoch: 0,
            starts: 0,
            run: ProcessRun::default(),
            start_task: None,
            stop_task: None,
            signals: Vec::new(),
        }
    }

    pub fn kill_delay(&self) -> Duration {
        if self.config.kill_delay.is_set {
            self.config.kill_delay.value
        } else {
            KILL_DELAY_DEFAULT
        }
    }
}

/// `calculateNextBackoff`: the first delay, then ×factor up to the limit.
pub fn next_backoff(config: &Service, current: Duration) -> Duration {
    let limit = config.backoff_limit.value;
    if current.0 == 0 {
        return config.backoff_delay.value;
    }
    if current >= limit {
        return limit;
    }
    let next_secs = current.as_secs_f64() * config.backoff_factor.value;
    let next = next_secs * SECOND as f64;
    let next = if next.is_nan() {
        i64::MIN
    } else if next >= i64::MAX as f64 {
        i64::MAX
    } else {
        next as i64
    };
    Duration(next).min(limit)
}

fn title(action: &str) -> String {
    let mut c = action.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Services grouped in lanes, in order.
type Lanes = Vec<Vec<String>>;

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

/// A service as `GET /v1/services` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceInfo {
    pub name: String,
    pub startup: String,
    pub current: String,
    pub current_since: Option<Instant>,
}

/// The service manager (`servstate.ServiceManager`): the records of the
/// services Pebble has started and their scripted processes.
#[derive(Debug, Clone, Default)]
pub struct ServiceManager {
    /// Started services by name.
    pub(crate) services: BTreeMap<String, ServiceData>,
    /// How each service's process behaves, by name.
    pub(crate) scripts: BTreeMap<String, ProcessScript>,
}

/// What a services action does: the lanes of stop tasks, then of start
/// tasks, the services counted in its summary and those named in it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionLanes {
    pub stop: Lanes,
    pub start: Lanes,
    pub counted: Vec<String>,
    pub requested: Vec<String>,
}

impl ServiceManager {
    fn transition(&mut self, ov: &Overlord, name: &str, state: SvcState) {
        let now = ov.now();
        if let Some(s) = self.services.get_mut(name) {
            if s.state.status() != state.status() {
                s.current_since = now;
            }
            s.state = state;
            s.restarting = false;
        }
    }

    fn transition_restarting(
        &mut self,
        ov: &Overlord,
        name: &str,
        state: SvcState,
        restarting: bool,
    ) {
        self.transition(ov, name, state);
        if let Some(s) = self.services.get_mut(name) {
            s.restarting = restarting;
        }
    }

    /// `GET /v1/services`: plan services (all, or those named), by name.
    pub fn infos(&self, plan: &Layer, names: &[String]) -> Vec<ServiceInfo> {
        plan.services
            .iter()
            .filter(|(n, _)| names.is_empty() || names.contains(n))
            .map(|(name, config)| {
                let record = self.services.get(name);
                ServiceInfo {
                    name: name.clone(),
                    startup: if config.enabled() {
                        "enabled"
                    } else {
                        "disabled"
                    }
                    .into(),
                    current: record.map_or("inactive", |r| r.state.status()).into(),
                    current_since: record.map(|r| r.current_since),
                }
            })
            .collect()
    }

    /// `POST /v1/services`, first half: the lanes of stop and start tasks
    /// `action` makes (a replan also updates the records whose definition
    /// changed).
    pub fn action_lanes(
        &mut self,
        plan: &Layer,
        action: &str,
        names: &[String],
    ) -> Result<ActionLanes, ApiError> {
        let mut requested: Vec<String> = names.to_vec();
        match action {
            "replan" | "autostart" if !names.is_empty() => {
                return Err(ApiError::bad_request(format!(
                    "{action} accepts no service names"
                )));
            }
            "replan" => {}
            "autostart" => {
                let defaults = default_service_names(plan).map_err(ApiError::server)?;
                if defaults.is_empty() {
                    return Err(
                        ApiError::bad_request("no default services").kind("no-default-services")
                    );
                }
                requested = defaults;
            }
            _ if names.is_empty() => {
                return Err(ApiError::bad_request(format!(
                    "must specify services for {action} action"
                )));
            }
            _ => {}
        }
        let services = plan.services.clone();
        let fail = |e: FormatError| ApiError::bad_request(format!("cannot {action} services: {e}"));
        // (stop lanes, start lanes, lanes counted for the summary)
        let (stop_lanes, start_lanes, counted): (Vec<Vec<String>>, Vec<Vec<String>>, Vec<String>) =
            match action {
                "start" | "autostart" => {
                    let lanes = order::start_order(&services, &requested).map_err(fail)?;
                    let counted = lanes.concat();
                    (Vec::new(), lanes, counted)
                }
                "stop" => {
                    let lanes = order::stop_order(&services, &requested).map_err(fail)?;
                    let counted = lanes.concat();
                    (lanes, Vec::new(), counted)
                }
                "restart" => {
                    let stop = order::stop_order(&services, &requested).map_err(fail)?;
                    let stop: Vec<Vec<String>> = stop
                        .into_iter()
                        .map(|lane| {
                            lane.into_iter()
                                .filter(|n| requested.contains(n))
                                .collect::<Vec<_>>()
                        })
                        .filter(|l| !l.is_empty())
                        .collect();
                    let start = order::start_order(&services, &requested).map_err(fail)?;
                    let counted = start.concat();
                    (stop, start, counted)
                }
                "replan" => {
                    let (stop, start) = self.replan_lanes(plan).map_err(fail)?;
                    let mut replanned: BTreeSet<String> = BTreeSet::new();
                    replanned.extend(stop.iter().flatten().cloned());
                    replanned.extend(start.iter().flatten().cloned());
                    requested = replanned.into_iter().collect();
                    (stop, start, requested.clone())
                }
                other => {
                    return Err(ApiError::bad_request(format!(
                        "invalid action {}",
                        quote(other)
                    )));
                }
            };
        Ok(ActionLanes {
            stop: stop_lanes,
            start: start_lanes,
            counted,
            requested,
        })
    }

    /// `ServiceManager.Replan`: stop (then start) services whose definition
    /// changed since they started; start every enabled service.
    fn replan_lanes(&mut self, plan: &Layer) -> Result<(Lanes, Lanes), FormatError> {
        let mut needs_restart = BTreeSet::new();
        let mut stop = Vec::new();
        for (name, record) in self.services.iter_mut() {
            if let Some(config) = plan.services.get(name) {
                let workload = plan.workloads.get(&record.config.workload);
                let same_workload = workload.is_none() || workload == record.workload.as_ref();
                if *config == record.config && same_workload {
                    continue;
                }
                record.config = config.clone();
                if let Some(w) = workload {
                    record.workload = Some(w.clone());
                }
            }
            needs_restart.insert(name.clone());
            stop.push(name.clone());
        }
        let start: Vec<String> = plan
            .services
            .iter()
            .filter(|(n, s)| needs_restart.contains(*n) || s.enabled())
            .map(|(n, _)| n.clone())
            .collect();
        let stop_lanes = order::stop_order(&plan.services, &stop)?;
        let start_lanes = order::start_order(&plan.services, &start)?;
        Ok((stop_lanes, start_lanes))
    }

    // -- task handlers ---------------------------------------------------

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
        let plan = plan;
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
    fn start_process(
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

    fn do_backoff(&mut self, ov: &mut Overlord, name: &str, _on_type: &str) {
        let Some(s) = self.services.get_mut(name) else {
            return;
        };
        s.backoff_num += 1;
        s.backoff_time = next_backoff(&s.config, s.backoff_time);
        let delay = s.backoff_time;
        let epoch = s.epoch;
        self.transition(ov, name, SvcState::Backoff);
        ov.clock.after(
            delay,
            Timer::BackoffElapsed {
                service: name.to_string(),
                epoch,
            },
        );
    }

    pub(crate) fn backoff_elapsed(
        &mut self,
        ov: &mut Overlord,
        accounts: &Accounts,
        name: &str,
        epoch: u64,
    ) {
        let Some(s) = self.services.get(name) else {
            return;
        };
        if s.epoch != epoch || s.state != SvcState::Backoff {
            return;
        }
        if self.start_process(ov, accounts, name).is_ok() {
            self.transition(ov, name, SvcState::Running);
        }
    }

    pub(crate) fn backoff_reset(&mut self, name: &str, epoch: u64) {
        if let Some(s) = self.services.get_mut(name)
            && s.epoch == epoch
            && s.state == SvcState::Running
        {
            s.backoff_num = 0;
            s.backoff_time = Duration(0);
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
    fn send_term(&mut self, ov: &mut Overlord, name: &str, restarting: bool) {
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

    /// Records for the State: name → record.
    pub fn records(&self) -> &BTreeMap<String, ServiceData> {
        &self.services
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

/// `POST /v1/services`, second half: the change for `action` with its stop
/// and start tasks (each lane waits in order, starts after every stop);
/// its id.
pub fn action_change(ov: &mut Overlord, action: &str, lanes: &ActionLanes) -> String {
    let now = ov.now();
    let (stop_lanes, start_lanes) = (&lanes.stop, &lanes.start);
    let (counted, requested) = (&lanes.counted, &lanes.requested);
    let change = ov.changes.new_change(now, action, "");
    let mut stop_ids = Vec::new();
    for lane in stop_lanes {
        let lane_id = ov.changes.new_lane();
        let mut prev: Option<String> = None;
        for name in lane {
            let id = ov.changes.add_task(
                now,
                &change,
                "stop",
                &format!("Stop service {}", quote(name)),
                Work::Stop(name.clone()),
                vec![lane_id],
                prev.iter().cloned().collect(),
            );
            prev = Some(id.clone());
            stop_ids.push(id);
        }
    }
    let mut start_count = 0;
    for lane in start_lanes {
        let lane_id = ov.changes.new_lane();
        let mut prev: Option<String> = None;
        for name in lane {
            let mut wait: Vec<String> = stop_ids.clone();
            wait.extend(prev.iter().cloned());
            let id = ov.changes.add_task(
                now,
                &change,
                "start",
                &format!("Start service {}", quote(name)),
                Work::Start(name.clone()),
                vec![lane_id],
                wait,
            );
            prev = Some(id);
            start_count += 1;
        }
    }
    let total = stop_ids.len() + start_count;
    let summary = if total == 0 {
        format!("{} - no services", title(action))
    } else if counted.len() == 1 {
        format!("{} service {}", title(action), quote(&requested[0]))
    } else {
        format!(
            "{} service {} and {} more",
            title(action),
            quote(requested.first().map(String::as_str).unwrap_or("")),
            counted.len().saturating_sub(1)
        )
    };
    let c = ov.changes.change_mut(&change).expect("just made");
    c.summary = summary;
    if total == 0 {
        c.explicit = Some(Status::Done);
    }
    if !requested.is_empty() {
        c.data.insert(
            "service-names".into(),
            serde_json::Value::from(requested.clone()),
        );
    }
    change
}

/// Services with `startup: enabled`, in start order.
fn default_service_names(plan: &Layer) -> Result<Vec<String>, String> {
    let services = &plan.services;
    let names: Vec<String> = services
        .iter()
        .filter(|(_, s)| s.enabled())
        .map(|(n, _)| n.clone())
        .collect();
    let lanes = order::start_order(services, &names).map_err(|e| e.to_string())?;
    Ok(lanes.concat())
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
