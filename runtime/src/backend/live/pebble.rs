//! Pebble over its unix socket: under a real Juju unit agent, each
//! [`PebbleCall`] on a container is answered by the container's own Pebble
//! at `/charm/containers/<name>/pebble.socket`. Every call is sent as the
//! HTTP request(s) `ops.pebble.Client` sends for the same operation, and
//! Pebble's JSON envelope (`sync`, `async` with its `change`, `error` with
//! `result.message`/`kind`) is read back into the same [`PebbleReply`] or
//! [`PebbleError`] the simulated backend (`backend/unit/pebble.rs`) gives.
//!
//! [`LivePebble`] makes the calls over any [`PebbleTransport`];
//! [`SocketPebble`] is the transport on the containers' sockets (a hyper 1
//! HTTP/1.1 client on a current-thread tokio runtime, and exec's websockets
//! with tokio-tungstenite). Everything is bounded: response bodies and exec
//! output at [`MAX_BODY`], each request by a timeout ([`REQUEST_TIMEOUT`]
//! unless the call carries its own, as a wait does), and an answer that is
//! not Pebble's (bad JSON, wrong types, huge headers) is a
//! [`PebbleError::Connection`] that says so, never a panic.
//!
//! Which call sends what: the table in `pebble_calls.rs` beside this file.

#[path = "pebble_calls.rs"]
mod calls;
#[cfg(test)]
#[path = "pebble_harness.rs"]
mod harness;
#[path = "pebble_parse.rs"]
mod parse;
#[path = "pebble_socket.rs"]
mod socket;
#[cfg(test)]
#[path = "pebble_socket_tests.rs"]
mod socket_tests;
#[cfg(test)]
#[path = "pebble_tests.rs"]
mod tests;

use std::time::Duration as StdDuration;

use serde_json::Value;

use crate::backend::pebble::{PebbleCall, PebbleReply, PebbleResult};
use crate::bindings::pebble::{ApiError, PebbleError};
pub use crate::pebble::http::{Request, Response};
pub use socket::SocketPebble;

/// The largest response body (or exec output stream) read from Pebble.
pub const MAX_BODY: usize = 64 << 20;

/// How long one request may take, connecting included, unless its call
/// carries its own timeout.
pub const REQUEST_TIMEOUT: StdDuration = StdDuration::from_secs(30);

/// The longest one `GET /v1/changes/<id>/wait` asks Pebble to wait; a
/// longer wait is made of several, as ops' `wait_change` does.
const WAIT_SLICE_MS: u64 = 20_000;

/// How long a wait without a timeout goes on (the simulated Pebble's
/// limit, in its virtual time): 24 h.
const MAX_WAIT_MS: u64 = 24 * 3600 * 1000;

/// One HTTP request to a container's Pebble, and how long it may take.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// Method, path (percent-encoded as it goes on the wire), query pairs
    /// (not yet encoded), headers and body.
    pub request: Request,
    /// The most the whole exchange may take.
    pub timeout: StdDuration,
}

/// Exec's websockets for one command: what to send on `stdio`, whether
/// `stderr` is apart, and how long the output may take to end.
#[derive(Debug, Clone)]
pub struct ExecIo {
    /// The exec task (`result.task-id` of `POST /v1/exec`).
    pub task_id: String,
    /// Sent on `stdio` as binary messages, then `{"command":"end"}`.
    pub stdin: Vec<u8>,
    /// Connect `stderr` too (ops' `combine_stderr=False`).
    pub split_stderr: bool,
    /// The most the websockets may take to end.
    pub timeout: StdDuration,
}

/// What exec's `stdio` and `stderr` websockets sent before their `end`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecStreams {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Sends one HTTP request to a container's Pebble. `Ok(None)`: the
/// container has no socket (Pebble not reachable); `Err`: the exchange
/// failed (refused, timed out, not HTTP, over a limit).
pub trait PebbleTransport: Send {
    /// Send `req` to `container`'s Pebble and read its whole answer.
    fn request(&mut self, container: &str, req: &HttpRequest) -> Result<Option<Response>, String>;

    /// Connect exec's websockets of `io.task_id` (`control`, `stdio`, and
    /// `stderr` when split), send stdin, and read the output until each
    /// stream's `end`. The default: this transport has no websockets.
    fn exec_io(&mut self, container: &str, io: &ExecIo) -> Result<Option<ExecStreams>, String> {
        let _ = (container, io);
        Err("this Pebble transport cannot open exec's websockets".into())
    }

    /// The socket named in "cannot connect" errors.
    fn socket_path(&self, container: &str) -> String {
        format!("/charm/containers/{container}/pebble.socket")
    }
}

/// The typed Pebble calls over any transport.
pub struct LivePebble<T: PebbleTransport> {
    pub transport: T,
}

impl<T: PebbleTransport> LivePebble<T> {
    /// Calls over `transport`.
    pub fn new(transport: T) -> Self {
        LivePebble { transport }
    }

    /// One call on `container`, as ops' pebble.Client makes it.
    pub fn call(&mut self, container: &str, call: PebbleCall) -> PebbleResult {
        let mut s = Session {
            transport: &mut self.transport,
            container,
        };
        Ok(match call {
            // ops' Container makes its client without connecting.
            PebbleCall::Open => Ok(PebbleReply::Done),
            PebbleCall::CanConnect => Ok(PebbleReply::Bool(s.can_connect())),
            call => calls::answer(&mut s, call),
        })
    }
}

/// Pebble's JSON envelope, once it is known not to be an error.
#[derive(Debug)]
struct Envelope {
    /// `change` of an `async` answer.
    change: Option<String>,
    result: Value,
}

/// One call's requests on one container.
struct Session<'a, T> {
    transport: &'a mut T,
    container: &'a str,
}

impl<T: PebbleTransport> Session<'_, T> {
    fn unreachable(&self) -> PebbleError {
        PebbleError::Connection(format!(
            "Could not connect to Pebble: socket not found at {:?} (container restarted?)",
            self.transport.socket_path(self.container)
        ))
    }

    /// Send one request; the answer whatever its status.
    fn send(&mut self, request: Request, timeout: StdDuration) -> Result<Response, PebbleError> {
        let req = HttpRequest { request, timeout };
        match self.transport.request(self.container, &req) {
            Ok(Some(resp)) if resp.body.len() > MAX_BODY => Err(PebbleError::Connection(format!(
                "Pebble's answer to {} {} is larger than the {} MiB limit",
                req.request.method,
                req.request.path,
                MAX_BODY >> 20
            ))),
            Ok(Some(resp)) => Ok(resp),
            Ok(None) => Err(self.unreachable()),
            Err(m) => Err(PebbleError::Connection(m)),
        }
    }

    /// A JSON request as ops' `Client._request` makes it: `Accept:
    /// application/json`, the body (if any) as JSON; the answer's
    /// envelope, or its error as [`PebbleError::Api`].
    fn json(
        &mut self,
        method: &str,
        path: String,
        query: Vec<(String, String)>,
        body: Option<Value>,
        timeout: StdDuration,
    ) -> Result<Envelope, PebbleError> {
        let mut headers = vec![("Accept".to_string(), "application/json".to_string())];
        let body = match body {
            Some(b) => {
                headers.push(("Content-Type".into(), "application/json".into()));
                b.to_string().into_bytes()
            }
            None => Vec::new(),
        };
        let request = Request {
            method: method.into(),
            path,
            query,
            headers,
            body,
        };
        let what = format!("{method} {}", request.path);
        let resp = self.send(request, timeout)?;
        envelope(&what, &resp)
    }

    /// [`Self::json`] with the usual timeout.
    fn call(
        &mut self,
        method: &str,
        path: impl Into<String>,
        query: Vec<(String, String)>,
        body: Option<Value>,
    ) -> Result<Envelope, PebbleError> {
        self.json(method, path.into(), query, body, REQUEST_TIMEOUT)
    }

    /// ops' `can_connect`: `GET /v1/system-info` answers; any failure
    /// (no socket, refused, an error answer) is `false`.
    fn can_connect(&mut self) -> bool {
        self.call("GET", "/v1/system-info", Vec::new(), None)
            .is_ok()
    }

    /// `GET /v1/changes/<id>/wait`, in slices of at most
    /// [`WAIT_SLICE_MS`] (each answered 504 when it passes), until the
    /// change is ready or `timeout_ms` (none: [`MAX_WAIT_MS`]) has passed
    /// in Pebble's answers. A zero timeout looks once (`GET
    /// /v1/changes/<id>`): Pebble reads `timeout=0` as "no timeout".
    fn wait_change(&mut self, id: &str, timeout_ms: Option<u64>) -> Result<Value, PebbleError> {
        let total = timeout_ms.unwrap_or(MAX_WAIT_MS);
        let timed_out = || {
            let ns = i64::try_from(total)
                .unwrap_or(i64::MAX / 1_000_000)
                .saturating_mul(1_000_000);
            PebbleError::Timeout(format!(
                "timed out waiting for change after {}",
                crate::go::duration::Duration(ns)
            ))
        };
        let path = format!("/v1/changes/{}", segment(id));
        if total == 0 {
            let change = self.call("GET", path, Vec::new(), None)?.result;
            return match change.get("ready") {
                Some(Value::Bool(true)) => Ok(change),
                _ => Err(timed_out()),
            };
        }
        let mut left = total;
        loop {
            let slice = left.min(WAIT_SLICE_MS);
            let query = vec![("timeout".to_string(), format_timeout_ms(slice))];
            let http_timeout = StdDuration::from_millis(slice) + REQUEST_TIMEOUT;
            match self.json("GET", format!("{path}/wait"), query, None, http_timeout) {
                Ok(env) => return Ok(env.result),
                Err(PebbleError::Api(e)) if e.status_code == 504 => {
                    left -= slice;
                    if left == 0 {
                        return Err(timed_out());
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Read Pebble's envelope: an error answer (status ≥ 400 or `type:
/// "error"`) is [`PebbleError::Api`] with the HTTP status and
/// `result.message`/`result.kind`; anything else must be a JSON object
/// with a `result`.
fn envelope(what: &str, resp: &Response) -> Result<Envelope, PebbleError> {
    let parsed: Result<Value, _> = serde_json::from_slice(&resp.body);
    let is_error = resp.status >= 400
        || matches!(&parsed, Ok(v) if v.get("type").and_then(Value::as_str) == Some("error"));
    if is_error {
        return Err(api_error(resp, parsed.ok()));
    }
    let ctype = header(&resp.headers, "content-type").unwrap_or("");
    let media = ctype.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return Err(protocol(
            what,
            format!("expected Content-Type 'application/json', got {media:?}"),
        ));
    }
    let v = parsed.map_err(|e| protocol(what, format!("invalid JSON: {e}")))?;
    let Value::Object(mut m) = v else {
        return Err(protocol(what, "the answer is not a JSON object"));
    };
    let change = match m.get("change") {
        None | Some(Value::Null) => None,
        Some(Value::String(c)) => Some(c.clone()),
        Some(_) => return Err(protocol(what, "\"change\" is not a string")),
    };
    let Some(result) = m.remove("result") else {
        return Err(protocol(what, "the answer has no \"result\""));
    };
    Ok(Envelope { change, result })
}

/// An error answer as ops' `APIError`: the HTTP status, and the message
/// and kind of its JSON `result` (or why they could not be read).
fn api_error(resp: &Response, parsed: Option<Value>) -> PebbleError {
    let result = parsed.as_ref().and_then(|v| v.get("result"));
    let message = result
        .and_then(|r| r.get("message"))
        .and_then(Value::as_str);
    let kind = result
        .and_then(|r| r.get("kind"))
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())
        .map(String::from);
    let message = match message {
        Some(m) => m.to_string(),
        None => format!(
            "Pebble answered {} without an error message: {}",
            resp.status,
            String::from_utf8_lossy(&resp.body[..resp.body.len().min(200)])
        ),
    };
    PebbleError::Api(ApiError {
        status_code: resp.status,
        kind,
        message,
    })
}

/// An answer that is not what Pebble sends (ops' `ProtocolError`).
fn protocol(what: &str, why: impl std::fmt::Display) -> PebbleError {
    PebbleError::Connection(format!(
        "Pebble's answer to {what} is not understood: {why}"
    ))
}

/// The first header `name` (any case).
fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// `ms` as ops' `_format_timeout` writes seconds: `1.500s`.
fn format_timeout_ms(ms: u64) -> String {
    format!("{}.{:03}s", ms / 1000, ms % 1000)
}

/// One path segment (an id) percent-encoded: only RFC 3986's unreserved
/// characters are left as they are.
fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
