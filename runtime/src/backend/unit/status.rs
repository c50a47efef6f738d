//! Status (immediate) and `juju-log`.

use super::{LogLine, UnitBackend, data};
use crate::backend::ToolResult;
use crate::backend::error::juju;
use crate::bindings::types::{ApplicationStatus, LogLevel, StatusInfo, StatusKind};
use crate::state::StatusState;

fn info(s: &StatusState) -> StatusInfo {
    StatusInfo {
        status: s.status.clone(),
        message: s.message.clone(),
        data: Vec::new(),
    }
}

/// Juju's name of a status.
pub fn status_name(s: StatusKind) -> &'static str {
    match s {
        StatusKind::Maintenance => "maintenance",
        StatusKind::Blocked => "blocked",
        StatusKind::Waiting => "waiting",
        StatusKind::Active => "active",
    }
}

impl UnitBackend {
    pub(super) fn status_get(&self) -> StatusInfo {
        info(&self.state.unit_status)
    }

    pub(super) fn application_status_get(&mut self) -> ToolResult<ApplicationStatus> {
        if !self.is_leader() {
            return Err(juju::not_leader(
                "finding application status: this unit is not the leader",
            ));
        }
        let mut units = vec![(self.unit.clone(), info(&self.state.unit_status))];
        units.extend(
            self.state
                .peer_unit_statuses
                .iter()
                .map(|(u, s)| (u.clone(), info(s))),
        );
        units.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(ApplicationStatus {
            application: info(&self.state.app_status),
            units,
        })
    }

    pub(super) fn status_set(
        &mut self,
        application: bool,
        status: StatusKind,
        message: String,
    ) -> ToolResult<()> {
        if application && !self.is_leader() {
            return Err(juju::not_leader("this unit is not the leader"));
        }
        let slot = if application {
            &self.state.app_status
        } else {
            &self.state.unit_status
        };
        self.budget
            .replace(slot.message.len(), message.len())
            .map_err(data::refused)?;
        let new = StatusState {
            status: status_name(status).into(),
            message,
            since: None,
        };
        if application {
            self.state.app_status = new;
        } else {
            self.state.unit_status = new;
        }
        Ok(())
    }

    /// `juju-log`: in relation hooks the tool puts `<endpoint>:<id>: ` before
    /// the message, but not before the agent's own warning about an invalid
    /// `--log-level` (which only the raw tool can produce: it is recognised
    /// by its text, as `HookCall::JujuLog` carries no origin).
    pub(super) fn juju_log(&mut self, level: LogLevel, message: String) -> ToolResult<()> {
        self.budget.log(message.len()).map_err(data::refused)?;
        let message = match &self.ctx.relation {
            Some(_) if level == LogLevel::Warning && is_invalid_level_warning(&message) => message,
            Some(r) => format!("{}:{}: {message}", r.endpoint, r.id),
            None => message,
        };
        tracing::debug!(target: "charm", unit = %self.unit, ?level, "{message}");
        self.logs.push(LogLine { level, message });
        Ok(())
    }
}

/// Juju's `Specified log level of "x" is not valid`, which `juju-log` logs
/// without the relation prefix.
fn is_invalid_level_warning(message: &str) -> bool {
    message.starts_with("Specified log level of \"") && message.ends_with("\" is not valid")
}
