//! What a native charm's hook-tool executable (`charmbox-jujuc`) shares
//! with the charmbox host: the frames of the agent socket ([`wire`]) and
//! the hook's private mount namespace ([`mounts`]). A crate of its own, with
//! no dependency on the host, so the helper that every tool call executes
//! is small and starts fast (docs/native.md).

pub mod mounts;
pub mod wire;

/// The name of the helper executable: the hook tools (called by a tool's
/// name) and the namespace entry (`charmbox-jujuc enter PLAN`).
pub const HELPER: &str = "charmbox-jujuc";

/// What the helper prints first when it cannot enter the hook's namespace.
pub const ENTER_FAILED: &str = "charmbox-jujuc enter: ";
