//! HTTP to the unit's own workloads on its loopback address: what a
//! request, and a scripted answer's parts, may be (bounded, well formed).
//! Every backend checks requests with these rules; the State's answers
//! serve them in [`crate::state::loopback`].

use crate::bindings::loopback::{HttpRequest, LoopbackError};

/// The longest request target (path and query).
pub const MAX_TARGET: usize = 8 * 1024;
/// The most headers of one request or answer.
pub const MAX_HEADERS: usize = 128;
/// The most bytes of one request's or answer's header names and values.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// The most answers one State may hold.
pub const MAX_ANSWERS: usize = 1_024;

/// RFC 9110's `tchar`: what a method and a header name are made of.
pub fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 256
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A header value: no line breaks or NUL (they would end the header).
fn is_field_value(s: &str) -> bool {
    !s.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0))
}

/// A request target: origin form (`/path?query`), printable, bounded.
pub fn is_target(s: &str) -> bool {
    s.starts_with('/') && s.len() <= MAX_TARGET && s.bytes().all(|b| b.is_ascii_graphic())
}

/// Headers within bounds, each well formed.
pub fn check_headers<'a>(
    headers: impl ExactSizeIterator<Item = (&'a str, &'a str)>,
) -> Result<(), String> {
    if headers.len() > MAX_HEADERS {
        return Err(format!("more than {MAX_HEADERS} headers"));
    }
    let mut bytes = 0;
    for (name, value) in headers {
        if !is_token(name) {
            return Err(format!("{name:?} is not a header name"));
        }
        if !is_field_value(value) {
            return Err(format!("the value of header {name:?} holds a line break"));
        }
        bytes += name.len() + value.len();
    }
    if bytes > MAX_HEADER_BYTES {
        return Err(format!("headers over {MAX_HEADER_BYTES} bytes"));
    }
    Ok(())
}

/// Whether the host takes this request (the body is metered by the host).
pub fn check_request(req: &HttpRequest) -> Result<(), LoopbackError> {
    if !is_token(&req.method) {
        return Err(LoopbackError::Invalid(format!(
            "{:?} is not an HTTP method",
            req.method
        )));
    }
    if !is_target(&req.target) {
        return Err(LoopbackError::Invalid(format!(
            "{:?} is not a request target (a path from `/`, printable, at most {MAX_TARGET} bytes)",
            truncated(&req.target)
        )));
    }
    check_headers(req.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())))
        .map_err(LoopbackError::Invalid)
}

/// At most 64 characters of `s`, for messages.
pub fn truncated(s: &str) -> &str {
    match s.char_indices().nth(64) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
