//! Services (`servstate`): each service's state machine on virtual time,
//! with scripted processes standing in for real ones, and the
//! start/stop/restart/replan/autostart changes that drive it.
//!
//! States: initial, starting (the 1 s okay delay), running, terminating
//! (SIGTERM sent, `kill-delay` running), killing (SIGKILL sent, 5 s),
//! stopped, backoff (waiting to restart), exited. Reported as active
//! (starting, running), inactive (terminating, killing, stopped), backoff,
//! error (exited).
//!
//! This module holds the records and the [`ServiceManager`]; the state
//! machine is in `lifecycle.rs`, restarts after exits in `backoff.rs`, the
//! changes of `POST /v1/services` in `actions.rs`, signals and
//! `on-check-failure` in `signals.rs`.

mod actions;
mod backoff;
mod lifecycle;
mod signals;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::go::duration::{Duration, SECOND};
use crate::pebble::clock::Instant;
use crate::pebble::layer::{Layer, Service, Workload};
use crate::pebble::overlord::Overlord;
pub use crate::state::container::{ProcessRun, ProcessScript};
pub use actions::{ActionLanes, action_change};
pub use backoff::next_backoff;

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

impl ServiceManager {
    /// Move `name` to `state`, no longer restarting; `current_since` moves
    /// when the status the API reports changes.
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

    /// [`Self::transition`], then mark whether the stop is a restart.
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

    /// Records for the State: name → record.
    pub fn records(&self) -> &BTreeMap<String, ServiceData> {
        &self.services
    }
}
