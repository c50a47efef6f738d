//! Running the model: one hook at a time through the single-event path
//! (project → `run_event_with` → merge → the agent's commit), settling
//! until no unit has a hook due, and moving virtual time to the next timer.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::charms::Loaded;
use super::history::{EventRecord, LogEntry, level_name};
use super::hook::Hook;
use super::lifecycle::{self, Seen, Touched};
use super::merge::{merge, owner_unit};
use super::model::{ActionStatus, Model, Substrate};
use super::names::UnitName;
use super::project::{Kept, Sources, project, project_from};
use super::resolver::next_hook;
use super::scheduler::{Ready, draw, draw_unit, next_timer};
use super::{SimError, Simulator, Traces};
use crate::backend::unit::Reboot;
use crate::event::EventSpec;
use crate::run::{RunError, RunOptions, RunReport};
use crate::state::{SecretState, State};
use crate::trace::TraceWriter;

/// The outcome recorded for a hook stopped by `juju-reboot --now`.
pub const REQUEUED: &str = "requeued: juju-reboot --now";

/// What a dispatch returns: the charm's output State and report, or why
/// the event could not run.
pub(super) type DispatchResult = Result<(State, RunReport), RunError>;

/// A hook ready to run: its unit's view projected, its draws taken.
pub(super) struct Prepared {
    pub name: UnitName,
    pub hook: Hook,
    pub event: String,
    pub state: State,
    pub versions: Sources,
    pub spec: EventSpec,
    pub disk: Option<std::path::PathBuf>,
    /// What the hook was shown, kept only when it runs beside others.
    pub concurrent: Option<Shown>,
}

/// What a hook that runs beside others was shown: the versions it commits
/// as seen, and the secrets its output is merged against (`merge`'s
/// `input`).
pub(super) struct Shown {
    pub seen: Seen,
    pub secrets: Vec<SecretState>,
}

impl Prepared {
    /// Mark `self` as run beside other hooks, projected from `versions`
    /// and `shown` what [`Shown::of`] says.
    pub(super) fn shown_beside_others(&mut self, versions: Sources, shown: Shown) {
        self.versions = versions;
        self.concurrent = Some(shown);
    }
}

impl Shown {
    /// What `name`'s `hook` is shown beside others: what it sees of
    /// `model` now, and the secrets of `state` (its projected State, about
    /// to be handed to the charm). Reads the model only, so any thread
    /// projecting a batch may build it.
    pub(super) fn of(model: &Model, name: &UnitName, hook: &Hook, state: &State) -> Shown {
        Shown {
            seen: Seen::now(model, name, hook),
            secrets: state.secrets.clone(),
        }
    }
}

/// What a hook's projection needs beside the model: its seed, and the
/// unit's kept views with what changed since.
pub(super) struct ToProject {
    seed: u64,
    kept: Kept,
    stale: BTreeMap<u32, BTreeSet<UnitName>>,
}

impl ToProject {
    /// The State `p`'s unit sees: its kept relation views brought up to
    /// date (checked against a full projection when `paranoid`).
    pub(super) fn project(
        self,
        model: &Model,
        p: &Prepared,
        paranoid: bool,
    ) -> Result<(State, Sources), SimError> {
        let (name, hook) = (&p.name, &p.hook);
        let (state, versions) = project_from(model, name, hook, self.seed, self.kept, &self.stale)
            .ok_or_else(|| SimError::Usage(format!("no unit {name}")))?;
        if paranoid {
            let full = project(model, name, hook, self.seed);
            if full.as_ref() != Some(&state) {
                return Err(SimError::Corrupt(format!(
                    "the kept view of {name} differs from a full projection for {hook:?}:\n{}\n{}",
                    serde_json::to_string(&state).unwrap_or_default(),
                    serde_json::to_string(&full).unwrap_or_default(),
                )));
            }
        }
        Ok((state, versions))
    }
}

/// The agent's side of a committed hook, with what it saw when other
/// hooks moved that on meanwhile (`seen`), else with what it finds.
fn commit_hook(
    m: &mut Model,
    name: &UnitName,
    hook: &Hook,
    seen: Option<Seen>,
    r: f64,
    touched: &mut Touched,
) {
    match seen {
        Some(seen) => lifecycle::committed_as_seen(m, name, hook, seen, r, touched),
        None => lifecycle::committed(m, name, hook, r, touched),
    }
}

impl Traces {
    fn writer(
        &mut self,
        rt: &crate::engine::Runtime,
        charm: &Loaded,
        seed: u64,
    ) -> Result<&mut TraceWriter, SimError> {
        let app = charm.meta().name.clone();
        if !self.writers.contains_key(&app) {
            let file = std::fs::File::create(self.dir.join(format!("{app}.trace.jsonl")))?;
            let out = Box::new(std::io::BufWriter::new(file));
            let w = TraceWriter::new(out, charm.header(rt, seed))?;
            self.writers.insert(app.clone(), w);
        }
        Ok(self.writers.get_mut(&app).expect("inserted"))
    }
}

impl Simulator {
    /// Re-ask the resolver about `units` (after they were touched).
    pub(super) fn reschedule(&mut self, units: &Touched) {
        for u in units {
            self.ready.update(&self.model, u);
        }
        for u in self.model.take_woken() {
            if !units.contains(&u) {
                self.ready.wake(&self.model, &u);
            }
        }
    }

    /// Commit an operation's changes and reschedule what it touched.
    pub(super) fn finish_op(&mut self, touched: Touched) -> Result<(), SimError> {
        self.reschedule(&touched);
        self.commit()
    }

    fn next_seq(&mut self) -> u64 {
        let meta = self.model.meta_mut();
        let s = meta.next_seq;
        meta.next_seq += 1;
        s
    }

    /// Run the next hook of the model, if any unit has one due now.
    pub fn step(&mut self) -> Result<bool, SimError> {
        let Some(unit) = self.ready.pick(&mut self.model) else {
            return Ok(false);
        };
        let pick = draw(&mut self.model);
        let Some(hook) = next_hook(&self.model, &unit, self.model.meta.now, pick) else {
            // Cannot happen while the ready set is exact; stay safe.
            self.ready.update(&self.model, &unit);
            return Ok(true);
        };
        self.run_hook(&unit, hook)?;
        Ok(true)
    }

    fn agent_log(&mut self, unit: &UnitName, event: &str, level: &str, message: String) {
        let seq = self.next_seq();
        self.pending_logs.push(LogEntry {
            seq,
            time: self.model.meta.now,
            unit: unit.to_string(),
            event: event.to_string(),
            level: level.into(),
            source: "juju.worker.uniter".into(),
            message,
        });
    }

    /// Run one hook of `name` and commit its effects.
    pub fn run_hook(&mut self, name: &UnitName, hook: Hook) -> Result<(), SimError> {
        let mut prepared = self.prepare(name, hook)?;
        let result = self.dispatch(&mut prepared)?;
        self.finish(prepared, result)
    }

    /// The part of a hook before the charm runs: the agent's status, the
    /// seed drawn, the unit's view projected.
    pub(super) fn prepare(&mut self, name: &UnitName, hook: Hook) -> Result<Prepared, SimError> {
        let (mut p, input) = self.prepare_unprojected(name, hook)?;
        (p.state, p.versions) = input.project(&self.model, &p, self.paranoid)?;
        Ok(p)
    }

    /// [`Simulator::prepare`] but for the projection, which needs only the
    /// model and the returned input (batches project on every core).
    pub(super) fn prepare_unprojected(
        &mut self,
        name: &UnitName,
        hook: Hook,
    ) -> Result<(Prepared, ToProject), SimError> {
        if self.model.app(&name.app).is_none() {
            return Err(SimError::Usage(format!("no application {:?}", name.app)));
        }
        let event = hook.name(&self.model, name);
        lifecycle::before_hook(&mut self.model, name, &hook);
        if let Some(u) = self.model.unit_mut(name)
            && u.agent.requeued.as_ref() == Some(&hook)
        {
            u.agent.requeued = None;
        }
        let seed = draw(&mut self.model);
        let input = ToProject {
            seed,
            kept: self.views.take(name),
            stale: self.model.take_stale(name),
        };
        let spec = hook.spec(&self.model, name);
        let pod = self.model.unit(name).map_or(0, |u| u.pod);
        let disk = self.disks.of(name, pod);
        let prepared = Prepared {
            name: name.clone(),
            hook,
            event,
            state: State::default(),
            versions: Sources::default(),
            spec,
            disk,
            concurrent: None,
        };
        Ok((prepared, input))
    }

    /// The part of a hook after the charm ran: its output merged, the
    /// agent moved on (or in error), the record, the commit. Other units'
    /// hooks may have been merged since `p` was prepared when it ran beside
    /// them (`p.concurrent`).
    pub(super) fn finish(&mut self, p: Prepared, result: DispatchResult) -> Result<(), SimError> {
        let Prepared {
            name,
            hook,
            event,
            versions,
            concurrent,
            ..
        } = p;
        let name = &name;
        let (seen, secrets_in) = match concurrent {
            Some(Shown { seen, secrets }) => (Some(seen), Some(secrets)),
            None => (None, None),
        };
        // What the hook saw, if other hooks moved it on meanwhile; else
        // what its commit finds, as for a hook run alone.
        let seen = seen.filter(|seen| Seen::now(&self.model, name, &hook) != *seen);
        self.hooks_run += 1;
        let mut touched: Touched = BTreeSet::new();
        touched.insert(name.clone());
        let r = draw_unit(&mut self.model);
        let action_id = match &hook {
            Hook::Action { id } => Some(*id),
            _ => None,
        };
        let (outcome, woken) = match result {
            Err(RunError::Trace(e)) => return Err(SimError::Io(e)),
            Err(e) => {
                // The model could not be given to the charm: a host-side
                // failure, handled as a failed hook so that the unit waits.
                let message = e.to_string();
                if let Some(id) = action_id {
                    self.finish_action(id, ActionStatus::Failed, message.clone(), None);
                    commit_hook(&mut self.model, name, &hook, seen, r, &mut touched);
                } else {
                    lifecycle::failed(&mut self.model, name, &hook, message.clone(), r);
                }
                (format!("error: {message}"), Touched::new())
            }
            Ok((out, report)) => {
                let merged = merge(&mut self.model, name, &out, secrets_in.as_deref());
                touched.extend(merged.touched);
                // What a committed hook saw (and wrote) is kept for the
                // unit's next projection; a failed one's may hold a member
                // that never joined.
                if report.outcome.is_ok() && self.model.unit(name).is_some() {
                    self.views
                        .keep(name, out.relations, out.peer_unit_statuses, &versions);
                }
                self.queue_logs(name, &event, &report);
                let outcome = self.conclude(name, &hook, report, seen, r, &mut touched);
                (outcome, merged.woken)
            }
        };
        self.record_event(name, &event, &hook, action_id, outcome);
        self.reschedule(&touched);
        for u in woken.difference(&touched) {
            self.ready.wake(&self.model, u);
        }
        self.commit()?;
        if self.paranoid {
            self.check_ready()?;
        }
        Ok(())
    }

    /// Run a prepared hook through the single-event path, with the unit's
    /// charm, trace writer and disk.
    /// The prepared State is handed to the charm (`p.state` is left empty).
    pub(super) fn dispatch(&mut self, p: &mut Prepared) -> Result<DispatchResult, SimError> {
        let fuel = self.model.meta.settings.fuel;
        let app = self.model.app(&p.name.app).expect("checked by prepare");
        let charm = self.charms.get(&self.rt, app)?;
        let trace = match &mut self.traces {
            Some(t) => Some(t.writer(&self.rt, charm, self.model.meta.seed)?),
            None => None,
        };
        Ok(charm.run(
            &self.rt,
            std::mem::take(&mut p.state),
            &p.spec,
            RunOptions::default()
                .fuel(fuel)
                .trace(trace)
                .unit_dir(p.disk.as_deref()),
        ))
    }

    /// The hook's juju-log lines, queued for the model's log.
    fn queue_logs(&mut self, name: &UnitName, event: &str, report: &RunReport) {
        for l in &report.logs {
            let seq = self.next_seq();
            self.pending_logs.push(LogEntry {
                seq,
                time: self.model.meta.now,
                unit: name.to_string(),
                event: event.to_string(),
                level: level_name(l.level).into(),
                source: format!("unit.{name}.juju-log"),
                message: l.message.clone(),
            });
        }
    }

    /// The agent's side of a hook that ran: an action's record, a committed
    /// hook, or a failed one that puts the unit in error. Returns the
    /// outcome's one-line description.
    fn conclude(
        &mut self,
        name: &UnitName,
        hook: &Hook,
        report: RunReport,
        seen: Option<Seen>,
        r: f64,
        touched: &mut Touched,
    ) -> String {
        let ok = report.outcome.is_ok();
        let described = report.outcome.describe();
        let action = matches!(hook, Hook::Action { .. });
        match report.reboot {
            Some(asked) if !action && (ok || asked == Reboot::Now) => {
                return self.reboot_for(name, hook, asked, seen, r, touched);
            }
            _ => {}
        }
        if let Hook::Action { id } = hook {
            let failed = report.action.as_ref().and_then(|a| a.failed.clone());
            let (status, message) = match (ok, failed) {
                (false, _) => (ActionStatus::Failed, described.clone()),
                (true, Some(m)) => (ActionStatus::Failed, m),
                (true, None) => (ActionStatus::Completed, String::new()),
            };
            self.finish_action(*id, status, message, report.action);
            // Actions never put the unit in error (§5.1).
            commit_hook(&mut self.model, name, hook, seen, r, touched);
        } else if ok {
            commit_hook(&mut self.model, name, hook, seen, r, touched);
        } else {
            lifecycle::failed(&mut self.model, name, hook, described.clone(), r);
        }
        // A k8s rollout goes on once the pod it replaced last is ready.
        super::rollout::advance(&mut self.model, &name.app, touched);
        described
    }

    /// A hook that asked for a reboot (`juju-reboot`; Juju's
    /// `HookContext.handleReboot`): after a successful hook, the hook
    /// commits and the machine reboots; with `--now` the hook was stopped,
    /// its changes are lost, and it is queued to run again first after the
    /// reboot. A Kubernetes unit has no machine: Juju's request fails
    /// (`RequestReboot` looks up the unit's assigned machine), and so does
    /// the hook.
    fn reboot_for(
        &mut self,
        name: &UnitName,
        hook: &Hook,
        asked: Reboot,
        seen: Option<Seen>,
        r: f64,
        touched: &mut Touched,
    ) -> String {
        if self.model.meta.kind != Substrate::Machine {
            let message = format!("juju-reboot: unit {name} is not assigned to a machine");
            lifecycle::failed(&mut self.model, name, hook, message.clone(), r);
            return message;
        }
        let outcome = match asked {
            Reboot::AfterHook => {
                commit_hook(&mut self.model, name, hook, seen, r, touched);
                "ok".to_string()
            }
            Reboot::Now => {
                if let Some(u) = self.model.unit_mut(name) {
                    u.agent.error = None;
                    u.agent.requeued = Some(hook.clone());
                }
                REQUEUED.to_string()
            }
        };
        self.reboot_machine(name, touched);
        outcome
    }

    /// The hook in the model's event history and the agent's log.
    fn record_event(
        &mut self,
        name: &UnitName,
        event: &str,
        hook: &Hook,
        action_id: Option<u64>,
        outcome: String,
    ) {
        let seq = self.next_seq();
        let record = EventRecord {
            seq,
            time: self.model.meta.now,
            unit: name.to_string(),
            event: event.to_string(),
            detail: hook.detail(),
            outcome: outcome.clone(),
        };
        if let Some(c) = &mut self.captured {
            c.push(record.clone());
        }
        self.pending_events.push(record);
        if outcome == "ok" {
            self.agent_log(name, event, "INFO", format!("ran \"{event}\" hook"));
        } else if outcome == REQUEUED {
            let msg = format!("hook \"{event}\" stopped by juju-reboot --now; queued again");
            self.agent_log(name, event, "INFO", msg);
        } else {
            let msg = match &action_id {
                Some(id) => format!("action {id} \"{event}\" failed: {outcome}"),
                None => format!("hook \"{event}\" failed: {outcome}"),
            };
            self.agent_log(name, event, "ERROR", msg);
        }
    }

    /// Time the single-event part of a hook alone: `runs` dispatches of
    /// `hook` to `unit` on its current view, each projected and run in a
    /// fresh instance as [`Simulator::run_hook`] does, nothing merged back.
    /// What remains of a hook's cost is the simulator's; `bench-sim`
    /// prints both.
    pub fn time_dispatch(
        &mut self,
        unit: &str,
        hook: Hook,
        runs: usize,
    ) -> Result<Vec<std::time::Duration>, SimError> {
        let name: UnitName = unit.parse().map_err(SimError::Usage)?;
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let state = project(&self.model, &name, &hook, 0)
                .ok_or_else(|| SimError::Usage(format!("no unit {name}")))?;
            let spec = hook.spec(&self.model, &name);
            let fuel = self.model.meta.settings.fuel;
            let app = self.model.app(&name.app).expect("the unit's application");
            let charm = self.charms.get(&self.rt, app)?;
            let t = std::time::Instant::now();
            charm
                .run(&self.rt, state, &spec, RunOptions::default().fuel(fuel))
                .map_err(|e| SimError::Usage(e.to_string()))?;
            times.push(t.elapsed());
        }
        Ok(times)
    }

    fn finish_action(
        &mut self,
        id: u64,
        status: ActionStatus,
        message: String,
        report: Option<crate::backend::unit::ActionReport>,
    ) {
        if let Some(a) = self.model.action_mut(id) {
            a.status = status;
            a.message = message;
            if let Some(r) = report {
                a.results = r.results;
                a.logs = r.logs;
            }
        }
    }

    /// The incremental ready set must equal a rebuild.
    fn check_ready(&self) -> Result<(), SimError> {
        let rebuilt = Ready::rebuild(&self.model);
        if rebuilt.units() != self.ready.units() {
            return Err(SimError::Corrupt(format!(
                "scheduler out of step: ready {:?}, expected {:?}",
                self.ready.units(),
                rebuilt.units()
            )));
        }
        Ok(())
    }

    /// Queue what timers due now deliver (secret rotation and expiry) and
    /// reschedule the units whose timers are due.
    fn fire_timers(&mut self) -> Result<(), SimError> {
        let now = self.model.meta.now;
        let mut touched: Touched = BTreeSet::new();
        let due: Vec<(String, bool, bool)> = self
            .model
            .secrets
            .values()
            .map(|s| {
                (
                    s.id.clone(),
                    s.rotate_at.is_some_and(|t| t <= now),
                    s.expire_at.is_some_and(|t| t <= now),
                )
            })
            .filter(|(_, r, e)| *r || *e)
            .collect();
        for (id, rotate, expire) in due {
            let s = self.model.secrets[&id].clone();
            let Some(owner) = owner_unit(&self.model, &s) else {
                continue;
            };
            if let Some(u) = self.model.unit_mut(&owner) {
                if rotate {
                    u.agent.secret_rotate.insert(id.clone());
                }
                if expire {
                    u.agent.secret_expired.insert((id.clone(), s.latest()));
                }
                touched.insert(owner);
            }
        }
        for u in self.model.units.values() {
            if u.agent.next_timer().is_some_and(|t| t <= now) {
                touched.insert(u.name.clone());
            }
        }
        // `--force`: the controller's cleanup removes what is left.
        let forced: Vec<UnitName> = (self.model.units.values())
            .filter(|u| u.force_removal_at.is_some_and(|t| t <= now))
            .map(|u| u.name.clone())
            .collect();
        for u in forced {
            let r = draw_unit(&mut self.model);
            lifecycle::remove_unit(&mut self.model, &u, r, &mut touched);
        }
        self.finish_op(touched)
    }

    /// Run hooks until no unit has one due now. Time does not move: retries
    /// and update-status wait for [`Simulator::advance`]. Returns the hooks run.
    pub fn settle(&mut self) -> Result<u64, SimError> {
        self.fire_timers()?;
        let limit = self.model.meta.settings.settle_limit;
        let mut n = 0;
        loop {
            loop {
                let ran = self.run_due(limit.saturating_add(1).saturating_sub(n))?;
                if ran == 0 {
                    break;
                }
                n += ran;
                if n > limit {
                    return Err(SimError::NotSettled(n));
                }
            }
            // The ready set is exact; a rebuild is a cheap safety net.
            let rebuilt = Ready::rebuild(&self.model);
            if rebuilt.is_empty() {
                return Ok(n);
            }
            self.ready = rebuilt;
        }
    }

    /// Run at most `n` of the hooks due now (timers due now fire first, as
    /// in [`Simulator::settle`]) and leave the rest queued: each unit's
    /// next hook is still its resolver's, so what runs between two hooks of
    /// a unit can be checked (and operations added) before the rest.
    /// Returns the hooks run, in order.
    pub fn settle_steps(&mut self, n: u64) -> Result<Vec<EventRecord>, SimError> {
        self.fire_timers()?;
        self.captured = Some(Vec::new());
        let mut result = Ok(());
        let mut done = 0;
        while done < n {
            match self.run_due(n - done) {
                Ok(0) => break,
                Ok(ran) => done += ran,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        let ran = self.captured.take().unwrap_or_default();
        result.map(|()| ran)
    }

    /// Each unit with a hook due now and the hook it runs next (for a unit
    /// with hooks due in several relations, the first relation's: the
    /// relation it starts at is drawn when it runs).
    pub fn due(&self) -> Vec<(String, String)> {
        let now = self.model.meta.now;
        self.ready
            .units()
            .iter()
            .filter_map(|u| {
                let hook = next_hook(&self.model, u, now, 0)?;
                Some((u.to_string(), hook.name(&self.model, u)))
            })
            .collect()
    }

    /// The hook `unit` runs next, if one is due now.
    pub fn next_hook_of(&self, unit: &str) -> Result<Option<String>, SimError> {
        let name = self.unit_name(unit)?;
        let hook = next_hook(&self.model, &name, self.model.meta.now, 0);
        Ok(hook.map(|h| h.name(&self.model, &name)))
    }

    /// Move virtual time forward by `d`, firing each timer on the way
    /// (hook retries, update-status, secret rotation and expiry) and
    /// settling after each. Returns the hooks run.
    pub fn advance(&mut self, d: Duration) -> Result<u64, SimError> {
        let end = super::limits::later(self.model.meta.now, d)?;
        let mut n = self.settle()?;
        while let Some(t) = next_timer(&self.model).filter(|t| *t <= end) {
            self.model.meta_mut().now = t;
            n += self.settle()?;
        }
        self.model.meta_mut().now = end;
        n += self.settle()?;
        Ok(n)
    }

    /// Advance in steps until no unit is in error or has a hook due, or
    /// `timeout` of virtual time has passed; returns whether it got there.
    pub fn wait_idle(&mut self, timeout: Duration) -> Result<bool, SimError> {
        let end = super::limits::later(self.model.meta.now, timeout)?;
        loop {
            self.settle()?;
            let errors = self.model.units.values().any(|u| u.agent.error.is_some());
            if !errors {
                return Ok(true);
            }
            let Some(t) = next_timer(&self.model).filter(|t| *t <= end) else {
                return Ok(false);
            };
            self.model.meta_mut().now = t;
        }
    }
}
