use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::thread;

use super::*;

/// A server on an ephemeral loopback port that reads one request (head
/// and Content-Length body) per connection, hands it to `seen`, and
/// writes `answer`'s bytes.
fn serve(answer: &'static [u8], connections: usize) -> (u16, thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = thread::spawn(move || {
        let mut seen = Vec::new();
        for _ in 0..connections {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream);
            let mut head = String::new();
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
                head.push_str(&line);
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            seen.push(format!("{head}{}", String::from_utf8_lossy(&body)));
            let mut stream = reader.into_inner();
            let _ = stream.write_all(answer);
        }
        seen
    });
    (port, handle)
}

fn granted(port: u16) -> HostLoopback {
    HostLoopback::new([port].into(), Duration::from_secs(5))
}

fn request(method: &str, body: &[u8]) -> LoopbackCall {
    LoopbackCall::Request {
        request: HttpRequest {
            method: method.into(),
            target: "/version?x=1".into(),
            headers: vec![
                ("Host".into(), "localhost".into()),
                ("Transfer-Encoding".into(), "chunked".into()),
            ],
            body: body.to_vec(),
        },
    }
}

#[test]
fn a_granted_port_is_reached_and_its_answer_read() {
    let (port, server) = serve(
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"version\": \"0.0.1\"}",
        2,
    );
    let l = granted(port);
    assert_eq!(l.call(port, &LoopbackCall::Connect), Ok(None));
    let r = l.call(port, &request("POST", b"abc")).unwrap().unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body, br#"{"version": "0.0.1"}"#);
    assert!(
        r.headers
            .contains(&("Content-Type".into(), "application/json".into()))
    );
    let seen = server.join().unwrap();
    // The guest's framing is replaced by ours: the body whole, one request.
    let sent = &seen[1];
    assert!(
        sent.starts_with("POST /version?x=1 HTTP/1.1\r\nHost: localhost\r\n"),
        "{sent}"
    );
    assert!(!sent.to_ascii_lowercase().contains("chunked"), "{sent}");
    assert!(sent.contains("Content-Length: 3\r\nConnection: close\r\n") && sent.ends_with("abc"));
}

#[test]
fn chunked_and_unframed_answers_are_read_to_the_end() {
    let (port, server) = serve(
        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n3;x=y\r\ncde\r\n0\r\n\r\n",
        1,
    );
    let r = granted(port)
        .call(port, &request("GET", b""))
        .unwrap()
        .unwrap();
    assert_eq!((r.status, r.body.as_slice()), (201, &b"abcde"[..]));
    assert!(r.headers.iter().all(|(n, _)| n != "Transfer-Encoding"));
    server.join().unwrap();
    let (port, server) = serve(b"HTTP/1.0 200 OK\r\n\r\nuntil the end", 1);
    let r = granted(port)
        .call(port, &request("GET", b""))
        .unwrap()
        .unwrap();
    assert_eq!(r.body, b"until the end");
    server.join().unwrap();
}

#[test]
fn ports_not_granted_or_closed_are_refused() {
    let (port, server) = serve(b"HTTP/1.1 204 No Content\r\n\r\n", 1);
    let Err(LoopbackError::Refused(m)) = HostLoopback::none().call(port, &request("GET", b""))
    else {
        panic!("an ungranted port answered")
    };
    assert!(m.contains(&format!("--grant-loopback-port {port}")), "{m}");
    assert_eq!(
        granted(port)
            .call(port, &request("GET", b""))
            .unwrap()
            .unwrap()
            .status,
        204
    );
    server.join().unwrap();
    // The server is gone: nothing listens there now.
    assert!(matches!(
        granted(port).call(port, &LoopbackCall::Connect),
        Err(LoopbackError::Refused(_))
    ));
}

#[test]
fn hostile_answers_are_refused_not_trusted() {
    for answer in [
        &b"not http at all\r\n\r\n"[..],
        b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nshort",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffff\r\nab",
        b"HTTP/1.1 200 OK\r\nContent-Len",
    ] {
        let (port, server) = serve(answer, 1);
        let r = granted(port).call(port, &request("GET", b""));
        assert!(matches!(r, Err(LoopbackError::Invalid(_))), "{r:?}");
        server.join().unwrap();
    }
}

#[test]
fn an_endless_answer_is_cut_at_the_bound() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\n\r\n");
        let chunk = vec![b'x'; 1 << 20];
        while stream.write_all(&chunk).is_ok() {}
    });
    let Err(LoopbackError::Invalid(m)) = granted(port).call(port, &request("GET", b"")) else {
        panic!("an endless answer was taken")
    };
    assert!(m.contains("over"), "{m}");
    server.join().unwrap();
}

#[test]
fn a_server_that_never_answers_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        thread::sleep(Duration::from_millis(700));
        drop(stream);
    });
    let l = HostLoopback::new([port].into(), Duration::from_millis(200));
    let r = l.call(port, &request("GET", b""));
    assert!(matches!(r, Err(LoopbackError::Invalid(_))), "{r:?}");
    server.join().unwrap();
}
