//! Changes and tasks (`state/change.go`, `state/task.go`): statuses, how a
//! change's status derives from its tasks, lanes and waits, the change's
//! error text, and aborting lanes when a task fails.

use std::collections::BTreeMap;

use crate::pebble::clock::{Instant, rfc3339};

/// A change or task status, spelled as Pebble spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Default,
    Hold,
    Do,
    Doing,
    Done,
    Abort,
    Undo,
    Undoing,
    Undone,
    Error,
    Wait,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Default => "Default",
            Status::Hold => "Hold",
            Status::Do => "Do",
            Status::Doing => "Doing",
            Status::Done => "Done",
            Status::Abort => "Abort",
            Status::Undo => "Undo",
            Status::Undoing => "Undoing",
            Status::Undone => "Undone",
            Status::Error => "Error",
            Status::Wait => "Wait",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "Default" => Status::Default,
            "Hold" => Status::Hold,
            "Do" => Status::Do,
            "Doing" => Status::Doing,
            "Done" => Status::Done,
            "Abort" => Status::Abort,
            "Undo" => Status::Undo,
            "Undoing" => Status::Undoing,
            "Undone" => Status::Undone,
            "Error" => Status::Error,
            "Wait" => Status::Wait,
            _ => return None,
        })
    }

    /// Finished: nothing more will happen to it.
    pub fn ready(self) -> bool {
        matches!(
            self,
            Status::Done | Status::Undone | Status::Hold | Status::Error
        )
    }
}

/// What a task does when it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Work {
    Start(String),
    Stop(String),
    Exec,
    PerformCheck(String),
    RecoverCheck(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: String,
    pub kind: String,
    pub summary: String,
    pub status: Status,
    pub log: Vec<String>,
    pub spawn_time: Instant,
    pub ready_time: Option<Instant>,
    pub data: serde_json::Map<String, serde_json::Value>,
    pub wait_for: Vec<String>,
    pub lanes: Vec<u64>,
    pub change: String,
    pub work: Work,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub id: String,
    pub kind: String,
    pub summary: String,
    /// Set explicitly (a change without tasks marked Done).
    pub explicit: Option<Status>,
    pub tasks: Vec<String>,
    pub spawn_time: Instant,
    pub ready_time: Option<Instant>,
    pub data: serde_json::Map<String, serde_json::Value>,
    /// The status last announced with a change-update notice.
    pub announced: Option<Status>,
}

/// All changes and tasks of one Pebble.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub changes: BTreeMap<u64, Change>,
    pub tasks: BTreeMap<u64, Task>,
    pub last_change: u64,
    pub last_task: u64,
    pub last_lane: u64,
    /// Bumped on every mutation, so idle scans can be skipped.
    pub generation: u64,
}

/// Log entries a task keeps.
pub const MAX_LOG: usize = 10;

fn num(id: &str) -> u64 {
    id.parse().unwrap_or(u64::MAX)
}

impl Changes {
    pub fn new_change(&mut self, now: Instant, kind: &str, summary: &str) -> String {
        self.generation += 1;
        self.last_change += 1;
        let id = self.last_change.to_string();
        self.changes.insert(
            self.last_change,
            Change {
                id: id.clone(),
                kind: kind.into(),
                summary: summary.into(),
                explicit: None,
                tasks: Vec::new(),
                spawn_time: now,
                ready_time: None,
                data: serde_json::Map::new(),
                announced: None,
            },
        );
        id
    }

    pub fn new_lane(&mut self) -> u64 {
        self.last_lane += 1;
        self.last_lane
    }

    /// Add a task to a change.
    #[allow(clippy::too_many_arguments)]
    pub fn add_task(
        &mut self,
        now: Instant,
        change: &str,
        kind: &str,
        summary: &str,
        work: Work,
        lanes: Vec<u64>,
        wait_for: Vec<String>,
    ) -> String {
        self.generation += 1;
        self.last_task += 1;
        let id = self.last_task.to_string();
        self.tasks.insert(
            self.last_task,
            Task {
                id: id.clone(),
                kind: kind.into(),
                summary: summary.into(),
                status: Status::Do,
                log: Vec::new(),
                spawn_time: now,
                ready_time: None,
                data: serde_json::Map::new(),
                wait_for,
                lanes,
                change: change.into(),
                work,
            },
        );
        if let Some(c) = self.changes.get_mut(&num(change)) {
            c.tasks.push(id.clone());
        }
        id
    }

    pub fn change(&self, id: &str) -> Option<&Change> {
        self.changes.get(&num(id))
    }

    pub fn change_mut(&mut self, id: &str) -> Option<&mut Change> {
        self.generation += 1;
        self.changes.get_mut(&num(id))
    }

    pub fn task(&self, id: &str) -> Option<&Task> {
        self.tasks.get(&num(id))
    }

    pub fn task_mut(&mut self, id: &str) -> Option<&mut Task> {
        self.generation += 1;
        self.tasks.get_mut(&num(id))
    }

    /// A change's status: explicit, else derived from its tasks by
    /// precedence (Abort > Undoing > Undo > Doing > Do > Wait > Error >
    /// Undone > Done > Hold); no tasks is Hold.
    pub fn status(&self, change: &Change) -> Status {
        if let Some(s) = change.explicit {
            return s;
        }
        const ORDER: [Status; 10] = [
            Status::Abort,
            Status::Undoing,
            Status::Undo,
            Status::Doing,
            Status::Do,
            Status::Wait,
            Status::Error,
            Status::Undone,
            Status::Done,
            Status::Hold,
        ];
        let statuses: Vec<Status> = change
            .tasks
            .iter()
            .filter_map(|t| self.task(t))
            .map(|t| t.status)
            .collect();
        ORDER
            .into_iter()
            .find(|s| statuses.contains(s))
            .unwrap_or(Status::Hold)
    }

    /// The change's `err`: the failed tasks with their last error.
    pub fn err(&self, change: &Change) -> Option<String> {
        if self.status(change) != Status::Error {
            return None;
        }
        let mut lines = vec!["cannot perform the following tasks:".to_string()];
        for t in change.tasks.iter().filter_map(|t| self.task(t)) {
            if t.status == Status::Error {
                let last = t
                    .log
                    .iter()
                    .rev()
                    .find_map(|l| l.split_once(" ERROR ").map(|(_, m)| m.to_string()))
                    .unwrap_or_default();
                lines.push(format!("- {} ({last})", t.summary));
            }
        }
        Some(lines.join("\n"))
    }

    /// Append a log line (`INFO`/`ERROR`) to a task.
    pub fn log(&mut self, task: &str, now: Instant, level: &str, message: &str) {
        if let Some(t) = self.task_mut(task) {
            t.log.push(format!("{} {level} {message}", rfc3339(now)));
            // Like snapd's task log, keep the last ten entries.
            if t.log.len() > MAX_LOG {
                let excess = t.log.len() - MAX_LOG;
                t.log.drain(..excess);
            }
        }
    }

    /// Set a task's status, stamping its ready time.
    pub fn set_status(&mut self, task: &str, now: Instant, status: Status) {
        if let Some(t) = self.task_mut(task) {
            t.status = status;
            if status.ready() && t.ready_time.is_none() {
                t.ready_time = Some(now);
            }
        }
    }

    /// Tasks that may run now: status Do, every awaited task Done.
    pub fn runnable(&self) -> Vec<String> {
        self.tasks
            .values()
            .filter(|t| t.status == Status::Do)
            .filter(|t| {
                t.wait_for
                    .iter()
                    .all(|w| self.task(w).is_some_and(|w| w.status == Status::Done))
            })
            .map(|t| t.id.clone())
            .collect()
    }

    /// After `task` failed: abort its lanes and, transitively, the lanes of
    /// tasks waiting on aborted ones. Pending tasks go to Hold, finished
    /// ones (which have nothing to undo) to Undone.
    pub fn abort_lanes_of(&mut self, task: &str, now: Instant) {
        let Some(t) = self.task(task) else {
            return;
        };
        let change = t.change.clone();
        let mut lanes: Vec<u64> = t.lanes.clone();
        let mut seen = std::collections::BTreeSet::new();
        loop {
            let ids: Vec<String> = self
                .change(&change)
                .map(|c| c.tasks.clone())
                .unwrap_or_default();
            let in_lanes: Vec<String> = ids
                .iter()
                .filter(|id| {
                    self.task(id)
                        .is_some_and(|t| t.lanes.iter().any(|l| lanes.contains(l)))
                })
                .cloned()
                .collect();
            let mut more = false;
            for id in &in_lanes {
                if !seen.insert(id.clone()) {
                    continue;
                }
                let status = self.task(id).map(|t| t.status);
                match status {
                    Some(Status::Do) => self.set_status(id, now, Status::Hold),
                    Some(Status::Done) => self.set_status(id, now, Status::Undone),
                    _ => {}
                }
                // Tasks halted by this one join the abort.
                for other in &ids {
                    if let Some(o) = self.task(other)
                        && o.wait_for.contains(id)
                    {
                        for l in o.lanes.clone() {
                            if !lanes.contains(&l) {
                                lanes.push(l);
                                more = true;
                            }
                        }
                    }
                }
            }
            if !more {
                break;
            }
        }
    }

    /// Changes, oldest first.
    pub fn all(&self) -> impl Iterator<Item = &Change> {
        self.changes.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_precedence() {
        let mut c = Changes::default();
        let ch = c.new_change(0, "start", "Start");
        let a = c.add_task(
            0,
            &ch,
            "start",
            "A",
            Work::Start("a".into()),
            vec![1],
            vec![],
        );
        let b = c.add_task(
            0,
            &ch,
            "start",
            "B",
            Work::Start("b".into()),
            vec![1],
            vec![a.clone()],
        );
        assert_eq!(c.status(c.change(&ch).unwrap()), Status::Do);
        assert_eq!(c.runnable(), vec![a.clone()]);
        c.set_status(&a, 5, Status::Error);
        c.log(&a, 5, "ERROR", "boom");
        c.abort_lanes_of(&a, 5);
        assert_eq!(c.task(&b).unwrap().status, Status::Hold);
        let change = c.change(&ch).unwrap();
        assert_eq!(c.status(change), Status::Error);
        assert_eq!(
            c.err(change).unwrap(),
            "cannot perform the following tasks:\n- A (boom)"
        );
    }
}
