//! The `loopback` interface as a backend trait: HTTP to the unit's own
//! workloads on its loopback address, checked by
//! [`crate::capability::loopback`] before it reaches a backend.

use serde::{Deserialize, Serialize};

pub use crate::bindings::loopback::{HttpRequest, HttpResponse, LoopbackError};

/// What the guest asked of a loopback port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum LoopbackCall {
    /// Open a connection.
    Connect,
    /// One request and its answer.
    Request { request: HttpRequest },
}

/// A connection (`None`) or a request's answer (`Some`), or the refusal.
pub type LoopbackAnswer = Result<Option<HttpResponse>, LoopbackError>;

/// An answer, or a fatal host problem (the guest traps).
pub type LoopbackResult = Result<LoopbackAnswer, String>;

/// The unit's loopback for one dispatch.
pub trait LoopbackBackend {
    /// Answer `call` on loopback `port`.
    fn loopback(&mut self, port: u16, call: &LoopbackCall) -> LoopbackResult;
}
