//! The sockets of a native hook, served on the thread that owns the unit's
//! backend: the agent socket its hook tools call, and one Pebble socket per
//! workload container (HTTP/1.1 with hyper, exec's websockets with
//! tungstenite). A current-thread tokio runtime polls every connection; a
//! request, once read whole, is answered at once by the [`Agent`], one at a
//! time in the order they came, as Juju's agent runs one tool at a time.
//! No request crosses a thread, so a tool call's round trip costs the
//! client's and this thread's wake-ups only.

use std::cell::RefCell;
use std::future::Future;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::ExitStatus;
use std::time::Instant;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{Notify, oneshot};

use super::agent::{Agent, End};
use super::websocket;
use super::wire::{self, ToolRequest, ToolResponse};
use crate::backend::Backend;

/// The largest Pebble request body read (a pushed file, multipart).
pub const MAX_PEBBLE_BODY: usize = 64 << 20;

/// How long one connection may take to send its request.
const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The most tool connections served at once; more wait in the socket's
/// backlog. Kept apart from Pebble's, so idle Pebble connections cannot
/// stop the hook's tools.
const MAX_TOOL_CONNECTIONS: usize = 64;

/// The most Pebble connections (and websocket handshakes) served at once.
const MAX_PEBBLE_CONNECTIONS: usize = 256;

/// A failed accept (out of file descriptors, say): wait a little before
/// the next, rather than spin.
async fn refused() {
    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
}

/// The hook's sockets, bound (0600) before the hook starts, so its first
/// call finds them; they are served by [`serve`].
pub struct Listeners {
    tools: std::os::unix::net::UnixListener,
    pebbles: Vec<(String, std::os::unix::net::UnixListener)>,
}

/// Bind `path` for the owner only (0600).
fn bind(path: &Path) -> std::io::Result<std::os::unix::net::UnixListener> {
    let listener = std::os::unix::net::UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

impl Listeners {
    /// The agent socket at `agent` and each `(container, path)` Pebble socket.
    pub fn bind(agent: &Path, pebbles: &[(String, PathBuf)]) -> std::io::Result<Listeners> {
        let tools = bind(agent)?;
        let pebbles = pebbles
            .iter()
            .map(|(c, p)| Ok((c.clone(), bind(p)?)))
            .collect::<std::io::Result<_>>()?;
        Ok(Listeners { tools, pebbles })
    }
}

/// Where the hook's exit status arrives (sent by the thread that waits
/// for the process).
pub type ExitReceiver = oneshot::Receiver<ExitStatus>;

/// A channel for the hook's exit status.
pub fn exit_channel() -> (oneshot::Sender<ExitStatus>, ExitReceiver) {
    oneshot::channel()
}

/// Serve `listeners` on this thread, answering with `agent`, until the
/// hook exits, `deadline` passes, or an answer shows a host problem. Every
/// connection is closed when this returns, as Juju's server closes when
/// the hook ends.
pub fn serve<B: Backend>(
    listeners: Listeners,
    agent: &mut Agent<'_, B>,
    exited: ExitReceiver,
    deadline: Instant,
) -> End {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return End::Fatal(format!("cannot start the hook's socket server: {e}")),
    };
    let agent = RefCell::new(agent);
    let failed = Notify::new();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        let tools = UnixListener::from_std(listeners.tools);
        let pebbles: std::io::Result<Vec<(String, UnixListener)>> = listeners
            .pebbles
            .into_iter()
            .map(|(c, l)| Ok((c, UnixListener::from_std(l)?)))
            .collect();
        match (tools, pebbles) {
            (Ok(tools), Ok(pebbles)) => {
                let served = Served {
                    agent: &agent,
                    failed: &failed,
                };
                served.run(tools, pebbles, exited, deadline).await
            }
            (Err(e), _) | (_, Err(e)) => {
                End::Fatal(format!("cannot serve the hook's sockets: {e}"))
            }
        }
    })
}

/// A connection being served.
type Connection<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;

/// What every connection of a hook shares: its agent, and the signal that
/// an answer showed a host problem.
struct Served<'s, 'a, B> {
    agent: &'s RefCell<&'s mut Agent<'a, B>>,
    failed: &'s Notify,
}

// Two shared references: copied into each connection, whatever `B` is.
impl<B> Clone for Served<'_, '_, B> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<B> Copy for Served<'_, '_, B> {}

impl<'s, 'a, B: Backend> Served<'s, 'a, B> {
    async fn run(
        self,
        tools: UnixListener,
        pebbles: Vec<(String, UnixListener)>,
        mut exited: ExitReceiver,
        deadline: Instant,
    ) -> End {
        let mut tool_conns: FuturesUnordered<Connection<'s>> = FuturesUnordered::new();
        let mut pebble_conns: FuturesUnordered<Connection<'s>> = FuturesUnordered::new();
        let sleep = tokio::time::sleep_until(deadline.into());
        tokio::pin!(sleep);
        loop {
            if let Some(m) = self.agent.borrow_mut().take_fatal() {
                return End::Fatal(m);
            }
            tokio::select! {
                biased;
                status = &mut exited => {
                    // The waiter gone without a word: the process is gone too.
                    return End::Exited(status.unwrap_or_else(|_| ExitStatus::from_raw(libc::SIGKILL)));
                }
                _ = &mut sleep => return End::Deadline,
                _ = self.failed.notified() => {}
                Some(()) = tool_conns.next(), if !tool_conns.is_empty() => {}
                Some(()) = pebble_conns.next(), if !pebble_conns.is_empty() => {}
                accepted = tools.accept(), if tool_conns.len() < MAX_TOOL_CONNECTIONS => {
                    match accepted {
                        Ok((stream, _)) => tool_conns.push(Box::pin(self.tool_connection(stream))),
                        Err(_) => refused().await,
                    }
                }
                (container, accepted) = accept_any(&pebbles),
                    if pebble_conns.len() < MAX_PEBBLE_CONNECTIONS =>
                {
                    match accepted {
                        Ok((stream, _)) => {
                            pebble_conns.push(Box::pin(self.pebble_connection(stream, container)))
                        }
                        Err(_) => refused().await,
                    }
                }
            }
        }
    }

    /// Read one framed request (bounded by [`wire`]'s limits), answer it,
    /// write the answer.
    async fn tool_connection(self, mut stream: UnixStream) {
        let pid = stream.peer_cred().ok().and_then(|c| c.pid());
        let read = tokio::time::timeout(READ_TIMEOUT, read_request(&mut stream)).await;
        let response = match read {
            Err(_) => {
                ToolResponse::Refused("bad request: the request did not arrive in time".into())
            }
            Ok(Err(e)) => ToolResponse::Refused(format!("bad request: {e}")),
            Ok(Ok(request)) => self.answer(|a| a.tool(request, pid)),
        };
        let _ = stream.write_all(&response.encode()).await;
        let _ = stream.shutdown().await;
    }

    /// Ask the agent, and signal the serving loop if that ended the hook.
    fn answer<T>(self, f: impl FnOnce(&mut Agent<'a, B>) -> T) -> T {
        let mut agent = self.agent.borrow_mut();
        let out = f(&mut agent);
        if agent.fatal.is_some() {
            self.failed.notify_one();
        }
        out
    }

    async fn pebble_connection(self, stream: UnixStream, container: String) {
        let service = service_fn(move |req| self.pebble_request(req, container.clone()));
        let _ = http1::Builder::new()
            .timer(TokioTimer::new())
            .auto_date_header(false)
            .header_read_timeout(READ_TIMEOUT)
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades()
            .await;
    }

    /// One HTTP request on `container`'s socket, answered by the agent.
    async fn pebble_request(
        self,
        req: hyper::Request<Incoming>,
        container: String,
    ) -> Result<hyper::Response<Full<Bytes>>, Unreachable> {
        let (mut parts, body) = req.into_parts();
        let upgrade = websocket::wants_upgrade(&parts.headers);
        let body = match Limited::new(body, MAX_PEBBLE_BODY).collect().await {
            Ok(b) => b.to_bytes().to_vec(),
            Err(e) => return Ok(plain(413, &format!("cannot read the request body: {e}"))),
        };
        let headers = parts
            .headers
            .iter()
            .filter(|(k, _)| {
                !TRANSPORT_HEADERS.contains(&k.as_str())
                    && !websocket::HANDSHAKE_HEADERS.contains(&k.as_str())
            })
            .map(|(k, v)| {
                (
                    capitalize(k.as_str()),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut request = crate::pebble::http::Request {
            method: parts.method.as_str().to_string(),
            path: parts.uri.path().to_string(),
            query: parse_qsl(parts.uri.query().unwrap_or("")),
            headers,
            body,
        };
        canonical_multipart(&mut request);
        let Some(resp) = self.answer(|a| a.pebble(&container, request)) else {
            return Err(Unreachable);
        };
        if resp.status == 101 {
            // Exec's websocket: Pebble said what it sends; complete the
            // handshake and send it on the upgraded connection.
            let key = parts.headers.get(hyper::header::SEC_WEBSOCKET_KEY).cloned();
            let on = parts.extensions.remove::<hyper::upgrade::OnUpgrade>();
            return Ok(match (upgrade, key, on) {
                (true, Some(key), Some(on)) => {
                    let end = websocket::sends_end(parts.uri.path());
                    tokio::task::spawn_local(websocket::serve(on, resp.body, end));
                    websocket::accept(key.as_bytes())
                }
                _ => plain(400, "bad websocket handshake"),
            });
        }
        let mut out = hyper::Response::builder().status(resp.status);
        for (k, v) in &resp.headers {
            out = out.header(k, v);
        }
        Ok(out
            .body(Full::new(Bytes::from(resp.body)))
            .unwrap_or_else(|e| plain(500, &format!("charmbox: bad response: {e}"))))
    }
}

/// The next connection on any container's Pebble socket (none, ever,
/// without containers).
async fn accept_any(
    pebbles: &[(String, UnixListener)],
) -> (
    String,
    std::io::Result<(UnixStream, tokio::net::unix::SocketAddr)>,
) {
    if pebbles.is_empty() {
        return std::future::pending().await;
    }
    let accepts = pebbles
        .iter()
        .map(|(c, l)| Box::pin(async move { (c.clone(), l.accept().await) }));
    futures_util::future::select_all(accepts).await.0
}

/// The request's frame, read whole (up to the protocol's bounds) and then
/// decoded by the same code the client uses.
async fn read_request(stream: &mut UnixStream) -> Result<ToolRequest, wire::WireError> {
    let limit = 4 + wire::MAX_ARG_BYTES + 4 * (u64::from(wire::MAX_ARGS) + 3) + 1 + wire::MAX_STDIN;
    let mut buf = Vec::new();
    // The client half-closes nothing: read until a frame decodes. Most
    // requests fit the first, small read.
    let mut chunk = vec![0u8; 4 << 10];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return ToolRequest::decode(&mut buf.as_slice());
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() as u64 > limit {
            return Err(wire::WireError::TooLong {
                what: "the request",
                len: buf.len() as u64,
                max: limit,
            });
        }
        match ToolRequest::decode(&mut buf.as_slice()) {
            Ok(r) => return Ok(r),
            Err(wire::WireError::Io(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {}
            Err(e) => return Err(e),
        }
    }
}

/// Pebble cannot be reached: the connection closes unanswered.
#[derive(Debug)]
struct Unreachable;

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("pebble is not reachable")
    }
}

impl std::error::Error for Unreachable {}

/// Headers the HTTP client library adds on its own, dropped so that a
/// request reads as the charm made it (what the component path records).
const TRANSPORT_HEADERS: [&str; 6] = [
    "host",
    "content-length",
    "user-agent",
    "connection",
    "accept-encoding",
    "transfer-encoding",
];

/// Python's `str.capitalize`, the form urllib gives header names.
fn capitalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for (i, ch) in name.chars().enumerate() {
        if i == 0 {
            out.extend(ch.to_uppercase());
        } else {
            out.extend(ch.to_lowercase());
        }
    }
    out
}

/// A multipart body's boundary, made from its content: ops picks a random
/// one for every push, which would make the same push record differently
/// each run (a component's push goes through the typed import). The
/// boundary never occurs in the content, so every `--<boundary>` in the
/// body is a delimiter and all are replaced, with the header's.
fn canonical_multipart(req: &mut crate::pebble::http::Request) {
    use sha2::Digest;
    let Some((_, value)) = req
        .headers
        .iter_mut()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    else {
        return;
    };
    let Some(at) = value.find("boundary=") else {
        return;
    };
    let given = value[at + "boundary=".len()..]
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches('"')
        .to_string();
    if !value.starts_with("multipart/") || given.is_empty() {
        return;
    }
    let delimiter = format!("--{given}");
    let bare = replace_all(&req.body, delimiter.as_bytes(), b"--");
    let digest = sha2::Sha256::digest(&bare);
    let fixed: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    req.body = replace_all(
        &req.body,
        delimiter.as_bytes(),
        format!("--{fixed}").as_bytes(),
    );
    *value = value.replace(&given, &fixed);
}

/// `haystack` with every `from` replaced by `to`.
fn replace_all(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if !from.is_empty() && haystack[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

fn plain(status: u16, message: &str) -> hyper::Response<Full<Bytes>> {
    let mut r = hyper::Response::new(Full::new(Bytes::from(message.to_string())));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::BAD_REQUEST);
    r
}

/// Python's `urllib.parse.parse_qsl(q, keep_blank_values=True)`: what the
/// component path's client does with the same URL.
pub fn parse_qsl(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (unquote_plus(k), unquote_plus(v))
        })
        .collect()
}

/// `urllib.parse.unquote_plus`: `+` is a space, `%XX` a byte, UTF-8 with
/// replacement characters.
fn unquote_plus(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse_as_pythons_parse_qsl() {
        assert_eq!(
            parse_qsl("select=all&names=a%2Cb&x&&y=1+2&bad=%zz&tail=%4"),
            [
                ("select".into(), "all".into()),
                ("names".into(), "a,b".into()),
                ("x".into(), String::new()),
                ("y".into(), "1 2".into()),
                ("bad".into(), "%zz".into()),
                ("tail".into(), "%4".into()),
            ]
        );
    }

    #[test]
    fn a_multipart_boundary_is_made_from_the_content() {
        let req = |b: &str, content: &str| crate::pebble::http::Request {
            method: "POST".into(),
            path: "/v1/files".into(),
            headers: vec![(
                "Content-type".into(),
                format!("multipart/form-data; boundary=\"{b}\""),
            )],
            body: format!("--{b}\r\nX: 1\r\n\r\n{content}\r\n--{b}--\r\n").into_bytes(),
            ..Default::default()
        };
        let (mut a, mut b, mut c) = (
            req("aaaa", "data--"),
            req("bbbbbb", "data--"),
            req("aaaa", "other"),
        );
        for r in [&mut a, &mut b, &mut c] {
            canonical_multipart(r);
        }
        assert_eq!(a.headers, b.headers);
        assert_eq!(a.body, b.body);
        assert_ne!(a.headers, c.headers, "another content, another boundary");
        let text = String::from_utf8(a.body).unwrap();
        assert!(!text.contains("aaaa") && text.ends_with("--\r\n"), "{text}");
        assert_eq!(text.matches("\r\n\r\ndata--\r\n").count(), 1, "{text}");
    }

    #[test]
    fn header_names_read_as_urllib_writes_them() {
        assert_eq!(capitalize("content-type"), "Content-type");
        assert_eq!(capitalize("accept"), "Accept");
    }
}
