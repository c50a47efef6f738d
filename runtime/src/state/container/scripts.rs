//! The scripted behaviour a State gives a container's Pebble (how each
//! service's process, check and command behaves), the commands it
//! recorded, its users and its pending timers. Plain data: the simulated
//! Pebble reads and writes these, the State schema owns them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::state::is_zero;

/// What one start of a service's process does.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProcessRun {
    /// Exit by itself after this long (a Go duration); absent: run until
    /// signalled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_after: Option<String>,
    /// The code it exits with.
    #[serde(skip_serializing_if = "is_zero")]
    pub exit_code: i32,
    /// SIGTERM does not stop it (only SIGKILL does, after `kill-delay`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ignore_sigterm: bool,
    /// Not even SIGKILL stops it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ignore_sigkill: bool,
    /// Lines it writes (shown as "Most recent service output").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub output: Vec<String>,
    /// The process cannot be started (`cannot start service: <this>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_error: Option<String>,
}

/// The scripted process of one service: one behaviour for every start, or
/// one per start with the last repeating.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ProcessScript {
    Each(Vec<ProcessRun>),
    All(ProcessRun),
}

impl ProcessScript {
    /// The behaviour of start number `start` (counting from 0).
    pub fn run(&self, start: u32) -> ProcessRun {
        match self {
            ProcessScript::All(r) => r.clone(),
            ProcessScript::Each(v) if v.is_empty() => ProcessRun::default(),
            ProcessScript::Each(v) => v[(start as usize).min(v.len() - 1)].clone(),
        }
    }
}

/// The scripted results of a check's runs: `outcomes` in order, then
/// `then` for every later run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckScript {
    /// `"ok"` or `"fail"` (optionally `"fail: <error message>"`), per run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub outcomes: Vec<String>,
    /// The outcome once `outcomes` is used up (default `"ok"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub then: Option<String>,
}

/// How a command behaves, for commands starting with `command`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExecHandler {
    /// The command prefix this handler answers (empty: every command).
    pub command: Vec<String>,
    #[serde(skip_serializing_if = "is_zero")]
    pub exit_code: i32,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stdout: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stderr: String,
    /// How long it runs (a Go duration; default instant).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
}

/// One command that ran, as the State records it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExecRecord {
    pub command: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
    pub working_dir: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<i64>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stdin: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    pub exit_code: i32,
}

/// A user account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home: Option<String>,
}

/// Something scheduled to happen at an instant.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "timer", rename_all = "kebab-case")]
pub enum Timer {
    /// A started service survived the okay delay.
    OkayDelay { service: String, epoch: u64 },
    /// A service's process exits by itself.
    ProcessExit {
        service: String,
        epoch: u64,
        code: i32,
    },
    /// A backing-off service restarts.
    BackoffElapsed { service: String, epoch: u64 },
    /// A service ran for `backoff-limit`: its backoff resets.
    BackoffReset { service: String, epoch: u64 },
    /// SIGTERM was not enough after `kill-delay`: SIGKILL.
    TerminateElapsed { service: String, epoch: u64 },
    /// Still running after SIGKILL: give up.
    KillElapsed { service: String, epoch: u64 },
    /// A running check's period elapsed.
    CheckTick { check: String, epoch: u64 },
}
