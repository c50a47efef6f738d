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

mod check;
mod service;
mod yaml;

pub use check::{Check, Probe};
pub use service::{Service, ServiceAction};
use yaml::{Key, Node, emit_map, opt_str};

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

#[cfg(test)]
mod tests {
    use super::yaml::float;
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
