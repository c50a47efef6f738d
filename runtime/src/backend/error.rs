//! Errors a backend returns to a hook-tool call.

use crate::bindings::types::HookError;

/// A hook tool's failure: either Juju's error, handed to the guest, or a
/// fatal host problem (e.g. a replay diverged) that traps the guest.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("{}", hook_error_message(.0))]
    Hook(HookError),
    #[error("{0}")]
    Fatal(String),
}

/// Result of a hook-tool call.
pub type ToolResult<T> = Result<T, ToolError>;

impl From<HookError> for ToolError {
    fn from(e: HookError) -> Self {
        ToolError::Hook(e)
    }
}

/// The message Juju prints after `ERROR ` for this error.
pub fn hook_error_message(e: &HookError) -> &str {
    match e {
        HookError::NotFound(m)
        | HookError::NotLeader(m)
        | HookError::PermissionDenied(m)
        | HookError::InvalidArgument(m)
        | HookError::QuotaExceeded(m)
        | HookError::NotSupported(m)
        | HookError::Other(m) => m,
    }
}

/// Shorthands for building Juju's errors.
pub mod juju {
    use super::*;

    pub fn not_found(m: impl Into<String>) -> ToolError {
        HookError::NotFound(m.into()).into()
    }
    pub fn not_leader(m: impl Into<String>) -> ToolError {
        HookError::NotLeader(m.into()).into()
    }
    pub fn denied(m: impl Into<String>) -> ToolError {
        HookError::PermissionDenied(m.into()).into()
    }
    pub fn invalid(m: impl Into<String>) -> ToolError {
        HookError::InvalidArgument(m.into()).into()
    }
    pub fn quota(m: impl Into<String>) -> ToolError {
        HookError::QuotaExceeded(m.into()).into()
    }
    pub fn unsupported(m: impl Into<String>) -> ToolError {
        HookError::NotSupported(m.into()).into()
    }
    pub fn other(m: impl Into<String>) -> ToolError {
        HookError::Other(m.into()).into()
    }
}
