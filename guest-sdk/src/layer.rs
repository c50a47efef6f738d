//! Pebble layers (`ops.pebble.Layer`): a builder for services and checks
//! that renders the layer YAML Pebble reads.
//!
//! ```ignore
//! let layer = Layer::new()
//!     .summary("fastapi layer")
//!     .service(
//!         "fastapi-service",
//!         Service::new("uvicorn api_demo_server.app:app --host=0.0.0.0 --port=8000")
//!             .summary("fastapi service")
//!             .startup_enabled()
//!             .env("DEMO_SERVER_DB_HOST", "10.0.0.1"),
//!     )
//!     .check("up", Check::http("http://localhost:8000/version").level_alive());
//! container.add_layer("fastapi_demo", &layer, true)?;
//! ```
//!
//! Strings are always written double-quoted and escaped, so no value can
//! change the YAML's structure.

use std::fmt::Write as _;

/// A Pebble layer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layer {
    /// `summary:`.
    pub summary: Option<String>,
    /// `description:`.
    pub description: Option<String>,
    /// `services:`, in the order given.
    pub services: Vec<(String, Service)>,
    /// `checks:`, in the order given.
    pub checks: Vec<(String, Check)>,
}

impl Layer {
    /// An empty layer.
    pub fn new() -> Self {
        Self::default()
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

    /// Add (or replace) a service.
    pub fn service(mut self, name: impl Into<String>, service: Service) -> Self {
        upsert(&mut self.services, name.into(), service);
        self
    }

    /// Add (or replace) a health check.
    pub fn check(mut self, name: impl Into<String>, check: Check) -> Self {
        upsert(&mut self.checks, name.into(), check);
        self
    }

    /// The layer as Pebble layer YAML.
    pub fn to_yaml(&self) -> String {
        let mut root = Vec::new();
        opt_str(&mut root, "summary", &self.summary);
        opt_str(&mut root, "description", &self.description);
        if !self.services.is_empty() {
            let services = self
                .services
                .iter()
                .map(|(name, s)| (Key::User(name.clone()), s.node()))
                .collect();
            root.push((Key::Field("services"), Node::Map(services)));
        }
        if !self.checks.is_empty() {
            let checks = self
                .checks
                .iter()
                .map(|(name, c)| (Key::User(name.clone()), c.node()))
                .collect();
            root.push((Key::Field("checks"), Node::Map(checks)));
        }
        let mut out = String::new();
        if root.is_empty() {
            out.push_str("{}\n");
        } else {
            emit_map(&mut out, &root, 0);
        }
        out
    }
}

fn upsert<T>(items: &mut Vec<(String, T)>, name: String, value: T) {
    match items.iter_mut().find(|(n, _)| *n == name) {
        Some(slot) => slot.1 = value,
        None => items.push((name, value)),
    }
}

/// How a layer's entry combines with the same entry of earlier layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Override {
    /// Replace the earlier definition entirely.
    #[default]
    Replace,
    /// Merge field by field.
    Merge,
}

impl Override {
    fn as_str(self) -> &'static str {
        match self {
            Override::Replace => "replace",
            Override::Merge => "merge",
        }
    }
}

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

    fn node(&self) -> Node {
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

/// What a check probes.
#[derive(Debug, Clone, PartialEq)]
pub enum Probe {
    /// `http:` — GET `url`, success on 2xx.
    Http {
        /// The URL.
        url: String,
        /// Extra request headers.
        headers: Vec<(String, String)>,
    },
    /// `tcp:` — connect to `port`.
    Tcp {
        /// The port.
        port: u16,
        /// The host (default localhost).
        host: Option<String>,
    },
    /// `exec:` — run `command`, success on exit 0.
    Exec {
        /// The command line.
        command: String,
        /// Run in this service's context.
        service_context: Option<String>,
        /// Extra environment.
        environment: Vec<(String, String)>,
        /// Working directory.
        working_dir: Option<String>,
    },
    /// No probe given (a `merge` entry that only changes settings).
    Unset,
}

/// A health check of a layer (`checks:` entry).
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// `override:`.
    pub override_: Override,
    /// `level:` (`alive` or `ready`).
    pub level: Option<String>,
    /// `startup:` (`Some(true)` for `enabled`).
    pub startup: Option<bool>,
    /// `period:`, a Go duration.
    pub period: Option<String>,
    /// `timeout:`, a Go duration.
    pub timeout: Option<String>,
    /// `threshold:`.
    pub threshold: Option<u32>,
    /// The probe (`http`, `tcp` or `exec`).
    pub probe: Probe,
}

impl Check {
    fn with(probe: Probe) -> Self {
        Check {
            override_: Override::Replace,
            level: None,
            startup: None,
            period: None,
            timeout: None,
            threshold: None,
            probe,
        }
    }

    /// A check that GETs `url` and wants a 2xx answer.
    pub fn http(url: impl Into<String>) -> Self {
        Self::with(Probe::Http {
            url: url.into(),
            headers: Vec::new(),
        })
    }

    /// A check that opens a TCP connection to `port` (on localhost).
    pub fn tcp(port: u16) -> Self {
        Self::with(Probe::Tcp { port, host: None })
    }

    /// A check that runs `command` and wants exit 0.
    pub fn exec(command: impl Into<String>) -> Self {
        Self::with(Probe::Exec {
            command: command.into(),
            service_context: None,
            environment: Vec::new(),
            working_dir: None,
        })
    }

    /// Set how the entry combines with earlier layers.
    pub fn override_mode(mut self, mode: Override) -> Self {
        self.override_ = mode;
        self
    }

    /// `level: alive`.
    pub fn level_alive(mut self) -> Self {
        self.level = Some("alive".into());
        self
    }

    /// `level: ready`.
    pub fn level_ready(mut self) -> Self {
        self.level = Some("ready".into());
        self
    }

    /// `startup: enabled` / `disabled`.
    pub fn startup(mut self, enabled: bool) -> Self {
        self.startup = Some(enabled);
        self
    }

    /// How often to run, a Go duration (`10s`).
    pub fn period(mut self, period: impl Into<String>) -> Self {
        self.period = Some(period.into());
        self
    }

    /// How long one run may take, a Go duration (`3s`).
    pub fn timeout(mut self, timeout: impl Into<String>) -> Self {
        self.timeout = Some(timeout.into());
        self
    }

    /// Failures in a row before the check is down.
    pub fn threshold(mut self, threshold: u32) -> Self {
        self.threshold = Some(threshold);
        self
    }

    /// Add an HTTP header (http checks); ignored by other checks.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        if let Probe::Http { headers, .. } = &mut self.probe {
            upsert(headers, name.into(), value.into());
        }
        self
    }

    /// Connect to this host (tcp checks); ignored by other checks.
    pub fn host(mut self, name: impl Into<String>) -> Self {
        if let Probe::Tcp { host, .. } = &mut self.probe {
            *host = Some(name.into());
        }
        self
    }

    /// Run with a service's context (exec checks); ignored by other checks.
    pub fn service_context(mut self, service: impl Into<String>) -> Self {
        if let Probe::Exec {
            service_context, ..
        } = &mut self.probe
        {
            *service_context = Some(service.into());
        }
        self
    }

    /// Add an environment variable (exec checks); ignored by other checks.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        if let Probe::Exec { environment, .. } = &mut self.probe {
            upsert(environment, key.into(), value.into());
        }
        self
    }

    /// Run in this directory (exec checks); ignored by other checks.
    pub fn working_dir(mut self, dir: impl Into<String>) -> Self {
        if let Probe::Exec { working_dir, .. } = &mut self.probe {
            *working_dir = Some(dir.into());
        }
        self
    }

    fn node(&self) -> Node {
        let mut m = vec![(
            Key::Field("override"),
            Node::Plain(self.override_.as_str().into()),
        )];
        if let Some(level) = &self.level {
            m.push((Key::Field("level"), Node::Plain(level.clone())));
        }
        if let Some(enabled) = self.startup {
            let v = if enabled { "enabled" } else { "disabled" };
            m.push((Key::Field("startup"), Node::Plain(v.into())));
        }
        opt_str(&mut m, "period", &self.period);
        opt_str(&mut m, "timeout", &self.timeout);
        opt_int(&mut m, "threshold", self.threshold);
        let (field, probe) = match &self.probe {
            Probe::Http { url, headers } => {
                let mut p = vec![(Key::Field("url"), Node::Str(url.clone()))];
                string_map(&mut p, "headers", headers);
                ("http", p)
            }
            Probe::Tcp { port, host } => {
                let mut p = vec![(Key::Field("port"), Node::Plain(port.to_string()))];
                opt_str(&mut p, "host", host);
                ("tcp", p)
            }
            Probe::Exec {
                command,
                service_context,
                environment,
                working_dir,
            } => {
                let mut p = vec![(Key::Field("command"), Node::Str(command.clone()))];
                opt_str(&mut p, "service-context", service_context);
                string_map(&mut p, "environment", environment);
                opt_str(&mut p, "working-dir", working_dir);
                ("exec", p)
            }
            Probe::Unset => return Node::Map(m),
        };
        m.push((Key::Field(field), Node::Map(probe)));
        Node::Map(m)
    }
}

// -- a minimal YAML emitter ---------------------------------------------------

/// A map key: one of Pebble's field names (written bare) or a name the
/// charm chose (written quoted).
#[derive(Debug)]
enum Key {
    Field(&'static str),
    User(String),
}

#[derive(Debug)]
enum Node {
    /// A string, always double-quoted.
    Str(String),
    /// A number or a fixed keyword, written as is.
    Plain(String),
    Map(Vec<(Key, Node)>),
    List(Vec<Node>),
}

fn opt_str(m: &mut Vec<(Key, Node)>, field: &'static str, value: &Option<String>) {
    if let Some(v) = value {
        m.push((Key::Field(field), Node::Str(v.clone())));
    }
}

fn opt_int(m: &mut Vec<(Key, Node)>, field: &'static str, value: Option<u32>) {
    if let Some(v) = value {
        m.push((Key::Field(field), Node::Plain(v.to_string())));
    }
}

fn string_map(m: &mut Vec<(Key, Node)>, field: &'static str, pairs: &[(String, String)]) {
    if !pairs.is_empty() {
        let entries = pairs
            .iter()
            .map(|(k, v)| (Key::User(k.clone()), Node::Str(v.clone())))
            .collect();
        m.push((Key::Field(field), Node::Map(entries)));
    }
}

fn string_list(m: &mut Vec<(Key, Node)>, field: &'static str, items: &[String]) {
    if !items.is_empty() {
        let items = items.iter().map(|s| Node::Str(s.clone())).collect();
        m.push((Key::Field(field), Node::List(items)));
    }
}

/// A float as YAML reads it back (`2.0`, not `2`; no `inf`/`NaN` forms).
fn float(f: f64) -> String {
    if f.is_finite() {
        let s = f.to_string();
        if s.contains(['.', 'e', 'E']) {
            s
        } else {
            format!("{s}.0")
        }
    } else if f.is_nan() {
        ".nan".to_string()
    } else if f > 0.0 {
        ".inf".to_string()
    } else {
        "-.inf".to_string()
    }
}

/// Write `s` as a YAML double-quoted scalar.
fn quote(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Other C0/C1 controls, DEL, YAML's extra line breaks and the BOM.
            c if (c as u32) < 0x20
                || ('\u{7f}'..='\u{9f}').contains(&c)
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') =>
            {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn emit_key(out: &mut String, key: &Key) {
    match key {
        Key::Field(f) => out.push_str(f),
        Key::User(k) => quote(out, k),
    }
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn emit_map(out: &mut String, entries: &[(Key, Node)], level: usize) {
    for (key, value) in entries {
        indent(out, level);
        emit_key(out, key);
        out.push(':');
        emit_value(out, value, level);
    }
}

/// Write a value after `key:` (or `-`), ending the line.
fn emit_value(out: &mut String, value: &Node, level: usize) {
    match value {
        Node::Str(s) => {
            out.push(' ');
            quote(out, s);
            out.push('\n');
        }
        Node::Plain(p) => {
            out.push(' ');
            out.push_str(p);
            out.push('\n');
        }
        Node::Map(m) if m.is_empty() => out.push_str(" {}\n"),
        Node::List(l) if l.is_empty() => out.push_str(" []\n"),
        Node::Map(m) => {
            out.push('\n');
            emit_map(out, m, level + 1);
        }
        Node::List(items) => {
            out.push('\n');
            for item in items {
                indent(out, level + 1);
                out.push('-');
                emit_value(out, item, level + 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_service_layer() {
        let layer = Layer::new()
            .summary("fastapi layer")
            .service(
                "fastapi-service",
                Service::new("uvicorn app:app --port=8000")
                    .summary("fastapi service")
                    .startup_enabled()
                    .env("DB_HOST", "10.0.0.1")
                    .env("DB_PORT", "5432")
                    .after("db")
                    .on_check_failure("up", ServiceAction::Restart)
                    .backoff_factor(2.0),
            )
            .check(
                "up",
                Check::http("http://localhost:8000/version")
                    .level_alive()
                    .period("10s")
                    .threshold(3),
            );
        let expected = r#"summary: "fastapi layer"
services:
  "fastapi-service":
    override: replace
    summary: "fastapi service"
    command: "uvicorn app:app --port=8000"
    startup: enabled
    environment:
      "DB_HOST": "10.0.0.1"
      "DB_PORT": "5432"
    after:
      - "db"
    on-check-failure:
      "up": restart
    backoff-factor: 2.0
checks:
  "up":
    override: replace
    level: alive
    period: "10s"
    threshold: 3
    http:
      url: "http://localhost:8000/version"
"#;
        assert_eq!(layer.to_yaml(), expected);
    }

    #[test]
    fn strings_cannot_break_out_of_their_scalar() {
        let layer = Layer::new().service(
            "evil\": x",
            Service::new("sh -c \"echo hi\"\nrm -rf /\\ \t\u{1}\u{2028}ok: é"),
        );
        let yaml = layer.to_yaml();
        assert_eq!(
            yaml,
            "services:\n  \"evil\\\": x\":\n    override: replace\n    command: \"sh -c \\\"echo hi\\\"\\nrm -rf /\\\\ \\t\\u0001\\u2028ok: é\"\n"
        );
        assert_eq!(yaml.lines().count(), 4);
    }

    #[test]
    fn tcp_and_exec_checks() {
        let yaml = Layer::new()
            .check("port", Check::tcp(5432).host("db"))
            .check(
                "cmd",
                Check::exec("pg_isready")
                    .env("PGUSER", "postgres")
                    .level_ready()
                    .startup(false),
            )
            .to_yaml();
        assert_eq!(
            yaml,
            r#"checks:
  "port":
    override: replace
    tcp:
      port: 5432
      host: "db"
  "cmd":
    override: replace
    level: ready
    startup: disabled
    exec:
      command: "pg_isready"
      environment:
        "PGUSER": "postgres"
"#
        );
    }

    #[test]
    fn later_definitions_replace_earlier_ones() {
        let layer = Layer::new()
            .service("a", Service::new("one"))
            .service("a", Service::new("two").env("K", "1").env("K", "2"));
        assert_eq!(
            layer.to_yaml(),
            "services:\n  \"a\":\n    override: replace\n    command: \"two\"\n    environment:\n      \"K\": \"2\"\n"
        );
    }

    #[test]
    fn empty_layer_is_an_empty_map() {
        assert_eq!(Layer::new().to_yaml(), "{}\n");
    }

    #[test]
    fn floats_stay_floats() {
        assert_eq!(float(2.0), "2.0");
        assert_eq!(float(1.5), "1.5");
        assert_eq!(float(f64::INFINITY), ".inf");
    }
}
