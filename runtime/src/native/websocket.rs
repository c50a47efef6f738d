//! Exec's websockets on a container's Pebble socket, as Pebble serves them
//! (docs/native.md): ops' `Client.exec` posts `/v1/exec`, then connects
//! `control`, `stdio` and (split) `stderr` at
//! `/v1/tasks/<task>/websocket/<name>`. The simulated Pebble answers the
//! upgrade request `101` with what that websocket sends (the command ran
//! to completion when it started); this module completes the handshake and
//! sends it as Pebble does: the output as binary messages, then the text
//! message `{"command":"end"}` (stdio, stderr). What the client sends —
//! stdin, `end`, signals on `control` — is read and dropped: a declared
//! handler's output does not depend on it.

use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

/// Pebble's end-of-stream message.
pub const END: &str = r#"{"command":"end"}"#;

/// The largest message accepted from the client (ops sends stdin in 16 KiB
/// chunks, and small JSON commands on `control`).
const MAX_MESSAGE: usize = 1 << 20;

/// Output is sent in messages of at most this size.
const CHUNK: usize = 64 << 10;

/// The websocket handshake's request headers: not the charm's, so not
/// recorded (the key is random).
pub const HANDSHAKE_HEADERS: [&str; 4] = [
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-extensions",
    "origin",
];

/// Whether a request's headers ask to upgrade to a websocket.
pub fn wants_upgrade(headers: &hyper::HeaderMap) -> bool {
    headers
        .get(hyper::header::UPGRADE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"))
}

/// The `101 Switching Protocols` answer to a handshake with `key`.
pub fn accept(key: &[u8]) -> hyper::Response<http_body_util::Full<bytes::Bytes>> {
    let mut r = hyper::Response::new(http_body_util::Full::new(bytes::Bytes::new()));
    *r.status_mut() = hyper::StatusCode::SWITCHING_PROTOCOLS;
    let h = r.headers_mut();
    h.insert(
        hyper::header::UPGRADE,
        "websocket".parse().expect("a header value"),
    );
    h.insert(
        hyper::header::CONNECTION,
        "Upgrade".parse().expect("a header value"),
    );
    if let Ok(v) = derive_accept_key(key).parse() {
        h.insert(hyper::header::SEC_WEBSOCKET_ACCEPT, v);
    }
    r
}

/// Whether websocket `name` ends its output with [`END`] (`control`
/// carries no output).
pub fn sends_end(path: &str) -> bool {
    matches!(path.rsplit('/').next(), Some("stdio" | "stderr"))
}

/// Serve one websocket once the connection is upgraded: send `output` (and
/// [`END`] when `end`), then read the client's messages until it closes.
pub async fn serve(on: OnUpgrade, output: Vec<u8>, end: bool) {
    let Ok(upgraded) = on.await else {
        return;
    };
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    let mut ws =
        WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await;
    if end {
        for chunk in output.chunks(CHUNK) {
            if ws.send(Message::binary(chunk.to_vec())).await.is_err() {
                return;
            }
        }
        if ws.send(Message::text(END)).await.is_err() {
            return;
        }
    }
    // Until the client closes (or the hook's sockets go): its stdin and
    // control commands, dropped.
    while let Some(Ok(m)) = ws.next().await {
        if m.is_close() {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accept_key_is_rfc_6455s() {
        // RFC 6455 §1.3's example.
        let r = accept(b"dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(r.status(), 101);
        assert_eq!(
            r.headers()[hyper::header::SEC_WEBSOCKET_ACCEPT],
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn only_output_streams_end() {
        assert!(sends_end("/v1/tasks/3/websocket/stdio"));
        assert!(sends_end("/v1/tasks/3/websocket/stderr"));
        assert!(!sends_end("/v1/tasks/3/websocket/control"));
    }
}
