//! Loopback HTTP for real, under a unit agent: a request to a loopback
//! port the pack grants (`charmbox pack --grant-loopback-port`) goes to
//! 127.0.0.1 on the unit's machine (in a pod: the workload's containers),
//! one connection per request, bounded in time and size. Any other port is
//! refused as a closed one.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::backend::loopback::{HttpRequest, HttpResponse, LoopbackAnswer, LoopbackCall};
use crate::bindings::loopback::LoopbackError;

/// The most bytes of one response (head and body).
pub const MAX_RESPONSE_BYTES: usize = 16 << 20;
/// The most headers of one response.
const MAX_RESPONSE_HEADERS: usize = 128;
/// How long one request may take when the dispatch has no deadline.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The loopback ports this dispatch may reach, and for how long each
/// request may take.
#[derive(Debug, Clone)]
pub struct HostLoopback {
    granted: BTreeSet<u16>,
    timeout: Duration,
}

impl HostLoopback {
    /// `granted` ports, each request for at most `timeout`.
    pub fn new(granted: BTreeSet<u16>, timeout: Duration) -> Self {
        HostLoopback { granted, timeout }
    }

    /// No port granted.
    pub fn none() -> Self {
        Self::new(BTreeSet::new(), DEFAULT_TIMEOUT)
    }

    /// Answer `call` on `port`.
    pub fn call(&self, port: u16, call: &LoopbackCall) -> LoopbackAnswer {
        if !self.granted.contains(&port) {
            return Err(LoopbackError::Refused(format!(
                "loopback port {port} is not granted to this charm \
                 (pack it with `charmbox pack --grant-loopback-port {port}`)"
            )));
        }
        let stream = self.connect(port)?;
        match call {
            LoopbackCall::Connect => Ok(None),
            LoopbackCall::Request { request } => self.exchange(stream, request).map(Some),
        }
    }

    fn connect(&self, port: u16) -> Result<TcpStream, LoopbackError> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        TcpStream::connect_timeout(&addr, self.timeout)
            .map_err(|e| LoopbackError::Refused(format!("loopback port {port}: {e}")))
    }

    fn exchange(
        &self,
        mut stream: TcpStream,
        req: &HttpRequest,
    ) -> Result<HttpResponse, LoopbackError> {
        let failed = |e: std::io::Error| LoopbackError::Invalid(format!("loopback request: {e}"));
        let deadline = Instant::now() + self.timeout;
        stream
            .set_write_timeout(Some(self.timeout))
            .map_err(failed)?;
        stream.write_all(&request_bytes(req)).map_err(failed)?;
        let mut data = Vec::new();
        let mut buf = [0u8; 64 * 1024];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(LoopbackError::Invalid(format!(
                    "loopback request: no complete answer within {:?}",
                    self.timeout
                )));
            }
            stream.set_read_timeout(Some(left)).map_err(failed)?;
            let n = match stream.read(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(failed(e)),
            };
            if n == 0 {
                break;
            }
            if data.len() + n > MAX_RESPONSE_BYTES {
                return Err(LoopbackError::Invalid(format!(
                    "loopback answer over {MAX_RESPONSE_BYTES} bytes"
                )));
            }
            data.extend_from_slice(&buf[..n]);
        }
        parse_response(&data, req.method == "HEAD")
    }
}

/// The request on the wire: the guest's headers less its framing, then
/// ours (the body whole, one request per connection).
fn request_bytes(req: &HttpRequest) -> Vec<u8> {
    let framing = ["content-length", "transfer-encoding", "connection"];
    let mut head = format!("{} {} HTTP/1.1\r\n", req.method, req.target);
    for (n, v) in &req.headers {
        if !framing.iter().any(|f| n.eq_ignore_ascii_case(f)) {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        req.body.len()
    ));
    let mut out = head.into_bytes();
    out.extend_from_slice(&req.body);
    out
}

/// A whole response read to the end of the connection; informational
/// (1xx) answers before it are skipped.
fn parse_response(mut data: &[u8], head_only: bool) -> Result<HttpResponse, LoopbackError> {
    let bad = |m: String| LoopbackError::Invalid(format!("loopback answer: {m}"));
    loop {
        let mut headers = [httparse::EMPTY_HEADER; MAX_RESPONSE_HEADERS];
        let mut r = httparse::Response::new(&mut headers);
        let at = match r.parse(data) {
            Ok(httparse::Status::Complete(at)) => at,
            Ok(httparse::Status::Partial) => {
                return Err(bad("the connection closed mid-head".into()));
            }
            Err(e) => return Err(bad(e.to_string())),
        };
        let status = r.code.unwrap_or(0);
        let fields: Vec<(String, String)> = r
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_string(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect();
        let rest = &data[at..];
        if (100..200).contains(&status) {
            data = rest;
            continue;
        }
        let field = |name: &str| {
            fields
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().to_string())
        };
        let body = if head_only || status == 204 || status == 304 {
            Vec::new()
        } else if field("transfer-encoding")
            .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"))
        {
            dechunk(rest).map_err(bad)?
        } else if let Some(len) = field("content-length") {
            let len: usize = len
                .parse()
                .map_err(|_| bad(format!("Content-Length {len:?}")))?;
            rest.get(..len)
                .ok_or_else(|| bad("the connection closed mid-body".into()))?
                .to_vec()
        } else {
            rest.to_vec()
        };
        let headers = fields
            .into_iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("transfer-encoding"))
            .collect();
        return Ok(HttpResponse {
            status,
            headers,
            body,
        });
    }
}

/// A chunked body, decoded.
fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let eol = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("a chunk size line without its end")?;
        let size_text =
            std::str::from_utf8(&data[..eol]).map_err(|_| "a chunk size is not text")?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("chunk size {size_text:?}"))?;
        data = &data[eol + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = data.get(..size).ok_or("the connection closed mid-chunk")?;
        body.extend_from_slice(chunk);
        data = data.get(size + 2..).ok_or("a chunk without its end")?;
    }
}

#[cfg(test)]
#[path = "loopback_tests.rs"]
mod tests;
