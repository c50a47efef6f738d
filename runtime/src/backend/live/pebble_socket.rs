//! [`SocketPebble`]: the containers' Pebble sockets, `<dir>/<name>/pebble.socket`,
//! spoken to with a hyper 1 HTTP/1.1 client (one connection per request,
//! as ops' urllib opener makes them) and tokio-tungstenite for exec's
//! websockets, on a current-thread tokio runtime the transport owns.
//! Everything is bounded: each exchange by its timeout, the answer's head
//! by hyper's buffer, its body and each output stream by [`MAX_BODY`],
//! websocket messages by [`MAX_MESSAGE`].

use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::{SinkExt, Stream, StreamExt};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use tokio::net::UnixStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};

use super::{
    ExecIo, ExecStreams, HttpRequest, MAX_BODY, PebbleTransport, Request, Response, segment,
};

/// The largest websocket message (and frame) read.
pub const MAX_MESSAGE: usize = 16 << 20;

/// The most an answer's head (status line and headers) may take.
const MAX_HEAD: usize = 256 << 10;

/// Stdin goes to `stdio` in messages of this size (ops' 16 KiB).
const STDIN_CHUNK: usize = 16 << 10;

/// Pebble's end-of-stream message on exec's websockets.
const END: &str = r#"{"command":"end"}"#;

/// Pebble on unix sockets: `<containers_dir>/<name>/pebble.socket`.
pub struct SocketPebble {
    containers_dir: PathBuf,
    runtime: Option<tokio::runtime::Runtime>,
}

impl SocketPebble {
    /// The Pebbles of the containers under `containers_dir`
    /// (`/charm/containers` under Juju).
    pub fn new(containers_dir: PathBuf) -> Self {
        SocketPebble {
            containers_dir,
            runtime: None,
        }
    }

    /// `container`'s socket; `None` for a name that is not one directory.
    pub fn socket(&self, container: &str) -> Option<PathBuf> {
        let plain = !container.is_empty()
            && container != "."
            && container != ".."
            && !container.contains(['/', '\0']);
        plain.then(|| self.containers_dir.join(container).join("pebble.socket"))
    }

    /// The socket of `container` if there is one, and the runtime.
    fn ready(
        &mut self,
        container: &str,
    ) -> Result<Option<(PathBuf, &tokio::runtime::Runtime)>, String> {
        let Some(path) = self.socket(container) else {
            return Ok(None);
        };
        if !std::fs::metadata(&path).is_ok_and(|m| m.file_type().is_socket()) {
            return Ok(None);
        }
        if self.runtime.is_none() {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .enable_time()
                .build()
                .map_err(|e| format!("cannot start the Pebble client's runtime: {e}"))?;
            self.runtime = Some(rt);
        }
        Ok(self.runtime.as_ref().map(|rt| (path, rt)))
    }
}

impl PebbleTransport for SocketPebble {
    fn request(&mut self, container: &str, req: &HttpRequest) -> Result<Option<Response>, String> {
        let Some((path, rt)) = self.ready(container)? else {
            return Ok(None);
        };
        let r = &req.request;
        rt.block_on(async {
            match tokio::time::timeout(req.timeout, exchange(&path, r)).await {
                Ok(answer) => answer,
                Err(_) => Err(format!(
                    "Pebble did not answer {} {} within {:?}",
                    r.method, r.path, req.timeout
                )),
            }
        })
    }

    fn exec_io(&mut self, container: &str, io: &ExecIo) -> Result<Option<ExecStreams>, String> {
        let Some((path, rt)) = self.ready(container)? else {
            return Ok(None);
        };
        rt.block_on(async {
            match tokio::time::timeout(io.timeout, exec_streams(&path, io)).await {
                Ok(answer) => answer,
                Err(_) => Err(format!("exec's output did not end within {:?}", io.timeout)),
            }
        })
    }

    fn socket_path(&self, container: &str) -> String {
        match self.socket(container) {
            Some(p) => p.display().to_string(),
            None => format!(
                "{}/{container}/pebble.socket",
                self.containers_dir.display()
            ),
        }
    }
}

/// Connect to the socket; `None` when it is gone.
async fn connect(path: &Path) -> Result<Option<UnixStream>, String> {
    match UnixStream::connect(path).await {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!(
            "cannot connect to Pebble at {}: {e}",
            path.display()
        )),
    }
}

/// One request on a fresh connection, and its whole answer.
async fn exchange(path: &Path, r: &Request) -> Result<Option<Response>, String> {
    let request = build(r)?;
    let Some(stream) = connect(path).await? else {
        return Ok(None);
    };
    let (mut sender, conn) = hyper::client::conn::http1::Builder::new()
        .max_buf_size(MAX_HEAD)
        .handshake::<_, Full<Bytes>>(TokioIo::new(stream))
        .await
        .map_err(|e| format!("cannot talk HTTP to Pebble: {e}"))?;
    let what = format!("{} {}", r.method, r.path);
    let answer = async move {
        let resp = sender
            .send_request(request)
            .await
            .map_err(|e| format!("Pebble's answer to {what} failed: {e}"))?;
        drop(sender);
        let (parts, body) = resp.into_parts();
        let declared = parts
            .headers
            .get(hyper::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_BODY as u64) {
            return Err(too_large(&what));
        }
        let body = Limited::new(body, MAX_BODY)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    too_large(&what)
                } else {
                    format!("cannot read Pebble's answer to {what}: {e}")
                }
            })?
            .to_bytes()
            .to_vec();
        let headers = parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    canonical(k.as_str()),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        Ok(Some(Response {
            status: parts.status.as_u16(),
            headers,
            body,
        }))
    };
    // The connection is driven alongside; it ends once the answer is read
    // and the sender dropped.
    let (answer, _) = tokio::join!(answer, conn.with_upgrades());
    answer
}

fn too_large(what: &str) -> String {
    format!(
        "Pebble's answer to {what} is larger than the {} MiB limit",
        MAX_BODY >> 20
    )
}

/// Headers set by the client itself, not taken from the request.
const OWN_HEADERS: [&str; 4] = ["host", "content-length", "transfer-encoding", "connection"];

/// The hyper request for `r`: `Host: localhost` (ops' base URL), its
/// headers, the target made of its path and query.
fn build(r: &Request) -> Result<hyper::Request<Full<Bytes>>, String> {
    let method = hyper::Method::from_bytes(r.method.as_bytes())
        .map_err(|_| format!("invalid HTTP method {:?}", r.method))?;
    let mut b = hyper::Request::builder()
        .method(method)
        .uri(target(&r.path, &r.query))
        .header(hyper::header::HOST, "localhost");
    for (k, v) in &r.headers {
        if OWN_HEADERS.iter().any(|h| k.eq_ignore_ascii_case(h)) {
            continue;
        }
        let name = hyper::header::HeaderName::from_bytes(k.as_bytes())
            .map_err(|_| format!("invalid header name {k:?}"))?;
        let value = hyper::header::HeaderValue::from_str(v)
            .map_err(|_| format!("invalid value of header {k:?}"))?;
        b = b.header(name, value);
    }
    b.body(Full::new(Bytes::from(r.body.clone())))
        .map_err(|e| format!("invalid request {} {}: {e}", r.method, r.path))
}

/// The request target: the path (bytes a URI cannot hold percent-encoded;
/// a relative one made absolute), then the query, its pairs encoded as
/// Python's `urlencode` encodes them.
fn target(path: &str, query: &[(String, String)]) -> String {
    let mut out = String::new();
    if !path.starts_with('/') {
        out.push('/');
    }
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/%?".contains(&b);
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if !query.is_empty() {
        out.push(if path.contains('?') { '&' } else { '?' });
        let pairs: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{}={}", quote_plus(k), quote_plus(v)))
            .collect();
        out.push_str(&pairs.join("&"));
    }
    out
}

/// Python's `urllib.parse.quote_plus`.
fn quote_plus(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b' ' => out.push('+'),
            b if b.is_ascii_alphanumeric() || b"-._~".contains(&b) => out.push(char::from(b)),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A header name as Go writes it (`Content-Type`): what Pebble sent,
/// since hyper hands names over in lower case.
fn canonical(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        out.push(if upper {
            c.to_ascii_uppercase()
        } else {
            c.to_ascii_lowercase()
        });
        upper = c == '-';
    }
    out
}

type Ws = tokio_tungstenite::WebSocketStream<UnixStream>;

/// Connect websocket `name` of `task`; `None` when the socket is gone.
async fn websocket(path: &Path, task: &str, name: &str) -> Result<Option<Ws>, String> {
    let Some(stream) = connect(path).await? else {
        return Ok(None);
    };
    let url = format!("ws://localhost/v1/tasks/{}/websocket/{name}", segment(task));
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    let (ws, _) = tokio_tungstenite::client_async_with_config(url, stream, Some(config))
        .await
        .map_err(|e| format!("cannot connect exec's {name} websocket: {e}"))?;
    Ok(Some(ws))
}

/// Exec's websockets, as ops' client uses them: connect `control`,
/// `stdio` and (split) `stderr` first (Pebble starts the command once they
/// are there), send stdin on `stdio` then `end`, and read `stdio` and
/// `stderr` until their `end`.
async fn exec_streams(path: &Path, io: &ExecIo) -> Result<Option<ExecStreams>, String> {
    let Some(control) = websocket(path, &io.task_id, "control").await? else {
        return Ok(None);
    };
    let Some(stdio) = websocket(path, &io.task_id, "stdio").await? else {
        return Ok(None);
    };
    let stderr = if io.split_stderr {
        match websocket(path, &io.task_id, "stderr").await? {
            Some(ws) => Some(ws),
            None => return Ok(None),
        }
    } else {
        None
    };
    let (mut sink, stdout) = stdio.split();
    let send = async {
        for chunk in io.stdin.chunks(STDIN_CHUNK) {
            sink.send(Message::binary(chunk.to_vec())).await?;
        }
        sink.send(Message::text(END)).await
    };
    let errors = async {
        match stderr {
            Some(ws) => read_until_end(ws, "stderr").await,
            None => Ok(Vec::new()),
        }
    };
    // A command that ends without reading its stdin closes the stream
    // under the sender: as in ops, that is not an error.
    let (_sent, stdout, stderr) = tokio::join!(send, read_until_end(stdout, "stdout"), errors);
    drop(control);
    Ok(Some(ExecStreams {
        stdout: stdout?,
        stderr: stderr?,
    }))
}

/// The binary messages of an output websocket until its `end` (or its
/// close), at most [`MAX_BODY`] bytes; other text messages are skipped, as
/// ops skips them.
async fn read_until_end<S>(mut ws: S, what: &str) -> Result<Vec<u8>, String>
where
    S: Stream<Item = Result<Message, tungstenite::Error>> + Unpin,
{
    let mut out = Vec::new();
    while let Some(m) = ws.next().await {
        match m {
            Ok(Message::Binary(b)) => {
                if out.len() + b.len() > MAX_BODY {
                    return Err(format!(
                        "exec's {what} is larger than the {} MiB limit",
                        MAX_BODY >> 20
                    ));
                }
                out.extend_from_slice(&b);
            }
            Ok(Message::Text(t)) => {
                let end = serde_json::from_str::<serde_json::Value>(t.as_str())
                    .ok()
                    .is_some_and(|v| v.get("command").and_then(|c| c.as_str()) == Some("end"));
                if end {
                    break;
                }
            }
            Ok(Message::Close(_)) => break,
            Ok(_) => {}
            // A connection closed under the reader: the end of the stream.
            Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => break,
            Err(tungstenite::Error::Protocol(
                tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
            )) => break,
            Err(e) => return Err(format!("exec's {what} websocket failed: {e}")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_encode_as_urllib() {
        assert_eq!(
            target(
                "/v1/files",
                &[
                    ("action".into(), "read".into()),
                    ("path".into(), "/a b/ü&c".into())
                ]
            ),
            "/v1/files?action=read&path=%2Fa+b%2F%C3%BC%26c"
        );
        assert_eq!(target("v1/x y", &[]), "/v1/x%20y");
        assert_eq!(
            target("/v1/a?x=1", &[("y".into(), "2".into())]),
            "/v1/a?x=1&y=2"
        );
    }

    #[test]
    fn header_names_read_as_go_writes_them() {
        assert_eq!(canonical("content-type"), "Content-Type");
        assert_eq!(canonical("x-request-id"), "X-Request-Id");
    }
}
