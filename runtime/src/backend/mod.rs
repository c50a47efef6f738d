//! The backends that answer a charm's imports: one trait per WIT interface.
//!
//! A backend is one unit's view of a model for one event: the State backend
//! ([`unit`], which the simulator also uses for each unit's hook), or a
//! trace replay ([`crate::trace::replay`]). The host
//! adapters in [`crate::host`] only convert and forward to these traits, and
//! the trace recorder wraps them; neither knows which backend is behind.

pub mod error;
pub mod hook_tools;
pub mod kubernetes;
pub mod live;
pub mod loopback;
pub mod machine;
pub mod pebble;
pub mod reply;
pub mod sandbox;
pub mod unit;

use std::any::Any;

pub use error::{ToolError, ToolResult};
pub use hook_tools::{HookCall, HookReply, HookTools};
pub use kubernetes::KubernetesBackend;
pub use loopback::LoopbackBackend;
pub use machine::MachineBackend;
pub use pebble::PebbleBackend;
pub use reply::UnexpectedReply;
pub use sandbox::SandboxBackend;

/// Everything one dispatch needs from the world outside the guest.
pub trait Backend:
    HookTools
    + PebbleBackend
    + MachineBackend
    + LoopbackBackend
    + KubernetesBackend
    + SandboxBackend
    + Any
    + Send
{
    /// The hook ended: commit the buffered effects when `success`, drop them
    /// otherwise. An error means the commit itself failed (a hook error).
    fn finish(&mut self, success: bool) -> Result<(), String>;

    /// The runtime's host-side limits, told before the dispatch starts;
    /// a backend that holds the unit's data charges them (a [`Budget`]).
    ///
    /// [`Budget`]: crate::limits::Budget
    fn set_limits(&mut self, _limits: &crate::limits::HostLimits) {}

    /// The raw `jujuc` import answered by the backend itself: the live
    /// backend runs the real tool with argv and stdin untouched. `None`
    /// (the default): charmbox's jujuc rules answer it over [`HookTools`].
    fn raw_tool(&mut self, _argv: &[String], _stdin: &[u8]) -> Option<RawToolResult> {
        None
    }
}

/// What a hook tool run as a process wrote and returned; an error is a
/// fatal host problem (the tool could not be run).
pub type RawToolResult = Result<crate::bindings::jujuc::ToolOutput, String>;
