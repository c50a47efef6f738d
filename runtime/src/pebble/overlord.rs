//! What Pebble's managers share, as its overlord's state does: the virtual
//! clock and its timers, the changes and their tasks, notices, the epoch
//! counter and the exit a shutdown action requests. The daemon owns it and
//! hands it to each manager's methods; the managers reach one another only
//! through the two hooks below, as Pebble's do through the handlers they
//! register (change-status handlers, check-failure handlers).

use std::collections::BTreeMap;

use crate::pebble::changes::{Changes, Status, Work};
use crate::pebble::clock::{Clock, Instant};
use crate::pebble::notices::Notices;

/// Told when a change's status moves (the check manager hands a failed
/// `perform-check` over to `recover-check`, and back).
pub trait ChangeStatusHandler {
    /// Change `change` now has `status`.
    fn change_status_changed(&mut self, ov: &mut Overlord, change: &str, status: Status);
}

/// Told when a check reaches its failure threshold (the service manager
/// applies each service's `on-check-failure`).
pub trait CheckFailureHandler {
    /// Check `check` failed.
    fn check_failed(&mut self, ov: &mut Overlord, check: &str);
}

/// The state every manager works on.
#[derive(Debug, Clone)]
pub struct Overlord {
    pub(crate) clock: Clock,
    pub(crate) changes: Changes,
    pub(crate) notices: Notices,
    /// Set when a service action shut the daemon down (its exit code).
    pub(crate) exited: Option<i32>,
    pub(crate) last_epoch: u64,
    /// The change generation last announced with notices.
    pub(crate) announced_generation: Option<u64>,
}

impl Overlord {
    /// A fresh overlord at `now`: no changes, no notices, no timers.
    pub fn new(now: Instant) -> Overlord {
        Overlord {
            clock: Clock::new(now),
            changes: Changes::default(),
            notices: Notices::default(),
            exited: None,
            last_epoch: 0,
            announced_generation: None,
        }
    }

    /// The current virtual time.
    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    /// A new process or check incarnation; timers of older ones are stale.
    pub(crate) fn next_epoch(&mut self) -> u64 {
        self.last_epoch += 1;
        self.last_epoch
    }

    /// A change of `kind` with one task of the same kind doing `work`,
    /// already Doing (exec and check tasks are driven by their managers,
    /// not run by the daemon); its id and the task's.
    pub(crate) fn new_running_change(
        &mut self,
        kind: &str,
        summary: &str,
        work: Work,
    ) -> (String, String) {
        let now = self.now();
        let change = self.changes.new_change(now, kind, summary);
        let task = self
            .changes
            .add_task(now, &change, kind, summary, work, Vec::new(), Vec::new());
        self.changes.set_status(&task, now, Status::Doing);
        (change, task)
    }

    /// A shutdown action: Pebble stops its services and exits with `code`
    /// (the first request wins).
    pub(crate) fn shutdown(&mut self, code: i32) {
        if self.exited.is_none() {
            self.exited = Some(code);
        }
    }

    /// Finish a task: Done, or Error with `err` logged; a failure aborts
    /// its lanes.
    pub(crate) fn finish_task(
        &mut self,
        id: &str,
        err: Option<String>,
        on_status: &mut dyn ChangeStatusHandler,
    ) {
        let now = self.now();
        match err {
            None => self.changes.set_status(id, now, Status::Done),
            Some(e) => {
                self.changes.log(id, now, "ERROR", &e);
                self.changes.set_status(id, now, Status::Error);
                self.changes.abort_lanes_of(id, now);
            }
        }
        self.announce_changes(on_status);
    }

    /// Record change-update notices for changes whose status moved.
    pub(crate) fn announce_changes(&mut self, on_status: &mut dyn ChangeStatusHandler) {
        loop {
            if self.announced_generation == Some(self.changes.generation) {
                return;
            }
            let before = self.changes.generation;
            if !self.announce_once(on_status) {
                self.announced_generation = Some(before.max(self.changes.generation));
                return;
            }
        }
    }

    /// One pass of [`Self::announce_changes`]; whether anything moved.
    fn announce_once(&mut self, on_status: &mut dyn ChangeStatusHandler) -> bool {
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
            on_status.change_status_changed(self, &id, status);
        }
        moved
    }
}
