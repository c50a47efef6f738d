//! Health checks (`checkstate`): each running check is a `perform-check`
//! change ticking every `period`; failures count up to `threshold`, then
//! the change errors, services' `on-check-failure` actions fire and a
//! `recover-check` change takes over until a run succeeds. Outcomes are
//! scripted by the State, so a test decides when a check fails.

use std::collections::BTreeMap;

use crate::go::duration::Duration;
use crate::go::quote::quote;
use crate::pebble::changes::{Status, Work};
use crate::pebble::clock::{Instant, Timer};
use crate::pebble::error::ApiError;
use crate::pebble::layer::Check;
use crate::pebble::overlord::{ChangeStatusHandler, CheckFailureHandler, Overlord};
pub use crate::state::container::CheckScript;

/// The runtime record of a check.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckData {
    pub config: Check,
    pub running: bool,
    pub successes: u64,
    pub failures: u64,
    pub change_id: Option<String>,
    pub prev_change_id: Option<String>,
    /// Failures counted by the current perform/recover task.
    pub task_failures: u64,
    pub epoch: u64,
}

/// A check as `GET /v1/checks` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckInfo {
    pub name: String,
    pub level: String,
    pub startup: String,
    pub status: String,
    pub successes: u64,
    pub failures: u64,
    pub threshold: u64,
    pub change_id: Option<String>,
    pub prev_change_id: Option<String>,
}

impl CheckData {
    pub fn new(config: Check) -> CheckData {
        CheckData {
            config,
            running: false,
            successes: 0,
            failures: 0,
            change_id: None,
            prev_change_id: None,
            task_failures: 0,
            epoch: 0,
        }
    }

    pub fn status(&self) -> &'static str {
        if !self.running {
            "inactive"
        } else if self.failures >= self.config.threshold.max(1) as u64 {
            "down"
        } else {
            "up"
        }
    }

    pub fn info(&self, name: &str) -> CheckInfo {
        CheckInfo {
            name: name.to_string(),
            level: self.config.level.clone(),
            startup: if self.config.enabled() {
                "enabled"
            } else {
                "disabled"
            }
            .into(),
            status: self.status().into(),
            successes: self.successes,
            failures: self.failures,
            threshold: self.config.threshold.max(0) as u64,
            change_id: self.change_id.clone(),
            prev_change_id: self.prev_change_id.clone(),
        }
    }
}

/// The error a failed run reports, by probe kind.
fn failure_message(check: &Check, scripted: Option<&str>) -> String {
    if let Some(m) = scripted.filter(|m| !m.is_empty()) {
        return m.to_string();
    }
    if let Some(h) = &check.http {
        format!("non-2xx status code 500; GET {}", h.url)
    } else if let Some(t) = &check.tcp {
        let host = if t.host.is_empty() {
            "localhost"
        } else {
            &t.host
        };
        format!("dial tcp {host}:{}: connect: connection refused", t.port)
    } else {
        "exit status 1".into()
    }
}

/// The check manager (`checkstate.CheckManager`): the records of the
/// plan's checks and their scripted outcomes.
#[derive(Debug, Clone, Default)]
pub struct CheckManager {
    /// Checks by name.
    pub(crate) checks: BTreeMap<String, CheckData>,
    /// Scripted outcomes of their runs, by name.
    pub(crate) scripts: BTreeMap<String, CheckScript>,
}

impl CheckManager {
    /// Start checks that should run after a plan change, stop removed or
    /// changed ones (`CheckManager.PlanChanged`).
    pub(crate) fn plan_changed(&mut self, ov: &mut Overlord, plan: &BTreeMap<String, Check>) {
        let plan = plan.clone();
        let names: Vec<String> = self.checks.keys().cloned().collect();
        for name in names {
            let keep = plan.get(&name) == Some(&self.checks[&name].config);
            if !keep {
                self.stop(ov, &name);
                self.checks.remove(&name);
            }
        }
        for (name, config) in plan {
            if self.checks.contains_key(&name) {
                continue;
            }
            let enabled = config.enabled();
            self.checks.insert(name.clone(), CheckData::new(config));
            if enabled {
                self.start(ov, &name);
            }
        }
    }

    /// Start stopped startup-enabled checks (`CheckManager.Replan`).
    pub(crate) fn replan(&mut self, ov: &mut Overlord) {
        let names: Vec<String> = self
            .checks
            .iter()
            .filter(|(_, c)| !c.running && c.config.enabled())
            .map(|(n, _)| n.clone())
            .collect();
        for n in names {
            self.start(ov, &n);
        }
    }

    /// Start a check's perform-check change (used when loading a State).
    /// Start a check's perform-check change.
    pub(crate) fn start(&mut self, ov: &mut Overlord, name: &str) {
        let Some(c) = self.checks.get(name) else {
            return;
        };
        let summary = format!("Perform {} check {}", c.config.kind(), quote(name));
        let period = c.config.period.value;
        let (change, _) = ov.new_running_change(
            "perform-check",
            &summary,
            Work::PerformCheck(name.to_string()),
        );
        if let Some(ch) = ov.changes.change_mut(&change) {
            ch.data
                .insert("check-name".into(), serde_json::Value::from(name));
        }
        let epoch = ov.next_epoch();
        let c = self.checks.get_mut(name).expect("exists");
        c.running = true;
        c.change_id = Some(change);
        c.task_failures = 0;
        c.epoch = epoch;
        ov.clock.after(
            positive(period),
            Timer::CheckTick {
                check: name.to_string(),
                epoch,
            },
        );
        ov.announce_changes(self);
    }

    /// Stop a running check: its change's tasks are undone.
    fn stop(&mut self, ov: &mut Overlord, name: &str) {
        let now = ov.now();
        let Some(c) = self.checks.get_mut(name) else {
            return;
        };
        if !c.running {
            return;
        }
        c.running = false;
        c.epoch = 0;
        let change = c.change_id.clone();
        if let Some(ch) = change.and_then(|id| ov.changes.change(&id).cloned()) {
            for t in ch.tasks {
                if ov.changes.task(&t).is_some_and(|t| !t.status.ready()) {
                    ov.changes.set_status(&t, now, Status::Undone);
                }
            }
        }
        ov.announce_changes(self);
    }

    /// One run of a check.
    pub(crate) fn tick(
        &mut self,
        ov: &mut Overlord,
        failed: &mut dyn CheckFailureHandler,
        name: &str,
        epoch: u64,
    ) {
        let Some(c) = self.checks.get(name) else {
            return;
        };
        if c.epoch != epoch || !c.running {
            return;
        }
        let Some(change) = c.change_id.clone() else {
            return;
        };
        let Some(task) = ov
            .changes
            .change(&change)
            .and_then(|ch| ch.tasks.first().cloned())
        else {
            return;
        };
        let recovering = ov
            .changes
            .change(&change)
            .is_some_and(|ch| ch.kind == "recover-check");
        let outcome = self.next_outcome(name);
        let now = ov.now();
        let c = self.checks.get_mut(name).expect("exists");
        let threshold = c.config.threshold.max(1) as u64;
        let period = c.config.period.value;
        match outcome {
            Ok(()) => {
                c.successes += 1;
                if recovering {
                    c.failures = 0;
                    c.task_failures = 0;
                    ov.finish_task(&task, None, self);
                    return;
                }
                if c.task_failures > 0 {
                    let n = c.task_failures;
                    c.failures = 0;
                    c.task_failures = 0;
                    let msg = format!(
                        "succeeded after {n} {}",
                        if n == 1 { "failure" } else { "failures" }
                    );
                    ov.changes.log(&task, now, "INFO", &msg);
                }
            }
            Err(message) => {
                c.failures += 1;
                c.task_failures += 1;
                if !recovering && c.task_failures >= threshold {
                    ov.finish_task(&task, Some(message), self);
                    failed.check_failed(ov, name);
                    return;
                }
                ov.changes.log(&task, now, "ERROR", &message);
            }
        }
        ov.clock.after(
            positive(period),
            Timer::CheckTick {
                check: name.to_string(),
                epoch,
            },
        );
    }

    /// Whether the check's next runs can only bump its counters: its script
    /// is used up and the constant outcome keeps it where it is (passing
    /// while up with no failures, or failing while recovering).
    pub(crate) fn is_steady(&self, ov: &Overlord, name: &str, epoch: u64) -> bool {
        let Some(c) = self.checks.get(name) else {
            return false;
        };
        if !c.running || c.epoch != epoch {
            return false;
        }
        let script = self.scripts.get(name);
        if script.is_some_and(|s| !s.outcomes.is_empty()) {
            return false;
        }
        let ok = script
            .and_then(|s| s.then.as_deref())
            .map(|t| matches!(t.trim(), "ok" | "pass" | "up"))
            .unwrap_or(true);
        let recovering = c
            .change_id
            .as_deref()
            .and_then(|id| ov.changes.change(id))
            .is_some_and(|ch| ch.kind == "recover-check");
        (ok && !recovering && c.task_failures == 0) || (!ok && recovering)
    }

    /// Apply every run of a steady check due up to `limit` at once.
    pub(crate) fn jump(&mut self, ov: &mut Overlord, name: &str, epoch: u64, limit: Instant) {
        let Some((due, _)) = ov.clock.peek() else {
            return;
        };
        let Some(c) = self.checks.get(name) else {
            return;
        };
        let period = positive(c.config.period.value).0;
        let runs = if due > limit {
            0
        } else {
            (limit - due) / period + 1
        };
        if runs == 0 {
            return;
        }
        let check = name.to_string();
        ov.clock.cancel(
            |t| matches!(t, Timer::CheckTick { check: n, epoch: e } if *n == check && *e == epoch),
        );
        let next = due.saturating_add(runs.saturating_mul(period));
        let task = c
            .change_id
            .as_deref()
            .and_then(|id| ov.changes.change(id))
            .and_then(|ch| ch.tasks.first().cloned());
        let outcome = self.next_outcome(name);
        let c = self.checks.get_mut(name).expect("exists");
        let n = runs as u64;
        match outcome {
            Ok(()) => c.successes += n,
            Err(message) => {
                c.failures += n;
                c.task_failures += n;
                if let Some(t) = task {
                    let logged = runs.min(crate::pebble::changes::MAX_LOG as i64);
                    for k in (runs - logged)..runs {
                        let at = due.saturating_add(k.saturating_mul(period));
                        ov.changes.log(&t, at, "ERROR", &message);
                    }
                }
            }
        }
        let now = ov.clock.now();
        let delay = next.saturating_sub(now);
        ov.clock.after(
            Duration(delay),
            Timer::CheckTick {
                check: name.to_string(),
                epoch,
            },
        );
    }

    fn next_outcome(&mut self, name: &str) -> Result<(), String> {
        let config = self.checks[name].config.clone();
        let script = self.scripts.entry(name.to_string()).or_default();
        let raw = if script.outcomes.is_empty() {
            script.then.clone().unwrap_or_else(|| "ok".into())
        } else {
            script.outcomes.remove(0)
        };
        let raw = raw.trim();
        if raw == "ok" || raw == "pass" || raw == "up" {
            Ok(())
        } else {
            let msg = raw
                .strip_prefix("fail")
                .map(|m| m.trim_start_matches(':').trim())
                .filter(|m| !m.is_empty());
            Err(failure_message(&config, msg))
        }
    }

    /// `GET /v1/checks`.
    pub fn infos(&self, level: &str, names: &[String]) -> Vec<CheckInfo> {
        self.checks
            .iter()
            .filter(|(n, _)| names.is_empty() || names.contains(n))
            .filter(|(_, c)| level.is_empty() || c.config.level == level)
            .map(|(n, c)| c.info(n))
            .collect()
    }

    /// `POST /v1/checks` start/stop: the names whose state changed.
    pub fn action(
        &mut self,
        ov: &mut Overlord,
        action: &str,
        names: &[String],
    ) -> Result<Vec<String>, ApiError> {
        if action != "start" && action != "stop" {
            return Err(ApiError::bad_request(format!(
                "invalid action {}",
                quote(action)
            )));
        }
        if names.is_empty() {
            return Err(ApiError::bad_request(
                "must specify checks for start action".replace("start", action),
            ));
        }
        let missing: Vec<&String> = names
            .iter()
            .filter(|n| !self.checks.contains_key(*n))
            .collect();
        if !missing.is_empty() {
            let list: Vec<String> = missing.iter().map(|s| s.to_string()).collect();
            return Err(ApiError::bad_request(format!(
                "cannot {action} checks: cannot find checks in plan: {}",
                list.join(", ")
            )));
        }
        let mut changed = Vec::new();
        for n in names {
            let running = self.checks[n].running;
            if action == "start" && !running {
                self.start(ov, n);
                changed.push(n.clone());
            } else if action == "stop" && running {
                self.stop(ov, n);
                changed.push(n.clone());
            }
        }
        changed.sort();
        changed.dedup();
        Ok(changed)
    }

    /// `GET /v1/health`: false when a matching running check is down.
    /// `ready` counts `alive` checks too.
    pub fn healthy(&self, level: &str, names: &[String]) -> bool {
        !self.checks.iter().any(|(n, c)| {
            let level_ok = match level {
                "" => true,
                "alive" => c.config.level == "alive",
                _ => c.config.level == "alive" || c.config.level == "ready",
            };
            level_ok && (names.is_empty() || names.contains(n)) && c.status() == "down"
        })
    }
}

impl ChangeStatusHandler for CheckManager {
    /// A check change's status moved: a perform-check that errored hands
    /// over to recover-check; a recover-check that finished hands back.
    fn change_status_changed(&mut self, ov: &mut Overlord, change: &str, status: Status) {
        let Some(ch) = ov.changes.change(change) else {
            return;
        };
        let kind = ch.kind.clone();
        if kind != "perform-check" && kind != "recover-check" {
            return;
        }
        let Some(name) = ch
            .data
            .get("check-name")
            .and_then(|v| v.as_str())
            .map(String::from)
        else {
            return;
        };
        let Some(c) = self.checks.get(&name) else {
            return;
        };
        if !c.running || c.change_id.as_deref() != Some(change) {
            return;
        }
        let (next_kind, verb) = match (kind.as_str(), status) {
            ("perform-check", Status::Error) => ("recover-check", "Recover"),
            ("recover-check", Status::Done) => ("perform-check", "Perform"),
            _ => return,
        };
        let summary = format!("{verb} {} check {}", c.config.kind(), quote(&name));
        let period = c.config.period.value;
        let failures = c.task_failures;
        let work = if next_kind == "recover-check" {
            Work::RecoverCheck(name.clone())
        } else {
            Work::PerformCheck(name.clone())
        };
        let (new, _) = ov.new_running_change(next_kind, &summary, work);
        if let Some(ch) = ov.changes.change_mut(&new) {
            ch.data
                .insert("check-name".into(), serde_json::Value::from(name.as_str()));
        }
        let epoch = ov.next_epoch();
        let c = self.checks.get_mut(&name).expect("exists");
        c.prev_change_id = c.change_id.replace(new);
        c.epoch = epoch;
        c.task_failures = if next_kind == "recover-check" {
            failures
        } else {
            0
        };
        ov.clock
            .after(positive(period), Timer::CheckTick { check: name, epoch });
    }
}

fn positive(d: Duration) -> Duration {
    if d.0 <= 0 { Duration(1) } else { d }
}
