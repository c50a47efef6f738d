//! HTTP to the unit's own workloads on its loopback address: a sidecar
//! charm asking its workload's server (in another container of the pod)
//! for its version, a machine charm its local daemon. With a State, the
//! State's `loopback_http` answers; a port with no answer refuses.
//!
//! ```no_run
//! use charmbox_sdk::loopback;
//! let r = loopback::get(8000, "/version")?;
//! if r.status == 200 {
//!     let version = String::from_utf8_lossy(&r.body);
//! }
//! # Ok::<(), charmbox_sdk::loopback::LoopbackError>(())
//! ```

use crate::bindings::juju::charm::loopback as raw;

/// Why there is no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoopbackError {
    /// Nothing listens on that port (connection refused).
    Refused(String),
    /// Not a request the host takes (malformed, over its size limits).
    Invalid(String),
}

impl std::fmt::Display for LoopbackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoopbackError::Refused(m) | LoopbackError::Invalid(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for LoopbackError {}

impl From<raw::LoopbackError> for LoopbackError {
    fn from(e: raw::LoopbackError) -> Self {
        match e {
            raw::LoopbackError::Refused(m) => LoopbackError::Refused(m),
            raw::LoopbackError::Invalid(m) => LoopbackError::Invalid(m),
        }
    }
}

/// The workload's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code (200, 404, ...).
    pub status: u16,
    /// Header names and values, in the order the workload sent them.
    pub headers: Vec<(String, String)>,
    /// The body's bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Send `method target` with `headers` and `body` to loopback `port`.
pub fn request(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Response, LoopbackError> {
    raw::connect(port)?;
    let req = raw::HttpRequest {
        method: method.into(),
        target: target.into(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        body: body.to_vec(),
    };
    let r = raw::request(port, &req)?;
    Ok(Response {
        status: r.status,
        headers: r.headers,
        body: r.body,
    })
}

/// `GET target` on loopback `port`.
pub fn get(port: u16, target: &str) -> Result<Response, LoopbackError> {
    request(
        port,
        "GET",
        target,
        &[("Host", &format!("localhost:{port}"))],
        &[],
    )
}
