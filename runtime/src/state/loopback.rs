//! What the unit's own workloads answer on its loopback address: the
//! State's `loopback_http`, one entry per scripted answer. A port with no
//! entry refuses connections, as a port nothing listens on does. The
//! request itself is checked by [`crate::capability::loopback`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::machine::MachineFile;
use crate::bindings::loopback::{HttpRequest, HttpResponse, LoopbackError};
use crate::capability::loopback::{
    MAX_TARGET, check_headers, check_request, is_target, is_token, truncated,
};

/// One answer: a request matching `port`, `method` and `path` gets
/// `status`, `headers` and the body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpAnswer {
    pub port: u16,
    /// The request method; `GET` when left out.
    #[serde(default = "get", skip_serializing_if = "is_get")]
    pub method: String,
    /// The request's path; with a `?`, the path and query must both match,
    /// without, any query matches.
    pub path: String,
    /// The response's status code; 200 when left out.
    #[serde(default = "ok", skip_serializing_if = "is_ok")]
    pub status: u16,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The body: text, or `{base64: ...}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<MachineFile>,
    /// A JSON body (sent with `Content-Type: application/json` unless
    /// `headers` names another).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<serde_json::Value>,
}

fn get() -> String {
    "GET".into()
}

fn is_get(m: &String) -> bool {
    m == "GET"
}

fn ok() -> u16 {
    200
}

fn is_ok(s: &u16) -> bool {
    *s == 200
}

impl HttpAnswer {
    /// The body's bytes and the content type it implies, or why the body
    /// cannot be decoded.
    pub fn body_bytes(&self) -> Result<(Vec<u8>, Option<&'static str>), String> {
        match (&self.body, &self.json) {
            (Some(_), Some(_)) => Err("give `body` or `json`, not both".into()),
            (Some(b), None) => Ok((b.bytes()?, None)),
            (None, Some(v)) => Ok((v.to_string().into_bytes(), Some("application/json"))),
            (None, None) => Ok((Vec::new(), None)),
        }
    }
}

/// Why a State's answer is not one the host can give: (the field under
/// the answer's path, the problem).
pub fn check_answer(a: &HttpAnswer) -> Result<(), (&'static str, String)> {
    if a.port == 0 {
        return Err(("port", "a port is 1 to 65535".into()));
    }
    if !is_token(&a.method) {
        return Err(("method", format!("{:?} is not an HTTP method", a.method)));
    }
    if !is_target(&a.path) {
        return Err((
            "path",
            format!(
                "{:?} is not a path (from `/`, printable, at most {MAX_TARGET} bytes)",
                truncated(&a.path)
            ),
        ));
    }
    if !(100..=599).contains(&a.status) {
        return Err((
            "status",
            format!("{} is not an HTTP status (100 to 599)", a.status),
        ));
    }
    check_headers(a.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())))
        .map_err(|m| ("headers", m))?;
    a.body_bytes().map(|_| ()).map_err(|m| ("body", m))
}

/// Whether anything listens on `port`.
pub fn connect(answers: &[HttpAnswer], port: u16) -> Result<(), LoopbackError> {
    if answers.iter().any(|a| a.port == port) {
        Ok(())
    } else {
        Err(LoopbackError::Refused(format!(
            "nothing listens on loopback port {port} (the State's loopback_http has no answer on it)"
        )))
    }
}

/// The answer to `req` on `port`: the first matching answer; 405 when the
/// path is served with other methods only; 404 when it is not served.
pub fn serve(
    answers: &[HttpAnswer],
    port: u16,
    req: &HttpRequest,
) -> Result<HttpResponse, LoopbackError> {
    check_request(req)?;
    connect(answers, port)?;
    let path = req.target.split('?').next().unwrap_or_default();
    let same_path = |a: &&HttpAnswer| {
        a.port == port
            && if a.path.contains('?') {
                a.path == req.target
            } else {
                a.path == path
            }
    };
    let on_path: Vec<&HttpAnswer> = answers.iter().filter(same_path).collect();
    let head = req.method == "HEAD";
    let found = on_path
        .iter()
        .find(|a| a.method == req.method || (head && a.method == "GET"));
    let Some(a) = found else {
        if on_path.is_empty() {
            return Ok(plain(404, "404 Not Found\n", head));
        }
        let mut allow: Vec<&str> = on_path.iter().map(|a| a.method.as_str()).collect();
        allow.sort_unstable();
        allow.dedup();
        let mut r = plain(405, "405 Method Not Allowed\n", head);
        r.headers.push(("Allow".into(), allow.join(", ")));
        return Ok(r);
    };
    let (body, implied) = a.body_bytes().map_err(LoopbackError::Invalid)?;
    let mut headers: Vec<(String, String)> = a
        .headers
        .iter()
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    if let Some(ct) = implied
        && !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type".into(), ct.into()));
    }
    Ok(HttpResponse {
        status: a.status,
        headers,
        body: if head { Vec::new() } else { body },
    })
}

fn plain(status: u16, text: &str, head: bool) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
        body: if head {
            Vec::new()
        } else {
            text.as_bytes().to_vec()
        },
    }
}

#[cfg(test)]
#[path = "loopback_tests.rs"]
mod tests;
