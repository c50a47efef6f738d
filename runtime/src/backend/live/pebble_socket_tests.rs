//! [`SocketPebble`] over real unix sockets: charmbox's own socket server
//! (`native::serve`, the simulated Pebble behind it, exec's websockets
//! included) answering [`LivePebble`], against the typed calls on an
//! identical State backend; and a hostile server whose answers are not
//! Pebble's (bad JSON, wrong types, huge heads and bodies, silence).

use std::io::{Read, Write};
use std::os::unix::net::UnixListener;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use super::harness::{Pair, backend, exec, exec_with, names, opts, text};
use super::{HttpRequest, LivePebble, MAX_BODY, PebbleTransport, Request, SocketPebble};
use crate::backend::Backend;
use crate::backend::pebble::{PebbleBackend, PebbleCall, PebbleReply};
use crate::bindings::pebble::PebbleError;
use crate::native::agent::{Agent, Session};
use crate::native::serve::{Listeners, exit_channel, serve};

/// A fresh directory under the system's temporary one.
fn tempdir(what: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "cbx-lp-{}-{what}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn socket_pebble_talks_to_charmbox_socket_server_as_to_the_typed_calls() {
    let dir = tempdir("serve");
    std::fs::create_dir_all(dir.join("web")).unwrap();
    let listeners = Listeners::bind(
        &dir.join("agent.socket"),
        &[("web".into(), dir.join("web/pebble.socket"))],
    )
    .expect("bind");
    let (exit, exited) = exit_channel();
    let server = std::thread::spawn(move || {
        let mut backend = backend();
        let session = Session {
            context_id: "ctx",
            now_ns: crate::backend::unit::DEFAULT_NOW_NS,
            io_bytes: 1 << 30,
        };
        let end = {
            let mut agent = Agent::new(&mut backend, session);
            serve(
                listeners,
                &mut agent,
                exited,
                Instant::now() + Duration::from_secs(300),
            )
        };
        (backend, format!("{end:?}"))
    });

    let mut p = Pair::new(SocketPebble::new(dir.clone()));
    use PebbleCall as C;
    assert_eq!(p.ok("web", C::CanConnect), PebbleReply::Bool(true));
    p.ok("web", C::SystemInfo);
    p.ok(
        "web",
        C::AddLayer {
            label: "extra".into(),
            layer_yaml: "services:\n  db: {override: replace, command: /bin/db}\n".into(),
            combine: false,
        },
    );
    p.err(
        "web",
        C::AddLayer {
            label: "bad".into(),
            layer_yaml: "services: [".into(),
            combine: false,
        },
    );
    p.ok("web", C::GetPlan);
    let start = text(p.ok(
        "web",
        C::Start {
            services: names(&["app", "db"]),
        },
    ));
    let e = p.err(
        "web",
        C::WaitChange {
            id: start.clone(),
            timeout_ms: Some(500),
        },
    );
    assert!(matches!(e, PebbleError::Timeout(_)), "{e:?}");
    p.ok(
        "web",
        C::WaitChange {
            id: start,
            timeout_ms: None,
        },
    );
    let services = p.ok("web", C::GetServices { names: vec![] });
    assert!(
        matches!(&services, PebbleReply::Services(s) if s.iter().filter(|s| s.current == "active").count() == 2),
        "{services:?}"
    );
    p.err(
        "web",
        C::Start {
            services: names(&["nope"]),
        },
    );

    // Files: binary content, spaces and quotes in the path, errors.
    let data: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    let mut o = opts();
    o.make_dirs = true;
    o.permissions = Some(0o600);
    let path = "/srv/a dir/f \"1\"&x=y.bin";
    p.ok(
        "web",
        C::Push {
            path: path.into(),
            data: data.clone(),
            options: o,
        },
    );
    assert_eq!(
        p.ok("web", C::Pull { path: path.into() }),
        PebbleReply::Bytes(data)
    );
    p.err(
        "web",
        C::Pull {
            path: "/missing".into(),
        },
    );
    p.ok(
        "web",
        C::ListFiles {
            path: "/srv/a dir".into(),
            pattern: Some("*.bin".into()),
            itself: false,
        },
    );

    // Exec: output through the websockets, split and combined.
    let out = p.ok("web", exec(&["echo", "x"]));
    assert!(
        matches!(&out, PebbleReply::Exec(o) if o.stdout == b"hi\n" && o.stderr == b"warn\n"),
        "{out:?}"
    );
    let out = p.ok("web", exec_with(&["echo"], |r| r.split_stderr = false));
    assert!(
        matches!(&out, PebbleReply::Exec(o) if o.stdout == b"hi\nwarn\n"),
        "{out:?}"
    );
    assert!(matches!(p.ok("web", exec(&["false"])), PebbleReply::Exec(o) if o.exit_code == 1));
    p.err("web", exec_with(&["sleep"], |r| r.timeout_ms = Some(1_000)));
    p.err("web", exec(&["nope"]));

    // A raw request: the same status and body (the headers are the
    // server's own: hyper adds Content-Length).
    let raw = C::Request {
        method: "GET".into(),
        path: "/v1/services".into(),
        query: vec![("names".into(), "app,db".into())],
        headers: vec![("Accept".into(), "application/json".into())],
        body: Vec::new(),
    };
    let typed = p.typed.pebble("web", raw.clone()).unwrap();
    let live = p.live.call("web", raw).unwrap();
    match (typed, live) {
        (Ok(PebbleReply::Http(a)), Ok(PebbleReply::Http(b))) => {
            assert_eq!((a.status, &a.body), (b.status, &b.body));
            assert!(
                b.headers
                    .contains(&("Content-Type".into(), "application/json".into()))
            );
        }
        other => panic!("{other:?}"),
    }

    // A container without a socket.
    let socket = dir.join("down/pebble.socket").display().to_string();
    assert_eq!(
        p.live.call("down", C::CanConnect).unwrap(),
        Ok(PebbleReply::Bool(false))
    );
    assert_eq!(
        p.live.call("down", C::GetPlan).unwrap(),
        Err(PebbleError::Connection(format!(
            "Could not connect to Pebble: socket not found at {socket:?} (container restarted?)"
        )))
    );

    exit.send(ExitStatus::from_raw(0)).unwrap();
    let (mut served, end) = server.join().expect("server");
    assert!(end.starts_with("Exited"), "{end}");
    served.finish(true).unwrap();
    let typed = p.finish_typed();
    assert_eq!(&typed, served.state());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Serve one connection per answer in `answers` on `<dir>/evil`: read the
/// request's head and body, write the answer (`None`: say nothing for a
/// while), close.
fn hostile(dir: &Path, answers: Vec<Option<Vec<u8>>>) -> std::thread::JoinHandle<()> {
    std::fs::create_dir_all(dir.join("evil")).unwrap();
    let listener = UnixListener::bind(dir.join("evil/pebble.socket")).unwrap();
    std::thread::spawn(move || {
        for answer in answers {
            let Ok((mut s, _)) = listener.accept() else {
                return;
            };
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            match answer {
                Some(a) => {
                    let _ = s.write_all(&a);
                }
                None => std::thread::sleep(Duration::from_millis(1500)),
            }
        }
    })
}

fn http(status: &str, headers: &str, body: &str) -> Option<Vec<u8>> {
    Some(
        format!(
            "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

fn json(body: &str) -> Option<Vec<u8>> {
    http("200 OK", "Content-Type: application/json\r\n", body)
}

#[test]
fn answers_that_are_not_pebbles_are_errors_never_panics() {
    let dir = tempdir("hostile");
    let mut huge_head = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..20_000 {
        huge_head.extend(format!("X-Filler-{i}: {}\r\n", "y".repeat(20)).into_bytes());
    }
    huge_head.extend(b"Content-Length: 0\r\n\r\n");
    let mut chunked =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec();
    let mib = vec![b'x'; 1 << 20];
    for _ in 0..(MAX_BODY >> 20) + 1 {
        chunked.extend(format!("{:x}\r\n", mib.len()).into_bytes());
        chunked.extend(&mib);
        chunked.extend(b"\r\n");
    }
    chunked.extend(b"0\r\n\r\n");
    let answers = vec![
        // 1. Malformed JSON.
        json(r#"{"type":"sync","result":"#),
        // 2. Wrong types.
        json(r#"{"type":"sync","status-code":200,"result":[{"name":5,"current":"active"}]}"#),
        // 3. Not JSON at all.
        http("200 OK", "Content-Type: text/html\r\n", "<html>"),
        // 4. An error without Pebble's envelope.
        http("500 Internal Server Error", "", "oops"),
        // 5. A head larger than the client reads.
        Some(huge_head),
        // 6. A body declared larger than the limit.
        Some(b"HTTP/1.1 200 OK\r\nContent-Length: 104857600\r\n\r\n{".to_vec()),
        // 7. A chunked body larger than the limit.
        Some(chunked),
        // 8. Not HTTP.
        Some(b"SSH-2.0-OpenSSH\r\n\r\n".to_vec()),
        // 9. A pull answered without its response part.
        http(
            "200 OK",
            "Content-Type: multipart/form-data; boundary=b0\r\n",
            "--b0\r\nContent-Disposition: form-data; name=\"files\"; filename=\"/f\"\r\n\r\nx\r\n--b0--\r\n",
        ),
        // 10. A change id that is not a string.
        json(r#"{"type":"async","status-code":202,"change":7,"result":null}"#),
        // 11-13. An exec whose websocket is refused, then its change.
        http(
            "202 Accepted",
            "Content-Type: application/json\r\n",
            r#"{"type":"async","change":"1","result":{"task-id":"t 1"}}"#,
        ),
        http("404 Not Found", "", ""),
        json(
            r#"{"type":"sync","result":{"id":"1","kind":"exec","summary":"","status":"Done","ready":true,"spawn-time":"t"}}"#,
        ),
        // 14. Silence.
        None,
    ];
    let server = hostile(&dir, answers);
    let mut live = LivePebble::new(SocketPebble::new(dir.clone()));
    let mut call = |c: PebbleCall| live.call("evil", c).expect("never fatal");
    let services = || PebbleCall::GetServices { names: vec![] };
    let conn = |r: Result<PebbleReply, PebbleError>, needle: &str| match r {
        Err(PebbleError::Connection(m)) => assert!(m.contains(needle), "{m:?} lacks {needle:?}"),
        other => panic!("expected a connection error with {needle:?}, got {other:?}"),
    };
    conn(call(services()), "invalid JSON");
    conn(call(services()), "\"name\" is not a string");
    conn(call(services()), "expected Content-Type 'application/json'");
    match call(services()) {
        Err(PebbleError::Api(e)) => {
            assert_eq!(e.status_code, 500);
            assert!(
                e.message.contains("without an error message: oops"),
                "{e:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    conn(call(services()), "message head is too large");
    conn(call(services()), "larger than the 64 MiB limit");
    conn(call(services()), "larger than the 64 MiB limit");
    conn(call(services()), "invalid HTTP version");
    conn(
        call(PebbleCall::Pull { path: "/f".into() }),
        "no \"response\" field",
    );
    conn(call(PebbleCall::Replan), "\"change\" is not a string");
    conn(
        call(exec(&["ls"])),
        "unexpected error connecting to websockets",
    );
    // Silence: the request's timeout.
    let r = live.transport.request(
        "evil",
        &HttpRequest {
            request: Request {
                method: "GET".into(),
                path: "/v1/system-info".into(),
                ..Default::default()
            },
            timeout: Duration::from_millis(300),
        },
    );
    assert!(
        matches!(&r, Err(m) if m.contains("did not answer")),
        "{r:?}"
    );
    server.join().unwrap();
    // The socket's server is gone: refused, a connection error.
    conn(live.call("evil", services()).unwrap(), "cannot connect");
    assert_eq!(
        live.call("evil", PebbleCall::CanConnect).unwrap(),
        Ok(PebbleReply::Bool(false))
    );
    let _ = std::fs::remove_dir_all(&dir);
}
