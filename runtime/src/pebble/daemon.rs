//! One container's Pebble daemon: its plan, services, checks, changes,
//! files, exec handlers, notices and identities, all on one virtual clock.
//!
//! Work happens in [`Pebble::settle`]: runnable tasks start and timers due
//! now fire, until nothing is left to do at this instant. Time moves only in
//! [`Pebble::advance_to`] (a wait, an exec that takes time, or the next
//! event's later `now`), firing timers in order on the way.

use std::collections::BTreeMap;

use crate::go::duration::{Duration, HOUR};
use crate::pebble::accounts::Accounts;
use crate::pebble::changes::{Changes, Status, Work};
use crate::pebble::checks::{CheckData, CheckScript};
use crate::pebble::clock::{Clock, Instant, Timer, rfc3339_nano};
use crate::pebble::exec::ExecState;
use crate::pebble::fs::Fs;
use crate::pebble::notices::Notices;
use crate::pebble::plan::PlanManager;
use crate::pebble::services::{ProcessScript, ServiceData};

/// The version `GET /v1/system-info` reports.
pub const VERSION: &str = "1.32.1";

/// How long a wait without a timeout may run in virtual time before
/// charmbox gives up on a change that cannot finish.
pub const MAX_WAIT: Duration = Duration(24 * HOUR);

/// Timers one wait or catch-up fires at most (a service scripted to die
/// and restart every nanosecond would otherwise never let a wait end).
pub const MAX_FIRINGS: usize = 1_000_000;

/// A Pebble API error: HTTP status, optional kind, message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub status: u16,
    pub kind: Option<String>,
    pub message: String,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError {
            status: 400,
            kind: None,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError {
            status: 404,
            kind: Some("not-found".into()),
            message: message.into(),
        }
    }

    pub fn server(message: impl Into<String>) -> ApiError {
        ApiError {
            status: 500,
            kind: None,
            message: message.into(),
        }
    }

    pub fn kind(mut self, kind: &str) -> ApiError {
        self.kind = Some(kind.into());
        self
    }
}

/// Why a wait ended without the change being ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitError {
    Api(ApiError),
    Timeout(String),
}

/// A service as `GET /v1/services` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceInfo {
    pub name: String,
    pub startup: String,
    pub current: String,
    pub current_since: Option<Instant>,
}

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

/// One container's simulated Pebble.
#[derive(Debug, Clone)]
pub struct Pebble {
    pub(crate) clock: Clock,
    pub(crate) plan: PlanManager,
    pub(crate) accounts: Accounts,
    pub(crate) services: BTreeMap<String, ServiceData>,
    pub(crate) scripts: BTreeMap<String, ProcessScript>,
    pub(crate) changes: Changes,
    pub(crate) checks: BTreeMap<String, CheckData>,
    pub(crate) check_scripts: BTreeMap<String, CheckScript>,
    pub(crate) notices: Notices,
    pub(crate) fs: Fs,
    pub(crate) exec: ExecState,
    pub(crate) identities: serde_json::Map<String, serde_json::Value>,
    /// Set when a service action shut the daemon down (its exit code).
    pub(crate) exited: Option<i32>,
    pub(crate) boot_id: String,
    pub(crate) last_epoch: u64,
    /// The change generation at which no task was runnable.
    pub(crate) idle_generation: Option<u64>,
    /// The change generation last announced with notices.
    pub(crate) announced_generation: Option<u64>,
}

impl Pebble {
    /// A fresh Pebble at `now` with no layers.
    pub fn new(now: Instant) -> Pebble {
        Pebble {
            clock: Clock::new(now),
            plan: PlanManager::default(),
            accounts: Accounts::default(),
            services: BTreeMap::new(),
            scripts: BTreeMap::new(),
            changes: Changes::default(),
            checks: BTreeMap::new(),
            check_scripts: BTreeMap::new(),
            notices: Notices::default(),
            fs: Fs::with_defaults(now),
            exec: ExecState::default(),
            identities: serde_json::Map::new(),
            exited: None,
            boot_id: "00000000-0000-4000-8000-000000000001".into(),
            last_epoch: 0,
            idle_generation: None,
            announced_generation: None,
        }
    }

    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    pub fn plan(&self) -> &PlanManager {
        &self.plan
    }

    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    /// The exit code if a shutdown action stopped the daemon.
    pub fn exited(&self) -> Option<i32> {
        self.exited
    }

    pub(crate) fn next_epoch(&mut self) -> u64 {
        self.last_epoch += 1;
        self.last_epoch
    }

    /// Run everything that can happen at the current instant.
    pub fn settle(&mut self) {
        let now = self.clock.now();
        for _ in 0..100_000 {
            if self.idle_generation != Some(self.changes.generation) {
                if let Some(task) = self.changes.runnable().into_iter().next() {
                    self.run_task(&task);
                    continue;
                }
                self.idle_generation = Some(self.changes.generation);
            }
            if let Some(timer) = self.clock.pop_due(now) {
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
        self.clock.set_now(t);
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
            let Some((due, timer)) = self.clock.peek() else {
                return false;
            };
            if due > limit {
                return false;
            }
            if let Timer::CheckTick { check, epoch } = timer {
                let (check, epoch) = (check.clone(), *epoch);
                if self.check_is_steady(&check, epoch) {
                    let horizon = self.next_unsteady_due().unwrap_or(limit).min(limit);
                    self.jump_check(&check, epoch, horizon);
                    continue;
                }
            }
            self.clock.set_now(due);
            self.settle();
        }
        done(self)
    }

    /// When the next timer that is not a steady check's run fires.
    fn next_unsteady_due(&self) -> Option<Instant> {
        self.clock
            .pending()
            .find(|(_, t)| match t {
                Timer::CheckTick { check, epoch } => !self.check_is_steady(check, *epoch),
                _ => true,
            })
            .map(|(at, _)| at)
    }

    /// Move virtual time forward by `d`.
    pub fn advance(&mut self, d: Duration) {
        let t = self.clock.now().saturating_add(d.0.max(0));
        self.advance_to(t);
    }

    fn fire(&mut self, timer: Timer) {
        match timer {
            Timer::OkayDelay { service, epoch } => self.okay_elapsed(&service, epoch),
            Timer::ProcessExit {
                service,
                epoch,
                code,
            } => self.process_exited(&service, epoch, code),
            Timer::BackoffElapsed { service, epoch } => self.backoff_elapsed(&service, epoch),
            Timer::BackoffReset { service, epoch } => self.backoff_reset(&service, epoch),
            Timer::TerminateElapsed { service, epoch } => self.terminate_elapsed(&service, epoch),
            Timer::KillElapsed { service, epoch } => self.kill_elapsed(&service, epoch),
            Timer::CheckTick { check, epoch } => self.check_tick(&check, epoch),
        }
    }

    fn run_task(&mut self, id: &str) {
        let Some(task) = self.changes.task(id) else {
            return;
        };
        let work = task.work.clone();
        let now = self.now();
        self.changes.set_status(id, now, Status::Doing);
        match work {
            Work::Start(name) => self.do_start(id, &name),
            Work::Stop(name) => self.do_stop(id, &name),
            // Exec and check tasks are driven by their own code.
            Work::Exec | Work::PerformCheck(_) | Work::RecoverCheck(_) => {}
        }
    }

    /// Finish a task: Done, or Error with `err` logged; a failure aborts
    /// its lanes.
    pub(crate) fn finish_task(&mut self, id: &str, err: Option<String>) {
        let now = self.now();
        match err {
            None => self.changes.set_status(id, now, Status::Done),
            Some(e) => {
                self.changes.log(id, now, "ERROR", &e);
                self.changes.set_status(id, now, Status::Error);
                self.changes.abort_lanes_of(id, now);
            }
        }
        self.announce_changes();
    }

    /// Record change-update notices for changes whose status moved.
    pub(crate) fn announce_changes(&mut self) {
        loop {
            if self.announced_generation == Some(self.changes.generation) {
                return;
            }
            let before = self.changes.generation;
            if !self.announce_once() {
                self.announced_generation = Some(before.max(self.changes.generation));
                return;
            }
        }
    }

    /// One pass of [`Self::announce_changes`]; whether anything moved.
    fn announce_once(&mut self) -> bool {
        let now = self.now();
        let mut updates = Vec::new();
        for change in self.changes.all() {
            let status = self.changes.status(change);
            let flapping = matches!(
                (change.announced, status),
                (Some(Status::Do), Status::Doing) | (Some(Status::Doing), Status::Do)
            );
            if change.announced != Some(status) && !flapping {
                updates.push((change.id.clone(), change.kind.clone(), status));
            }
        }
        let moved = !updates.is_empty();
        for (id, kind, status) in updates {
            let mut data = BTreeMap::new();
            data.insert("kind".to_string(), kind.clone());
            if let Some(c) = self.changes.change(&id)
                && let Some(name) = c.data.get("check-name").and_then(|v| v.as_str())
            {
                data.insert("check-name".into(), name.to_string());
            }
            self.notices
                .add(now, None, "change-update", &id, data, None);
            let ready_before = self.changes.change(&id).and_then(|c| c.ready_time);
            if let Some(c) = self.changes.change_mut(&id) {
                c.announced = Some(status);
                if status.ready() && ready_before.is_none() {
                    c.ready_time = Some(now);
                }
            }
            if kind == "perform-check" || kind == "recover-check" {
                self.check_change_status(&id, status);
            }
        }
        moved
    }

    /// A change as the API shows it.
    pub fn change_info(&self, id: &str) -> Option<ChangeInfo> {
        let c = self.changes.change(id)?;
        let status = self.changes.status(c);
        let tasks = c
            .tasks
            .iter()
            .filter_map(|t| self.changes.task(t))
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
            err: self.changes.err(c),
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
        let ids: Vec<String> = self.changes.all().map(|c| c.id.clone()).collect();
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
        if self.changes.change(id).is_none() {
            return Err(WaitError::Api(ApiError::not_found(format!(
                "cannot find change with id {}",
                crate::go::quote::quote(id)
            ))));
        }
        let start = self.now();
        let deadline = start.saturating_add(timeout.unwrap_or(MAX_WAIT).0.max(0));
        let ready = |p: &Pebble| {
            p.changes
                .change(id)
                .is_some_and(|c| p.changes.status(c).ready())
        };
        if self.run_until(deadline, ready) {
            return Ok(self.change_info(id).expect("exists"));
        }
        if self.clock.next_due().is_some_and(|d| d <= deadline) {
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
        let Some(c) = self.changes.change(id) else {
            return Err(ApiError::not_found(format!(
                "cannot find change with id {}",
                crate::go::quote::quote(id)
            )));
        };
        if self.changes.status(c).ready() {
            return Err(ApiError::bad_request(format!(
                "cannot abort change {id} with nothing pending"
            )));
        }
        let tasks = c.tasks.clone();
        let now = self.now();
        for t in tasks {
            let Some(task) = self.changes.task(&t) else {
                continue;
            };
            match (task.status, task.work.clone()) {
                (Status::Do, _) => self.changes.set_status(&t, now, Status::Hold),
                (Status::Doing, Work::Start(name)) => self.abort_start(&t, &name),
                (Status::Doing, Work::PerformCheck(_) | Work::RecoverCheck(_)) => {
                    self.changes.set_status(&t, now, Status::Undone)
                }
                _ => {}
            }
        }
        self.announce_changes();
        self.change(id)
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
