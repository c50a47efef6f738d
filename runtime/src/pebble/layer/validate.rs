//! `Layer.Validate` (each layer on its own, at parse time) and
//! `Plan.Validate` (the combined plan). Pebble walks Go maps, so when a
//! layer has several problems the one it reports varies; charmbox walks
//! names in sorted order and always reports the same one.

use std::collections::BTreeMap;

use super::decode::Decoded;
use super::model::*;
use super::order;
use super::shlex;
use crate::go::quote::quote;
use crate::go::strconv::format_float;
use crate::pebble::accounts::Accounts;

fn err<T>(m: String) -> Result<T, FormatError> {
    Err(FormatError(m))
}

/// The log target types this Pebble forwards to.
pub const LOG_TARGET_TYPES: [&str; 3] = ["loki", "opentelemetry", "syslog"];

fn valid_action(action: &str, extra: &str) -> bool {
    matches!(action, "" | "restart" | "shutdown" | "ignore") || action == extra
}

fn sorted<T>(entries: Vec<(String, T)>) -> Vec<(String, T)> {
    let mut e = entries;
    e.sort_by(|a, b| a.0.cmp(&b.0));
    e
}

/// `Layer.Validate`, turning a decoded layer into a [`Layer`].
pub fn validate_layer(
    order: i64,
    label: &str,
    d: Decoded,
    accounts: &Accounts,
) -> Result<Layer, FormatError> {
    if label.starts_with("pebble-") {
        return err("cannot use reserved label prefix \"pebble-\"".into());
    }
    let mut layer = Layer {
        order,
        label: label.to_string(),
        summary: d.summary,
        description: d.description,
        ..Default::default()
    };
    for (name, service) in sorted(d.services) {
        let q = quote(&name);
        if name.is_empty() {
            return err("cannot use empty string as service name".into());
        }
        if name == "pebble" {
            return err(format!("cannot use reserved service name {q}"));
        }
        if name.starts_with('-') {
            return err(format!(
                "cannot use service name {q}: starting with \"-\" not allowed"
            ));
        }
        let Some(mut s) = service else {
            return err(format!("service object cannot be null for service {q}"));
        };
        s.name = name.clone();
        if let Err(e) = shlex::parse_command(&s.command) {
            return err(format!(
                "plan service {q} command invalid: cannot parse service {q} command: {e}"
            ));
        }
        if !valid_action(&s.on_success, "failure-shutdown") {
            return err(format!(
                "plan service {q} on-success action {} invalid",
                quote(&s.on_success)
            ));
        }
        if !valid_action(&s.on_failure, "success-shutdown") {
            return err(format!(
                "plan service {q} on-failure action {} invalid",
                quote(&s.on_failure)
            ));
        }
        for action in s.on_check_failure.iter().flat_map(|m| m.values()) {
            if !valid_action(action, "success-shutdown") {
                return err(format!(
                    "plan service {q} on-check-failure action {} invalid",
                    quote(action)
                ));
            }
        }
        if s.backoff_factor.is_set && s.backoff_factor.value < 1.0 {
            return err(format!(
                "plan service {q} backoff-factor must be 1.0 or greater, not {}",
                format_float(s.backoff_factor.value)
            ));
        }
        layer.services.insert(name, s);
    }
    for (name, check) in sorted(d.checks) {
        let q = quote(&name);
        if name.is_empty() {
            return err("cannot use empty string as check name".into());
        }
        let Some(mut c) = check else {
            return err(format!("check object cannot be null for check {q}"));
        };
        c.name = name.clone();
        if !matches!(c.level.as_str(), "" | "alive" | "ready") {
            return err(format!(
                "plan check {q} level must be \"alive\" or \"ready\""
            ));
        }
        if !matches!(c.startup.as_str(), "" | "enabled" | "disabled") {
            return err(format!(
                "plan check {q} startup must be \"enabled\" or \"disabled\""
            ));
        }
        if c.period.is_set && c.period.value.0 == 0 {
            return err(format!("plan check {q} period must not be zero"));
        }
        if c.timeout.is_set && c.timeout.value.0 == 0 {
            return err(format!("plan check {q} timeout must not be zero"));
        }
        if let Some(e) = &c.exec {
            if let Err(m) = shlex::split(&e.command) {
                return err(format!("plan check {q} command invalid: {m}"));
            }
            if let Err(m) = accounts.normalize(e.user_id, e.group_id, &e.user, &e.group) {
                return err(format!("plan check {q} has invalid user/group: {m}"));
            }
        }
        layer.checks.insert(name, c);
    }
    for (name, target) in sorted(d.log_targets) {
        let q = quote(&name);
        let Some(mut t) = target else {
            return err(format!(
                "log target object cannot be null for log target {q}"
            ));
        };
        t.name = name.clone();
        for label in t.labels.iter().flat_map(|m| m.keys()) {
            if label.starts_with("pebble_") {
                return err(format!(
                    "log target {q}: label {} uses reserved prefix \"pebble_\"",
                    quote(label)
                ));
            }
        }
        if !t.type_.is_empty() && !LOG_TARGET_TYPES.contains(&t.type_.as_str()) {
            return err(format!(
                "log target {q} has unsupported type {}, must be \"loki\", \"opentelemetry\" or \"syslog\"",
                quote(&t.type_)
            ));
        }
        layer.log_targets.insert(name, t);
    }
    for (name, workload) in sorted(d.workloads) {
        let q = quote(&name);
        let Some(mut w) = workload else {
            return err(format!("workload {q} has a null value"));
        };
        if name.is_empty() {
            return err(format!("workload {q} cannot have an empty name"));
        }
        w.name = name.clone();
        layer.workloads.insert(name, w);
    }
    Ok(layer)
}

/// `Plan.Validate` on combined sections.
pub fn validate_plan(
    services: &BTreeMap<String, Service>,
    checks: &BTreeMap<String, Check>,
    log_targets: &BTreeMap<String, LogTarget>,
    workloads: &BTreeMap<String, Workload>,
) -> Result<(), FormatError> {
    for (name, s) in services {
        if s.command.is_empty() {
            return err(format!(
                "plan must define \"command\" for service {}",
                quote(name)
            ));
        }
    }
    for (name, c) in checks {
        let q = quote(name);
        let mut kinds = 0;
        if let Some(h) = &c.http {
            if h.url.is_empty() {
                return err(format!("plan must set \"url\" for http check {q}"));
            }
            kinds += 1;
        }
        if let Some(t) = &c.tcp {
            if t.port == 0 {
                return err(format!("plan must set \"port\" for tcp check {q}"));
            }
            kinds += 1;
        }
        if let Some(e) = &c.exec {
            if e.command.is_empty() {
                return err(format!("plan must set \"command\" for exec check {q}"));
            }
            if !e.service_context.is_empty() && !services.contains_key(&e.service_context) {
                return err(format!(
                    "plan check {q} service context specifies non-existent service {}",
                    quote(&e.service_context)
                ));
            }
            kinds += 1;
        }
        if kinds != 1 {
            return err(format!(
                "plan must specify one of \"http\", \"tcp\", or \"exec\" for check {q}"
            ));
        }
    }
    for (name, t) in log_targets {
        let q = quote(name);
        if t.type_.is_empty() {
            return err(format!(
                "plan must define \"type\" (\"loki\", \"opentelemetry\" or \"syslog\") for log target {q}"
            ));
        }
        for svc in &t.services {
            let svc = svc.strip_prefix('-').unwrap_or(svc);
            if svc == "all" || services.contains_key(svc) {
                continue;
            }
            return err(format!(
                "log target {} specifies unknown service {}",
                quote(&t.name),
                quote(svc)
            ));
        }
        if t.location.is_empty() {
            return err(format!("plan must define \"location\" for log target {q}"));
        }
    }
    let all: Vec<String> = services.keys().cloned().collect();
    order::order(services, &all, false)?;
    for (name, s) in services {
        if !s.workload.is_empty() && !workloads.contains_key(&s.workload) {
            return err(format!(
                "plan service {} cannot run in unknown workload {}",
                quote(name),
                quote(&s.workload)
            ));
        }
    }
    Ok(())
}
