//! Errors a backend returns to a hook-tool call: [`ToolError`] (defined
//! beside the bindings, whose hook-error type it is) and shorthands for
//! Juju's errors.

pub use crate::bindings::error::{ToolError, ToolResult, hook_error_message};
use crate::bindings::types::HookError;

impl From<crate::backend::UnexpectedReply> for ToolError {
    fn from(e: crate::backend::UnexpectedReply) -> Self {
        ToolError::Fatal(e.to_string())
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
