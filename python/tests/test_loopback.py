"""charmbox_ops.loopback: HTTP to the unit's loopback through the host.
With a requester that forwards each parsed request to a real HTTP server on
this machine, ``urllib.request``, ``http.client``, ``requests`` and
``httpx`` must get what they get over a real socket, and the server must
see the same requests."""

import http.client
import http.server
import importlib
import json
import os
import socket
import sys
import threading
import urllib.error
import urllib.request

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "guest-sdk", "python"))
loopback = importlib.import_module("charmbox_ops.loopback")
REAL_CREATE = socket.create_connection


class Echo(http.server.BaseHTTPRequestHandler):
    """Answers with what it was sent: method, path, headers, body."""

    def _body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", ""):
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def _answer(self):
        seen = {
            "method": self.command,
            "path": self.path,
            "headers": [[n, v] for n, v in self.headers.items() if n.lower() != "connection"],
            "body": self._body().decode("latin-1"),
        }
        data = json.dumps(seen).encode()
        self.send_response(404 if self.path.startswith("/missing") else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Seen", self.command)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _answer

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=s.serve_forever, daemon=True).start()
    yield s.server_address[1]
    s.shutdown()


def forward(port, method, target, headers, body):
    """The host's part, for real: the parsed request sent to the server."""
    sock = REAL_CREATE(("127.0.0.1", port))
    chunked = any(n.lower() == "transfer-encoding" for n, _ in headers)
    head = [f"{method} {target} HTTP/1.1"] + [f"{n}: {v}" for n, v in headers]
    data = "\r\n".join(head + ["", ""]).encode("latin-1")
    data += (b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)) if chunked and body else (
        b"0\r\n\r\n" if chunked else body
    )
    sock.sendall(data)
    r = http.client.HTTPResponse(sock, method=method)
    r.begin()
    out = r.read()
    sock.close()
    return r.status, r.getheaders(), out


def refuse(port):
    if port == 1:
        raise ConnectionRefusedError(111, "charmbox: nothing listens on loopback port 1")


def both(monkeypatch, call):
    """``call()`` over real sockets, then through the loopback shim."""

    def outcome():
        try:
            return ("ok", call())
        except urllib.error.HTTPError as e:
            return ("http-error", e.code, json.loads(e.read()))
        except urllib.error.URLError as e:
            return ("url-error", type(e.reason))
        except OSError as e:
            return ("os-error", type(e))

    real = outcome()
    forwarded = []

    def counted(*args):
        forwarded.append(args[1:3])
        return forward(*args)

    monkeypatch.setattr(loopback, "requester", counted)
    monkeypatch.setattr(loopback, "connector", refuse)
    monkeypatch.setattr(socket, "create_connection", loopback.create_connection)
    # What install() patches for requests (urllib3's own create_connection).
    import urllib3.util.connection

    monkeypatch.setattr(
        urllib3.util.connection, "create_connection", loopback._urllib3_create_connection
    )
    ours = outcome()
    monkeypatch.undo()
    # The shim, not a real socket, carried every request that was answered.
    assert bool(forwarded) == (ours[0] != "url-error"), forwarded
    return real, ours


def urlopen(url, data=None, method=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status, r.headers["X-Seen"], json.loads(r.read() or b"null")


@pytest.mark.parametrize(
    "path,data,method,headers",
    [
        ("/version", None, None, None),
        ("/items?page=2&q=a%20b", None, None, {"Accept": "application/json"}),
        ("/items", b'{"a": 1}', "POST", {"Content-Type": "application/json"}),
        ("/items/7", b"x" * 70_000, "PUT", None),
        ("/items/7", None, "DELETE", None),
        ("/missing", None, None, None),
    ],
)
def test_urllib_sees_what_a_real_socket_gives(monkeypatch, server, path, data, method, headers):
    for host in ("localhost", "127.0.0.1"):
        real, ours = both(monkeypatch, lambda: urlopen(f"http://{host}:{server}{path}", data, method, headers))
        assert real == ours
        assert real[0] in ("ok", "http-error")


def test_http_client_chunked_and_head(monkeypatch, server):
    def chunked():
        c = http.client.HTTPConnection("localhost", server, timeout=5)
        c.request("POST", "/up", body=iter([b"ab", b"", b"cde"]), encode_chunked=True)
        r = c.getresponse()
        return r.status, json.loads(r.read())["body"]

    real, ours = both(monkeypatch, chunked)
    assert real == ours == ("ok", (200, "abcde"))

    def head():
        c = http.client.HTTPConnection("127.0.0.1", server, timeout=5)
        c.request("HEAD", "/version")
        r = c.getresponse()
        return r.status, r.read(), r.getheader("X-Seen")

    real, ours = both(monkeypatch, head)
    assert real == ours == ("ok", (200, b"", "HEAD"))


def test_a_port_nothing_listens_on_refuses(monkeypatch):
    # Port 1 is closed on this machine, and "closed" in the fake host.
    real, ours = both(monkeypatch, lambda: urlopen("http://localhost:1/"))
    assert real == ours == ("url-error", ConnectionRefusedError)


def test_other_hosts_are_not_loopback():
    assert loopback.is_loopback("localhost") and loopback.is_loopback("127.0.0.5")
    assert loopback.is_loopback("[::1]") and loopback.is_loopback(b"LOCALHOST.")
    assert not loopback.is_loopback("example.com")
    assert not loopback.is_loopback("10.0.0.1")


def test_hostile_requests_are_refused(monkeypatch):
    monkeypatch.setattr(loopback, "connector", lambda port: None)
    monkeypatch.setattr(loopback, "requester", lambda *a: pytest.fail("reached the host"))
    s = loopback.LoopbackSocket("localhost", 80)
    with pytest.raises(OSError, match="request head over"):
        s.sendall(b"GET /" + b"a" * (loopback.MAX_HEAD + 1))
    s = loopback.LoopbackSocket("localhost", 80)
    with pytest.raises(OSError, match="body over"):
        s.sendall(b"POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % (loopback.MAX_BODY + 1))
    s = loopback.LoopbackSocket("localhost", 80)
    with pytest.raises(OSError, match="not an HTTP/1.x request"):
        s.sendall(b"HELLO\r\n\r\n")
    s = loopback.LoopbackSocket("localhost", 80)
    with pytest.raises(OSError, match="chunk"):
        s.sendall(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
    s = loopback.LoopbackSocket("localhost", 80)
    s.sendall(b"GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab")
    with pytest.raises(TimeoutError, match="never completed"):
        s.recv(10)


def test_requests_and_httpx_see_what_a_real_socket_gives(monkeypatch, server):
    # requests goes through urllib3's create_connection, httpx through
    # socket.create_connection (httpcore's sync backend).
    import httpx
    import requests

    def with_requests():
        r = requests.post(f"http://localhost:{server}/items?x=1", json={"a": 1}, timeout=5)
        again = requests.get(f"http://localhost:{server}/missing", timeout=5)
        return r.status_code, r.json(), again.status_code

    def with_httpx():
        with httpx.Client(timeout=5) as c:
            r = c.put(f"http://127.0.0.1:{server}/items/7", content=b"body")
            again = c.get(f"http://127.0.0.1:{server}/version")
        return r.status_code, r.json()["body"], again.json()["path"]

    for call in (with_requests, with_httpx):
        real, ours = both(monkeypatch, call)
        assert real == ours and real[0] == "ok", (real, ours)
