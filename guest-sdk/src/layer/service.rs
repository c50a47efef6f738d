//! Services of a layer (`services:` entries) and the actions Pebble takes
//! when one exits or a check fails.

use super::yaml::{Key, Node, float, opt_int, opt_str, string_list, string_map};
use super::{Override, upsert};

/// What Pebble does when a service exits or a check fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceAction {
    /// Restart the service.
    Restart,
    /// Shut Pebble down.
    Shutdown,
    /// Do nothing.
    Ignore,
    /// Shut Pebble down with exit code 0.
    SuccessShutdown,
    /// Shut Pebble down with exit code 10.
    FailureShutdown,
}

impl ServiceAction {
    fn as_str(self) -> &'static str {
        match self {
            ServiceAction::Restart => "restart",
            ServiceAction::Shutdown => "shutdown",
            ServiceAction::Ignore => "ignore",
            ServiceAction::SuccessShutdown => "success-shutdown",
            ServiceAction::FailureShutdown => "failure-shutdown",
        }
    }
}

/// A service of a layer (`services:` entry).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Service {
    /// `override:`.
    pub override_: Override,
    /// `command:`.
    pub command: Option<String>,
    /// `summary:`.
    pub summary: Option<String>,
    /// `description:`.
    pub description: Option<String>,
    /// `startup:` (`Some(true)` for `enabled`).
    pub startup: Option<bool>,
    /// `environment:`, in order.
    pub environment: Vec<(String, String)>,
    /// `user:`.
    pub user: Option<String>,
    /// `user-id:`.
    pub user_id: Option<u32>,
    /// `group:`.
    pub group: Option<String>,
    /// `group-id:`.
    pub group_id: Option<u32>,
    /// `working-dir:`.
    pub working_dir: Option<String>,
    /// `after:`.
    pub after: Vec<String>,
    /// `before:`.
    pub before: Vec<String>,
    /// `requires:`.
    pub requires: Vec<String>,
    /// `on-success:`.
    pub on_success: Option<ServiceAction>,
    /// `on-failure:`.
    pub on_failure: Option<ServiceAction>,
    /// `on-check-failure:`, check name → action.
    pub on_check_failure: Vec<(String, ServiceAction)>,
    /// `backoff-delay:`, a Go duration.
    pub backoff_delay: Option<String>,
    /// `backoff-factor:`.
    pub backoff_factor: Option<f64>,
    /// `backoff-limit:`, a Go duration.
    pub backoff_limit: Option<String>,
    /// `kill-delay:`, a Go duration.
    pub kill_delay: Option<String>,
}

impl Service {
    /// A service running `command` (`override: replace`).
    pub fn new(command: impl Into<String>) -> Self {
        Service {
            command: Some(command.into()),
            ..Self::default()
        }
    }

    /// A service entry without a command, e.g. to merge into an earlier one.
    pub fn merge() -> Self {
        Service {
            override_: Override::Merge,
            ..Self::default()
        }
    }

    /// Set how the entry combines with earlier layers.
    pub fn override_mode(mut self, mode: Override) -> Self {
        self.override_ = mode;
        self
    }

    /// Set the command.
    pub fn command(mut self, command: impl Into<String>) -> Self {
        self.command = Some(command.into());
        self
    }

    /// A one-line summary.
    pub fn summary(mut self, summary: impl Into<String>) -> Self {
        self.summary = Some(summary.into());
        self
    }

    /// A longer description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// `startup: enabled` (started by replan/autostart).
    pub fn startup_enabled(mut self) -> Self {
        self.startup = Some(true);
        self
    }

    /// `startup: disabled`.
    pub fn startup_disabled(mut self) -> Self {
        self.startup = Some(false);
        self
    }

    /// Add an environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        upsert(&mut self.environment, key.into(), value.into());
        self
    }

    /// Run as this user.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// Run as this user id.
    pub fn user_id(mut self, id: u32) -> Self {
        self.user_id = Some(id);
        self
    }

    /// Run with this group.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// Run with this group id.
    pub fn group_id(mut self, id: u32) -> Self {
        self.group_id = Some(id);
        self
    }

    /// Run in this directory.
    pub fn working_dir(mut self, dir: impl Into<String>) -> Self {
        self.working_dir = Some(dir.into());
        self
    }

    /// Start after this service.
    pub fn after(mut self, service: impl Into<String>) -> Self {
        self.after.push(service.into());
        self
    }

    /// Start before this service.
    pub fn before(mut self, service: impl Into<String>) -> Self {
        self.before.push(service.into());
        self
    }

    /// Start this service along with it.
    pub fn requires(mut self, service: impl Into<String>) -> Self {
        self.requires.push(service.into());
        self
    }

    /// What to do when the service exits with 0.
    pub fn on_success(mut self, action: ServiceAction) -> Self {
        self.on_success = Some(action);
        self
    }

    /// What to do when the service exits non-zero.
    pub fn on_failure(mut self, action: ServiceAction) -> Self {
        self.on_failure = Some(action);
        self
    }

    /// What to do when `check` fails.
    pub fn on_check_failure(mut self, check: impl Into<String>, action: ServiceAction) -> Self {
        upsert(&mut self.on_check_failure, check.into(), action);
        self
    }

    /// Initial restart delay, a Go duration (`500ms`).
    pub fn backoff_delay(mut self, delay: impl Into<String>) -> Self {
        self.backoff_delay = Some(delay.into());
        self
    }

    /// Factor the delay grows by after each restart.
    pub fn backoff_factor(mut self, factor: f64) -> Self {
        self.backoff_factor = Some(factor);
        self
    }

    /// Longest restart delay, a Go duration (`30s`).
    pub fn backoff_limit(mut self, limit: impl Into<String>) -> Self {
        self.backoff_limit = Some(limit.into());
        self
    }

    /// Wait between SIGTERM and SIGKILL, a Go duration (`5s`).
    pub fn kill_delay(mut self, delay: impl Into<String>) -> Self {
        self.kill_delay = Some(delay.into());
        self
    }

    pub(super) fn node(&self) -> Node {
        let mut m = vec![(
            Key::Field("override"),
            Node::Plain(self.override_.as_str().into()),
        )];
        opt_str(&mut m, "summary", &self.summary);
        opt_str(&mut m, "description", &self.description);
        opt_str(&mut m, "command", &self.command);
        if let Some(enabled) = self.startup {
            let v = if enabled { "enabled" } else { "disabled" };
            m.push((Key::Field("startup"), Node::Plain(v.into())));
        }
        string_map(&mut m, "environment", &self.environment);
        opt_str(&mut m, "user", &self.user);
        opt_int(&mut m, "user-id", self.user_id);
        opt_str(&mut m, "group", &self.group);
        opt_int(&mut m, "group-id", self.group_id);
        opt_str(&mut m, "working-dir", &self.working_dir);
        string_list(&mut m, "after", &self.after);
        string_list(&mut m, "before", &self.before);
        string_list(&mut m, "requires", &self.requires);
        if let Some(a) = self.on_success {
            m.push((Key::Field("on-success"), Node::Plain(a.as_str().into())));
        }
        if let Some(a) = self.on_failure {
            m.push((Key::Field("on-failure"), Node::Plain(a.as_str().into())));
        }
        if !self.on_check_failure.is_empty() {
            let checks = self
                .on_check_failure
                .iter()
                .map(|(c, a)| (Key::User(c.clone()), Node::Plain(a.as_str().into())))
                .collect();
            m.push((Key::Field("on-check-failure"), Node::Map(checks)));
        }
        opt_str(&mut m, "backoff-delay", &self.backoff_delay);
        if let Some(f) = self.backoff_factor {
            m.push((Key::Field("backoff-factor"), Node::Plain(float(f))));
        }
        opt_str(&mut m, "backoff-limit", &self.backoff_limit);
        opt_str(&mut m, "kill-delay", &self.kill_delay);
        Node::Map(m)
    }
}
