//! One container's Pebble daemon: its plan, services, checks, changes,
//! files, exec handlers, notices and identities, all on one virtual clock.
//!
//! Work happens in [`Pebble::settle`]: runnable tasks start and timers due
//! now fire, until nothing is left to do at this instant. Time moves only in
//! [`Pebble::advance_to`] (a wait, an exec that takes time, or the next
//! event's later `now`), firing timers in order on the way.
//!
//! The daemon composes managers as Pebble's overlord does: the
//! [`ServiceManager`] (`services.rs`), the [`CheckManager`] (`checks.rs`)
//! and the [`ExecManager`] (`exec.rs`) each own their records and work on
//! the shared [`Overlord`] (clock, changes, notices), which the daemon
//! passes them with the plan, accounts or filesystem they need. They call
//! one another only through the hooks in `overlord.rs`, so none of them
//! imports the daemon.

use std::collections::BTreeMap;

use crate::go::duration::{Duration, HOUR};
use crate::pebble::accounts::Accounts;
use crate::pebble::changes::{Status, Work};
use crate::pebble::checks::{CheckInfo, CheckManager};
use crate::pebble::clock::{Instant, Timer, rfc3339_nano};
pub use crate::pebble::error::{ApiError, WaitError};
use crate::pebble::exec::{ExecManager, ExecRequest, ExecResult};
use crate::pebble::fs::Fs;
use crate::pebble::overlord::Overlord;
use crate::pebble::plan::PlanManager;
pub use crate::pebble::services::ServiceInfo;
use crate::pebble::services::{self, ServiceData, ServiceManager};

/// The version `GET /v1/system-info` reports.
pub const VERSION: &str = "1.32.1";

/// How long a wait without a timeout may run in virtual time before
/// charmbox gives up on a change that cannot finish.
pub const MAX_WAIT: Duration = Duration(24 * HOUR);

/// Timers one wait or catch-up fires at most (a service scripted to die
/// and restart every nanosecond would otherwise never let a wait end).
pub const MAX_FIRINGS: usize = 1_000_000;

/// A task as `GET /v1/changes/{id}` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskInfo {
    pub id: String,
    pub kind: String,
    pub summary: String,
    pub status: String,
    pub log: Vec<String>,
    pub progress: (String, u32, u32),
    pub spawn_time: Instant,
    pub ready_time: Option<Instant>,
    pub data: serde_json::Map<String, serde_json::Value>,
}

/// A change as `GET /v1/changes/{id}` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeInfo {
    pub id: String,
    pub kind: String,
    pub summary: String,
    pub status: String,
    pub ready: bool,
    pub err: Option<String>,
    pub spawn_time: Instant,
    pub ready_time: Option<Instant>,
    pub data: serde_json::Map<String, serde_json::Value>,
    pub tasks: Vec<TaskInfo>,
}

/// One container's simulated Pebble: the plan, the accounts and the
/// filesystem, and the managers (services, checks, exec) working on the
/// shared [`Overlord`] state. The daemon composes them: it runs tasks,
/// fires timers and passes each manager what it needs.
#[derive(Debug, Clone)]
pub struct Pebble {
    pub(crate) overlord: Overlord,
    pub(crate) plan: PlanManager,
    pub(crate) accounts: Accounts,
    pub(crate) services: ServiceManager,
    pub(crate) checks: CheckManager,
    pub(crate) fs: Fs,
    pub(crate) exec: ExecManager,
    pub(crate) identities: serde_json::Map<String, serde_json::Value>,
    pub(crate) boot_id: String,
    /// The change generation at which no task was runnable.
    pub(crate) idle_generation: Option<u64>,
}

impl Pebble {
    /// A fresh Pebble at `now` with no layers.
    pub fn new(now: Instant) -> Pebble {
        Pebble {
            overlord: Overlord::new(now),
            plan: PlanManager::default(),
            accounts: Accounts::default(),
            services: ServiceManager::default(),
            checks: CheckManager::default(),
            fs: Fs::with_defaults(now),
            exec: ExecManager::default(),
            identities: serde_json::Map::new(),
            boot_id: "00000000-0000-4000-8000-000000000001".into(),
            idle_generation: None,
        }
    }

    pub fn now(&self) -> Instant {
        self.overlord.now()
    }

    pub fn plan(&self) -> &PlanManager {
        &self.plan
    }

    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    /// The exit code if a shutdown action stopped the daemon.
    pub fn exited(&self) -> Option<i32> {
        self.overlord.exited
    }

    /// Run everything that can happen at the current instant.
    pub fn settle(&mut self) {
        let now = self.overlord.clock.now();
        for _ in 0..100_000 {
            if self.idle_generation != Some(self.overlord.changes.generation) {
                if let Some(task) = self.overlord.changes.runnable().into_iter().next() {
                    self.run_task(&task);
                    continue;
                }
                self.idle_generation = Some(self.overlord.changes.generation);
            }
            if let Some(timer) = self.overlord.clock.pop_due(now) {
                self.fire(timer);
                continue;
            }
            break;
        }
        self.announce_changes();
    }

    /// Move virtual time to `t`, firing every timer due on the way.
    pub fn advance_to(&mut self, t: Instant) {
        self.run_until(t, |_| false);
        self.overlord.clock.set_now(t);
        self.settle();
    }

    /// Fire timers in order up to `limit`, until `done` holds; whether it
    /// did. Steady checks (whose next runs cannot change anything but
    /// their counters) jump ahead in one step instead of one run per
    /// period, and at most [`MAX_FIRINGS`] timers fire per call.
    fn run_until(&mut self, limit: Instant, done: impl Fn(&Pebble) -> bool) -> bool {
        self.settle();
        for _ in 0..MAX_FIRINGS {
            if done(self) {
                return true;
            }
            // Host work for the guest: paid from its fuel, and cut short
            // when it cannot pay or its deadline passed.
            if crate::limits::meter::host_step(crate::limits::PEBBLE_FIRING_FUEL) {
                return false;
            }
            let Some((due, timer)) = self.overlord.clock.peek() else {
                return false;
            };
            if due > limit {
                return false;
            }
            if let Timer::CheckTick { check, epoch } = timer {
                let (check, epoch) = (check.clone(), *epoch);
                if self.checks.is_steady(&self.overlord, &check, epoch) {
                    let horizon = self.next_unsteady_due().unwrap_or(limit).min(limit);
                    self.checks.jump(&mut self.overlord, &check, epoch, horizon);
                    continue;
                }
            }
            self.overlord.clock.set_now(due);
            self.settle();
        }
        done(self)
    }

    /// When the next timer that is not a steady check's run fires.
    fn next_unsteady_due(&self) -> Option<Instant> {
        self.overlord
            .clock
            .pending()
            .find(|(_, t)| match t {
                Timer::CheckTick { check, epoch } => {
                    !self.checks.is_steady(&self.overlord, check, *epoch)
                }
                _ => true,
            })
            .map(|(at, _)| at)
    }

    /// Move virtual time forward by `d`.
    pub fn advance(&mut self, d: Duration) {
        let t = self.overlord.clock.now().saturating_add(d.0.max(0));
        self.advance_to(t);
    }

    /// Hand a due timer to the manager it belongs to.
    fn fire(&mut self, timer: Timer) {
        let ov = &mut self.overlord;
        let (services, checks) = (&mut self.services, &mut self.checks);
        match timer {
            Timer::OkayDelay { service, epoch } => {
                services.okay_elapsed(ov, checks, &service, epoch)
            }
            Timer::ProcessExit {
                service,
                epoch,
                code,
            } => services.process_exited(ov, checks, &service, epoch, code),
            Timer::BackoffElapsed { service, epoch } => {
                services.backoff_elapsed(ov, &self.accounts, &service, epoch)
            }
            Timer::BackoffReset { service, epoch } => services.backoff_reset(&service, epoch),
            Timer::TerminateElapsed { service, epoch } => {
                services.terminate_elapsed(ov, &service, epoch)
            }
            Timer::KillElapsed { service, epoch } => {
                services.kill_elapsed(ov, checks, &service, epoch)
            }
            Timer::CheckTick { check, epoch } => checks.tick(ov, services, &check, epoch),
        }
    }

    /// Start a runnable task: service starts and stops go to the service
    /// manager; exec and check tasks are driven by their own managers.
    fn run_task(&mut self, id: &str) {
        let Some(task) = self.overlord.changes.task(id) else {
            return;
        };
        let work = task.work.clone();
        let now = self.now();
        self.overlord.changes.set_status(id, now, Status::Doing);
        let ov = &mut self.overlord;
        match work {
            Work::Start(name) => self.services.do_start(
                ov,
                self.plan.plan(),
                &self.accounts,
                &mut self.checks,
                id,
                &name,
            ),
            Work::Stop(name) => self.services.do_stop(ov, &mut self.checks, id, &name),
            // Exec and check tasks are driven by their own code.
            Work::Exec | Work::PerformCheck(_) | Work::RecoverCheck(_) => {}
        }
    }

    /// Record change-update notices for changes whose status moved.
    pub(crate) fn announce_changes(&mut self) {
        self.overlord.announce_changes(&mut self.checks);
    }

    /// A change as the API shows it.
    pub fn change_info(&self, id: &str) -> Option<ChangeInfo> {
        let c = self.overlord.changes.change(id)?;
        let status = self.overlord.changes.status(c);
        let tasks = c
            .tasks
            .iter()
            .filter_map(|t| self.overlord.changes.task(t))
            .map(|t| TaskInfo {
                id: t.id.clone(),
                kind: t.kind.clone(),
                summary: t.summary.clone(),
                status: t.status.as_str().into(),
                log: t.log.clone(),
                progress: (String::new(), u32::from(t.status.ready()), 1),
                spawn_time: t.spawn_time,
                ready_time: t.ready_time,
                data: t.data.clone(),
            })
            .collect();
        Some(ChangeInfo {
            id: c.id.clone(),
            kind: c.kind.clone(),
            summary: c.summary.clone(),
            status: status.as_str().into(),
            ready: status.ready(),
            err: self.overlord.changes.err(c),
            spawn_time: c.spawn_time,
            ready_time: if status.ready() {
                c.ready_time.or(Some(self.now()))
            } else {
                None
            },
            data: c.data.clone(),
            tasks,
        })
    }

    /// `GET /v1/changes/{id}`.
    pub fn change(&mut self, id: &str) -> Result<ChangeInfo, ApiError> {
        self.settle();
        self.change_info(id).ok_or_else(|| {
            ApiError::not_found(format!(
                "cannot find change with id {}",
                crate::go::quote::quote(id)
            ))
        })
    }

    /// `GET /v1/changes?select=&for=`.
    pub fn changes_list(&mut self, select: &str, for_service: Option<&str>) -> Vec<ChangeInfo> {
        self.settle();
        let ids: Vec<String> = self.overlord.changes.all().map(|c| c.id.clone()).collect();
        ids.iter()
            .filter_map(|id| self.change_info(id))
            .filter(|c| match select {
                "ready" => c.ready,
                "all" => true,
                _ => !c.ready,
            })
            .filter(|c| match for_service {
                None | Some("") => true,
                Some(s) => c
                    .data
                    .get("service-names")
                    .and_then(|v| v.as_array())
                    .is_some_and(|a| a.iter().any(|n| n.as_str() == Some(s))),
            })
            .collect()
    }

    /// `GET /v1/changes/{id}/wait`: advance virtual time until the change
    /// is ready or the timeout passes.
    pub fn wait_change(
        &mut self,
        id: &str,
        timeout: Option<Duration>,
    ) -> Result<ChangeInfo, WaitError> {
        self.settle();
        if self.overlord.changes.change(id).is_none() {
            return Err(WaitError::Api(ApiError::not_found(format!(
                "cannot find change with id {}",
                crate::go::quote::quote(id)
            ))));
        }
        let start = self.now();
        let deadline = start.saturating_add(timeout.unwrap_or(MAX_WAIT).0.max(0));
        let ready = |p: &Pebble| {
            p.overlord
                .changes
                .change(id)
                .is_some_and(|c| p.overlord.changes.status(c).ready())
        };
        if self.run_until(deadline, ready) {
            return Ok(self.change_info(id).expect("exists"));
        }
        if self
            .overlord
            .clock
            .next_due()
            .is_some_and(|d| d <= deadline)
        {
            // The firing cap was hit: a pathological restart loop.
            return Err(WaitError::Timeout(format!(
                "timed out waiting for change after {}",
                Duration(self.now() - start)
            )));
        }
        self.advance_to(deadline);
        let shown = timeout.unwrap_or(MAX_WAIT);
        Err(WaitError::Timeout(format!(
            "timed out waiting for change after {shown}"
        )))
    }

    /// `POST /v1/changes/{id}` with `abort`.
    pub fn abort_change(&mut self, id: &str) -> Result<ChangeInfo, ApiError> {
        self.settle();
        let Some(c) = self.overlord.changes.change(id) else {
            return Err(ApiError::not_found(format!(
                "cannot find change with id {}",
                crate::go::quote::quote(id)
            )));
        };
        if self.overlord.changes.status(c).ready() {
            return Err(ApiError::bad_request(format!(
                "cannot abort change {id} with nothing pending"
            )));
        }
        let tasks = c.tasks.clone();
        let now = self.now();
        for t in tasks {
            let Some(task) = self.overlord.changes.task(&t) else {
                continue;
            };
            match (task.status, task.work.clone()) {
                (Status::Do, _) => self.overlord.changes.set_status(&t, now, Status::Hold),
                (Status::Doing, Work::Start(name)) => {
                    self.services
                        .abort_start(&mut self.overlord, &mut self.checks, &t, &name)
                }
                (Status::Doing, Work::PerformCheck(_) | Work::RecoverCheck(_)) => {
                    self.overlord.changes.set_status(&t, now, Status::Undone)
                }
                _ => {}
            }
        }
        self.announce_changes();
        self.change(id)
    }

    /// `GET /v1/services`: plan services (all, or those named), by name.
    pub fn service_infos(&mut self, names: &[String]) -> Vec<ServiceInfo> {
        self.settle();
        self.services.infos(self.plan.plan(), names)
    }

    /// `POST /v1/services`: start a change for `action`; its id. A replan
    /// also starts the stopped startup-enabled checks, before the change.
    pub fn services_action(&mut self, action: &str, names: &[String]) -> Result<String, ApiError> {
        self.settle();
        let lanes = self
            .services
            .action_lanes(self.plan.plan(), action, names)?;
        if action == "replan" {
            self.checks.replan(&mut self.overlord);
        }
        let change = services::action_change(&mut self.overlord, action, &lanes);
        self.announce_changes();
        self.settle();
        Ok(change)
    }

    /// `POST /v1/signals`.
    pub fn send_signal(&mut self, signal: &str, names: &[String]) -> Result<(), ApiError> {
        self.settle();
        let sent = self.services.send_signal(&mut self.overlord, signal, names);
        self.settle();
        sent
    }

    /// Service records for the State: name → record.
    pub fn service_records(&self) -> &BTreeMap<String, ServiceData> {
        self.services.records()
    }

    /// `GET /v1/checks`.
    pub fn check_infos(&mut self, level: &str, names: &[String]) -> Vec<CheckInfo> {
        self.settle();
        self.checks.infos(level, names)
    }

    /// `POST /v1/checks` start/stop: the names whose state changed.
    pub fn checks_action(
        &mut self,
        action: &str,
        names: &[String],
    ) -> Result<Vec<String>, ApiError> {
        self.settle();
        let changed = self.checks.action(&mut self.overlord, action, names)?;
        self.settle();
        Ok(changed)
    }

    /// `GET /v1/health`: false when a matching running check is down.
    /// `ready` counts `alive` checks too.
    pub fn healthy(&mut self, level: &str, names: &[String]) -> bool {
        self.settle();
        self.checks.healthy(level, names)
    }

    /// Run a command to completion (the change and its task included),
    /// virtual time moving on while it runs.
    pub fn exec(&mut self, req: &ExecRequest) -> Result<ExecResult, ApiError> {
        self.settle();
        let started = self.exec.start(
            req,
            self.plan.plan(),
            &self.accounts,
            &self.fs,
            &mut self.overlord,
            &mut self.checks,
        )?;
        self.advance(started.elapsed);
        Ok(self
            .exec
            .finish(req, started, &mut self.overlord, &mut self.checks))
    }

    /// `GET /v1/system-info`.
    pub fn system_info(&self) -> serde_json::Value {
        serde_json::json!({
            "boot-id": self.boot_id,
            "version": VERSION,
        })
    }

    pub fn rfc3339(&self, t: Instant) -> String {
        rfc3339_nano(t)
    }
}
