//! The SDK's error type: Juju's hook-tool errors and Pebble's errors keep
//! their kind and exact message; a charm can add its own messages.

use std::fmt;

use crate::bindings::juju::charm::pebble::PebbleError;
use crate::bindings::juju::charm::types::HookError;

/// Anything that can fail a handler.
///
/// `Display` gives the message Juju or Pebble gave (for a hook tool, the
/// text Juju prints after `ERROR `), so returning the error from
/// [`Charm::handle`](crate::Charm::handle) fails the hook with Juju's words.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A hook tool failed.
    Hook(HookError),
    /// A Pebble call failed (including a change that finished in error).
    Pebble(PebbleError),
    /// A command run with [`Container::exec`](crate::Container::exec) exited
    /// non-zero (`ops.pebble.ExecError`).
    Exec(ExecError),
    /// A config option holds another type than the getter asked for.
    ConfigType {
        /// The option's name.
        key: String,
        /// The type the getter wanted.
        expected: &'static str,
        /// The type the option has.
        found: &'static str,
    },
    /// Data could not be (de)serialised as JSON.
    Json {
        /// What was being read or written.
        what: String,
        /// The serde error.
        source: serde_json::Error,
    },
    /// [`Model::get_relation`](crate::Model::get_relation) found more than
    /// one relation on the endpoint (`ops.TooManyRelatedAppsError`).
    TooManyRelations {
        /// The endpoint.
        endpoint: String,
        /// How many relations it has.
        count: usize,
    },
    /// The SDK refused a call before reaching Juju (a write to a remote
    /// databag, a status a charm may not set, ...).
    Usage(String),
    /// The charm's own error.
    Message(String),
}

/// A command that exited non-zero.
#[derive(Debug, Clone)]
pub struct ExecError {
    /// The command line.
    pub command: Vec<String>,
    /// Its exit code.
    pub exit_code: i32,
    /// Its stdout (lossy UTF-8).
    pub stdout: String,
    /// Its stderr, when kept apart from stdout.
    pub stderr: Option<String>,
}

/// The kind of a [`HookError`], without its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookErrorKind {
    /// Something named does not exist.
    NotFound,
    /// Only the leader may do this.
    NotLeader,
    /// The unit may not see or change this.
    PermissionDenied,
    /// The arguments are wrong.
    InvalidArgument,
    /// A size limit was crossed.
    QuotaExceeded,
    /// The tool cannot be used here.
    NotSupported,
    /// Any other error.
    Other,
}

impl HookError {
    /// Juju's message, exactly.
    pub fn message(&self) -> &str {
        match self {
            HookError::NotFound(m)
            | HookError::NotLeader(m)
            | HookError::PermissionDenied(m)
            | HookError::InvalidArgument(m)
            | HookError::QuotaExceeded(m)
            | HookError::NotSupported(m)
            | HookError::Other(m) => m,
        }
    }

    /// The kind of error.
    pub fn kind(&self) -> HookErrorKind {
        match self {
            HookError::NotFound(_) => HookErrorKind::NotFound,
            HookError::NotLeader(_) => HookErrorKind::NotLeader,
            HookError::PermissionDenied(_) => HookErrorKind::PermissionDenied,
            HookError::InvalidArgument(_) => HookErrorKind::InvalidArgument,
            HookError::QuotaExceeded(_) => HookErrorKind::QuotaExceeded,
            HookError::NotSupported(_) => HookErrorKind::NotSupported,
            HookError::Other(_) => HookErrorKind::Other,
        }
    }
}

impl PebbleError {
    /// Pebble's message (for a failed change, the change's `err`).
    pub fn message(&self) -> &str {
        match self {
            PebbleError::Connection(m) | PebbleError::Change(m) | PebbleError::Timeout(m) => m,
            PebbleError::Api(e) => &e.message,
            PebbleError::Path(e) => &e.message,
        }
    }
}

impl Error {
    /// An error with the charm's own message.
    pub fn msg(message: impl Into<String>) -> Self {
        Error::Message(message.into())
    }

    /// The hook-tool error, if this is one.
    pub fn hook_error(&self) -> Option<&HookError> {
        match self {
            Error::Hook(e) => Some(e),
            _ => None,
        }
    }

    /// The kind of hook-tool error, if this is one.
    pub fn hook_error_kind(&self) -> Option<HookErrorKind> {
        self.hook_error().map(HookError::kind)
    }

    /// The Pebble error, if this is one.
    pub fn pebble_error(&self) -> Option<&PebbleError> {
        match self {
            Error::Pebble(e) => Some(e),
            _ => None,
        }
    }

    pub(crate) fn json(what: impl Into<String>, source: serde_json::Error) -> Self {
        Error::Json {
            what: what.into(),
            source,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Hook(e) => f.write_str(e.message()),
            Error::Pebble(PebbleError::Path(e)) => write!(f, "{} - {}", e.kind, e.message),
            Error::Pebble(e) => f.write_str(e.message()),
            Error::Exec(e) => write!(
                f,
                "non-zero exit code {} executing {:?}, stdout={:?}, stderr={:?}",
                e.exit_code,
                e.command,
                e.stdout,
                e.stderr.as_deref().unwrap_or("")
            ),
            Error::ConfigType {
                key,
                expected,
                found,
            } => write!(f, "config option {key:?} has type {found}, not {expected}"),
            Error::Json { what, source } => write!(f, "{what}: invalid JSON: {source}"),
            Error::TooManyRelations { endpoint, count } => write!(
                f,
                "too many remote applications on {endpoint} ({count} relations, expected at most one)"
            ),
            Error::Usage(m) | Error::Message(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Json { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<HookError> for Error {
    fn from(e: HookError) -> Self {
        Error::Hook(e)
    }
}

impl From<PebbleError> for Error {
    fn from(e: PebbleError) -> Self {
        Error::Pebble(e)
    }
}

impl From<String> for Error {
    fn from(m: String) -> Self {
        Error::Message(m)
    }
}

impl From<&str> for Error {
    fn from(m: &str) -> Self {
        Error::Message(m.to_string())
    }
}

impl From<serde_json::Error> for Error {
    fn from(source: serde_json::Error) -> Self {
        Error::json("JSON data", source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::juju::charm::pebble::PathError;

    #[test]
    fn hook_error_displays_jujus_message_only() {
        let e = Error::from(HookError::NotLeader(
            "cannot write relation settings".into(),
        ));
        assert_eq!(e.to_string(), "cannot write relation settings");
        assert_eq!(e.hook_error_kind(), Some(HookErrorKind::NotLeader));
    }

    #[test]
    fn pebble_errors_display_their_message() {
        let change = Error::from(PebbleError::Change("cannot start service: exited".into()));
        assert_eq!(change.to_string(), "cannot start service: exited");
        let path = Error::from(PebbleError::Path(PathError {
            kind: "not-found".into(),
            message: "stat /x: no such file or directory".into(),
        }));
        assert_eq!(
            path.to_string(),
            "not-found - stat /x: no such file or directory"
        );
    }

    #[test]
    fn charm_messages_pass_through() {
        assert_eq!(
            Error::from("deliberate failure").to_string(),
            "deliberate failure"
        );
        assert!(Error::msg("x").hook_error().is_none());
    }
}
