//! Reading layers and plans back (`ops.pebble.Layer(yaml)`, `Plan`): the
//! YAML Pebble renders (`container.get_plan()`), or layer YAML someone
//! wrote, into [`Layer`], [`Service`] and [`Check`] values that can be
//! inspected and compared.
//!
//! Durations come back as Pebble prints them (`1m0s`, not `1m`), which is
//! Pebble's behaviour, not the SDK's.

use std::collections::BTreeMap;

use crate::Error;
use crate::layer::{Check, Layer, Override, Probe, Service, ServiceAction};
use crate::yaml::{self, Yaml};

fn text(v: Option<&Yaml>) -> Option<String> {
    v.and_then(Yaml::str).map(String::from)
}

fn list(v: Option<&Yaml>) -> Vec<String> {
    v.map(|y| {
        y.items()
            .iter()
            .filter_map(|i| i.str().map(String::from))
            .collect()
    })
    .unwrap_or_default()
}

fn pairs(v: Option<&Yaml>) -> Vec<(String, String)> {
    v.map(|y| {
        y.entries()
            .iter()
            .map(|(k, v)| (k.clone(), v.str().unwrap_or("").to_string()))
            .collect()
    })
    .unwrap_or_default()
}

fn startup(v: Option<&Yaml>) -> Option<bool> {
    match v.and_then(Yaml::str) {
        Some("enabled") => Some(true),
        Some("disabled") => Some(false),
        _ => None,
    }
}

fn action(s: &str) -> Option<ServiceAction> {
    Some(match s {
        "restart" => ServiceAction::Restart,
        "shutdown" => ServiceAction::Shutdown,
        "ignore" => ServiceAction::Ignore,
        "success-shutdown" => ServiceAction::SuccessShutdown,
        "failure-shutdown" => ServiceAction::FailureShutdown,
        _ => return None,
    })
}

fn override_of(v: Option<&Yaml>) -> Override {
    match v.and_then(Yaml::str) {
        Some("merge") => Override::Merge,
        _ => Override::Replace,
    }
}

fn service(y: &Yaml) -> Service {
    Service {
        override_: override_of(y.get("override")),
        command: text(y.get("command")),
        summary: text(y.get("summary")),
        description: text(y.get("description")),
        startup: startup(y.get("startup")),
        environment: pairs(y.get("environment")),
        user: text(y.get("user")),
        user_id: text(y.get("user-id")).and_then(|s| s.parse().ok()),
        group: text(y.get("group")),
        group_id: text(y.get("group-id")).and_then(|s| s.parse().ok()),
        working_dir: text(y.get("working-dir")),
        after: list(y.get("after")),
        before: list(y.get("before")),
        requires: list(y.get("requires")),
        on_success: text(y.get("on-success")).and_then(|s| action(&s)),
        on_failure: text(y.get("on-failure")).and_then(|s| action(&s)),
        on_check_failure: pairs(y.get("on-check-failure"))
            .into_iter()
            .filter_map(|(k, v)| action(&v).map(|a| (k, a)))
            .collect(),
        backoff_delay: text(y.get("backoff-delay")),
        backoff_factor: text(y.get("backoff-factor")).and_then(|s| s.parse().ok()),
        backoff_limit: text(y.get("backoff-limit")),
        kill_delay: text(y.get("kill-delay")),
    }
}

fn check(y: &Yaml) -> Check {
    let probe = if let Some(h) = y.get("http") {
        Probe::Http {
            url: text(h.get("url")).unwrap_or_default(),
            headers: pairs(h.get("headers")),
        }
    } else if let Some(t) = y.get("tcp") {
        Probe::Tcp {
            port: text(t.get("port"))
                .and_then(|p| p.parse().ok())
                .unwrap_or(0),
            host: text(t.get("host")),
        }
    } else if let Some(e) = y.get("exec") {
        Probe::Exec {
            command: text(e.get("command")).unwrap_or_default(),
            service_context: text(e.get("service-context")),
            environment: pairs(e.get("environment")),
            working_dir: text(e.get("working-dir")),
        }
    } else {
        Probe::Unset
    };
    Check {
        override_: override_of(y.get("override")),
        level: text(y.get("level")),
        startup: startup(y.get("startup")),
        period: text(y.get("period")),
        timeout: text(y.get("timeout")),
        threshold: text(y.get("threshold")).and_then(|t| t.parse().ok()),
        probe,
    }
}

fn parse(text: &str) -> Result<Yaml, Error> {
    yaml::parse(text).map_err(|e| Error::Usage(format!("cannot read YAML: {e}")))
}

impl Layer {
    /// Read layer YAML (`ops.pebble.Layer(yaml)`).
    pub fn from_yaml(text: &str) -> Result<Layer, Error> {
        let y = parse(text)?;
        Ok(Layer {
            summary: self::text(y.get("summary")),
            description: self::text(y.get("description")),
            services: y
                .get("services")
                .map(|s| {
                    s.entries()
                        .iter()
                        .map(|(k, v)| (k.clone(), service(v)))
                        .collect()
                })
                .unwrap_or_default(),
            checks: y
                .get("checks")
                .map(|s| {
                    s.entries()
                        .iter()
                        .map(|(k, v)| (k.clone(), check(v)))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// A service of the layer by name.
    pub fn get_service(&self, name: &str) -> Option<&Service> {
        self.services
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s)
    }
}

/// The combined plan of a container (`ops.pebble.Plan`).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Services by name.
    pub services: BTreeMap<String, Service>,
    /// Checks by name.
    pub checks: BTreeMap<String, Check>,
    yaml: String,
}

impl Plan {
    /// Read the plan YAML Pebble renders.
    pub fn from_yaml(text: &str) -> Result<Plan, Error> {
        let layer = Layer::from_yaml(text)?;
        Ok(Plan {
            services: layer.services.into_iter().collect(),
            checks: layer.checks.into_iter().collect(),
            yaml: text.to_string(),
        })
    }

    /// The plan as Pebble rendered it.
    pub fn to_yaml(&self) -> &str {
        &self.yaml
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_plan() {
        let plan = Plan::from_yaml(
            "services:\n    pause:\n        summary: pause service\n        startup: enabled\n        override: replace\n        command: /pause\n        environment:\n            TIMEOUT: \"30\"\n        kill-delay: 1m0s\nchecks:\n    up:\n        override: replace\n        threshold: 3\n        tcp:\n            port: 8080\n",
        )
        .unwrap();
        let s = &plan.services["pause"];
        assert_eq!(s.command.as_deref(), Some("/pause"));
        assert_eq!(s.startup, Some(true));
        assert_eq!(s.environment, vec![("TIMEOUT".into(), "30".into())]);
        assert_eq!(s.kill_delay.as_deref(), Some("1m0s"));
        let c = &plan.checks["up"];
        assert_eq!(c.threshold, Some(3));
        assert_eq!(
            c.probe,
            Probe::Tcp {
                port: 8080,
                host: None
            }
        );
    }

    #[test]
    fn a_layer_round_trips_through_its_yaml() {
        let layer = Layer::new()
            .summary("s")
            .service(
                "svc",
                Service::new("run --it")
                    .startup_enabled()
                    .env("A", "1")
                    .after("db")
                    .on_check_failure("up", ServiceAction::Restart),
            )
            .check("up", Check::http("http://localhost/").level_alive());
        assert_eq!(Layer::from_yaml(&layer.to_yaml()).unwrap(), layer);
    }
}
