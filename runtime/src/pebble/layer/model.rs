//! The layer schema: Pebble's `Layer`, `Service`, `Check`, `LogTarget` and
//! the `workloads` section, field for field. Enumerated fields stay
//! strings, as in Pebble, so a layer keeps whatever it said until
//! validation looks at it.

use std::collections::BTreeMap;

use crate::go::duration::Duration;

/// A string map that remembers whether it was given at all (`{}` and an
/// absent map differ when Pebble compares service definitions).
pub type OptMap = Option<BTreeMap<String, String>>;

/// A duration field that knows whether the layer set it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct OptDuration {
    pub value: Duration,
    pub is_set: bool,
}

impl OptDuration {
    pub fn set(d: Duration) -> OptDuration {
        OptDuration {
            value: d,
            is_set: true,
        }
    }
}

/// A float field that knows whether the layer set it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct OptFloat {
    pub value: f64,
    pub is_set: bool,
}

/// One layer: a label, an order, and its sections.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Layer {
    pub order: i64,
    pub label: String,
    pub summary: String,
    pub description: String,
    pub services: BTreeMap<String, Service>,
    pub checks: BTreeMap<String, Check>,
    pub log_targets: BTreeMap<String, LogTarget>,
    pub workloads: BTreeMap<String, Workload>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Service {
    pub name: String,
    pub summary: String,
    pub description: String,
    pub startup: String,
    pub override_: String,
    pub command: String,
    pub after: Vec<String>,
    pub before: Vec<String>,
    pub requires: Vec<String>,
    pub environment: OptMap,
    pub user_id: Option<i64>,
    pub user: String,
    pub group_id: Option<i64>,
    pub group: String,
    pub working_dir: String,
    pub workload: String,
    pub on_success: String,
    pub on_failure: String,
    pub on_check_failure: OptMap,
    pub backoff_delay: OptDuration,
    pub backoff_factor: OptFloat,
    pub backoff_limit: OptDuration,
    pub kill_delay: OptDuration,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Check {
    pub name: String,
    pub override_: String,
    pub level: String,
    pub startup: String,
    pub period: OptDuration,
    pub timeout: OptDuration,
    pub threshold: i64,
    pub http: Option<HttpCheck>,
    pub tcp: Option<TcpCheck>,
    pub exec: Option<ExecCheck>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct HttpCheck {
    pub url: String,
    pub headers: OptMap,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TcpCheck {
    pub port: i64,
    pub host: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExecCheck {
    pub command: String,
    pub service_context: String,
    pub environment: OptMap,
    pub user_id: Option<i64>,
    pub user: String,
    pub group_id: Option<i64>,
    pub group: String,
    pub working_dir: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogTarget {
    pub name: String,
    pub type_: String,
    pub location: String,
    pub services: Vec<String>,
    pub override_: String,
    pub labels: OptMap,
}

/// An entry of the `workloads:` section (environment and identity that
/// services running in it inherit).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Workload {
    pub name: String,
    pub override_: String,
    pub environment: OptMap,
    pub user_id: Option<i64>,
    pub user: String,
    pub group_id: Option<i64>,
    pub group: String,
}

/// A layer or plan error: Pebble's `FormatError`, its message verbatim.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FormatError(pub String);

pub const DEFAULT_BACKOFF_DELAY: Duration = Duration::from_millis(500);
pub const DEFAULT_BACKOFF_FACTOR: f64 = 2.0;
pub const DEFAULT_BACKOFF_LIMIT: Duration = Duration::from_secs(30);
pub const DEFAULT_CHECK_PERIOD: Duration = Duration::from_secs(10);
pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(3);
pub const DEFAULT_CHECK_THRESHOLD: i64 = 3;

impl Service {
    /// Whether `startup: enabled`.
    pub fn enabled(&self) -> bool {
        self.startup == "enabled"
    }
}

impl Check {
    /// `http`, `tcp` or `exec`.
    pub fn kind(&self) -> &'static str {
        if self.http.is_some() {
            "http"
        } else if self.tcp.is_some() {
            "tcp"
        } else if self.exec.is_some() {
            "exec"
        } else {
            ""
        }
    }

    /// Checks are enabled unless `startup: disabled`.
    pub fn enabled(&self) -> bool {
        self.startup != "disabled"
    }
}
