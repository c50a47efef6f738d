//! The error type of every trappable `juju:charm` import: a hook tool's
//! failure as the guest sees it, or a fatal host problem that traps it.
//! Defined here, below the backends, so the bindings depend on nothing above
//! them (re-exported as `crate::backend::ToolError`).

use super::types::HookError;

/// A hook tool's failure: either Juju's error, handed to the guest, or a
/// fatal host problem (e.g. a replay diverged) that traps the guest.
#[derive(Debug, Clone, thiserror::Error)]
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
