//! What happened: one record per hook run (the event sequence) and the
//! log lines of the model (the charm's `juju-log` and the agent's own
//! lines), filterable by unit, event and level — what `juju debug-log`
//! should have let the forum thread's author do.

use serde::{Deserialize, Serialize};

/// One hook run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub seq: u64,
    /// Virtual time, ns.
    pub time: u64,
    pub unit: String,
    /// Juju's hook name, or the action's name.
    pub event: String,
    /// The subject: remote unit, secret, storage, action id.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// `ok`, or what failed.
    pub outcome: String,
}

impl EventRecord {
    pub fn ok(&self) -> bool {
        self.outcome == "ok"
    }
}

/// One log line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    pub seq: u64,
    pub time: u64,
    pub unit: String,
    pub event: String,
    /// `DEBUG`, `INFO`, `WARNING`, `ERROR`, `CRITICAL` (or `TRACE`).
    pub level: String,
    /// `unit.<name>.juju-log` for the charm, `juju.worker.uniter` for the agent.
    pub source: String,
    pub message: String,
}

/// Juju's name of a charm log level.
pub fn level_name(l: crate::bindings::types::LogLevel) -> &'static str {
    use crate::bindings::types::LogLevel::*;
    match l {
        Trace => "TRACE",
        Debug => "DEBUG",
        Info => "INFO",
        Warning => "WARNING",
        Error => "ERROR",
        Critical => "CRITICAL",
    }
}

fn level_rank(l: &str) -> u8 {
    match l.to_ascii_uppercase().as_str() {
        "TRACE" => 0,
        "DEBUG" => 1,
        "INFO" => 2,
        "WARNING" | "WARN" => 3,
        "ERROR" => 4,
        "CRITICAL" => 5,
        _ => 2,
    }
}

/// Which log lines and events to show.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    /// A unit (`app/0`) or an application (`app`).
    pub unit: Option<String>,
    /// An event name; a trailing `*` matches a prefix (`db-relation-*`).
    pub event: Option<String>,
    /// The lowest level shown.
    pub level: Option<String>,
}

impl LogFilter {
    fn unit_ok(&self, unit: &str) -> bool {
        match &self.unit {
            None => true,
            Some(f) if f.contains('/') => unit == f,
            Some(f) => unit.split('/').next() == Some(f.as_str()),
        }
    }

    fn event_ok(&self, event: &str) -> bool {
        match &self.event {
            None => true,
            Some(f) => match f.strip_suffix('*') {
                Some(prefix) => event.starts_with(prefix),
                None => event == f,
            },
        }
    }

    pub fn log_ok(&self, e: &LogEntry) -> bool {
        self.unit_ok(&e.unit)
            && self.event_ok(&e.event)
            && self
                .level
                .as_deref()
                .is_none_or(|l| level_rank(&e.level) >= level_rank(l))
    }

    pub fn event_record_ok(&self, e: &EventRecord) -> bool {
        self.unit_ok(&e.unit) && self.event_ok(&e.event)
    }
}

/// A log line as `juju debug-log` prints it.
pub fn format_log(e: &LogEntry) -> String {
    format!(
        "{} {} {} {}: {}",
        clock(e.time),
        e.level,
        e.source,
        e.event,
        e.message
    )
}

/// `HH:MM:SS.mmm` of a virtual time.
pub fn clock(ns: u64) -> String {
    let ms = ns / 1_000_000;
    let s = ms / 1000;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        (s / 3600) % 24,
        (s / 60) % 60,
        s % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(unit: &str, event: &str, level: &str) -> LogEntry {
        LogEntry {
            seq: 1,
            time: 0,
            unit: unit.into(),
            event: event.into(),
            level: level.into(),
            source: "s".into(),
            message: "m".into(),
        }
    }

    #[test]
    fn filters() {
        let f = LogFilter {
            unit: Some("db".into()),
            event: Some("db-relation-*".into()),
            level: Some("warning".into()),
        };
        assert!(f.log_ok(&entry("db/1", "db-relation-changed", "ERROR")));
        assert!(!f.log_ok(&entry("db/1", "db-relation-changed", "INFO")));
        assert!(!f.log_ok(&entry("dbx/1", "db-relation-changed", "ERROR")));
        assert!(!f.log_ok(&entry("db/1", "start", "ERROR")));
        let f = LogFilter {
            unit: Some("db/1".into()),
            ..Default::default()
        };
        assert!(!f.log_ok(&entry("db/10", "start", "INFO")));
    }
}
