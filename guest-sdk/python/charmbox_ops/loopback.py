"""HTTP to the unit's own workloads on its loopback address.

A sidecar charm talks to its workload over ``localhost`` (the pod's
containers share one network); a machine charm to a local daemon. WASI has
no sockets, so a connection to a loopback address (``localhost``,
``127.0.0.0/8``, ``::1``) made through ``socket.create_connection`` — what
``http.client``, ``urllib.request`` and ``httpx`` use — or urllib3's
``create_connection`` (``requests``) gets a socket that speaks HTTP/1.1 to
the host's ``loopback`` import: each complete request is sent to the host,
and its answer (the State's ``loopback_http``) is read back as the server's
response, with ``Connection: close``. A port with no answer refuses the
connection (``ConnectionRefusedError``), as a port nothing listens on does.
Anything but HTTP, and any other address, still has no network.
"""

from __future__ import annotations

import errno
import http
import io
import ipaddress
import socket
import sys

#: Names that resolve to the loopback address.
NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}

#: The most bytes a request's head may take before it is refused.
MAX_HEAD = 128 * 1024
#: The most bytes of one request's body.
MAX_BODY = 64 * 1024 * 1024


def is_loopback(host) -> bool:
    """Whether ``host`` names this unit's loopback address."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").lower().rstrip(".")
    if host in NAMES or host == "0.0.0.0":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _error(e) -> OSError:
    from wit_world.imports import loopback as wit

    message = f"charmbox: {getattr(e.value, 'value', e.value)}"
    if isinstance(e.value, wit.LoopbackError_Refused):
        return ConnectionRefusedError(errno.ECONNREFUSED, message)
    return OSError(errno.EINVAL, message)


def _host_connect(port: int) -> None:
    from componentize_py_types import Err
    from wit_world.imports import loopback as wit

    try:
        wit.connect(port)
    except Err as e:
        raise _error(e) from None


def _host_request(port, method, target, headers, body):
    """(status, headers, body) from the host; raises OSError."""
    from componentize_py_types import Err
    from wit_world.imports import loopback as wit

    try:
        r = wit.request(port, wit.HttpRequest(method, target, headers, body))
    except Err as e:
        raise _error(e) from None
    return r.status, list(r.headers), bytes(r.body)


#: How requests reach the host; tests put a fake in their place.
connector = _host_connect
requester = _host_request


def _parse_head(head: bytes):
    """(method, target, headers) of a request head, or OSError."""
    try:
        lines = head.decode("iso-8859-1").split("\r\n")
        method, target, version = lines[0].split(" ")
    except ValueError:
        raise OSError(errno.EPROTO, "charmbox: not an HTTP/1.x request") from None
    if not version.startswith("HTTP/1."):
        raise OSError(errno.EPROTO, f"charmbox: {version!r} is not HTTP/1.x")
    if "://" in target:  # absolute form: keep the path and query
        rest = target.split("://", 1)[1]
        target = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise OSError(errno.EPROTO, f"charmbox: malformed header line {line[:64]!r}")
        headers.append((name.strip(), value.strip()))
    return method, target, headers


def _body(buf: bytes, start: int, headers):
    """(body, end) of the request body from ``start``, or None when it has
    not all been sent yet."""
    fields = {n.lower(): v for n, v in headers}
    if "chunked" in fields.get("transfer-encoding", "").lower():
        body, at = bytearray(), start
        while True:
            eol = buf.find(b"\r\n", at)
            if eol < 0:
                return None
            try:
                size = int(buf[at:eol].split(b";")[0], 16)
            except ValueError:
                raise OSError(errno.EPROTO, "charmbox: malformed chunk size") from None
            if size < 0 or len(body) + size > MAX_BODY:
                raise OSError(errno.EMSGSIZE, f"charmbox: request body over {MAX_BODY} bytes")
            if size == 0:
                end = buf.find(b"\r\n\r\n", eol)  # after any trailers, an empty line
                return (bytes(body), end + 4) if end >= 0 else None
            if len(buf) < eol + 2 + size + 2:
                return None
            body += buf[eol + 2 : eol + 2 + size]
            at = eol + 2 + size + 2
    try:
        length = int(fields.get("content-length", "0"))
    except ValueError:
        raise OSError(errno.EPROTO, "charmbox: malformed Content-Length") from None
    if length < 0 or length > MAX_BODY:
        raise OSError(errno.EMSGSIZE, f"charmbox: request body over {MAX_BODY} bytes")
    if len(buf) < start + length:
        return None
    return buf[start : start + length], start + length


def _response(status: int, headers, body: bytes) -> bytes:
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    out = [f"HTTP/1.1 {status} {reason}".rstrip()]
    framing = {"content-length", "transfer-encoding", "connection"}
    out += [f"{n}: {v}" for n, v in headers if n.lower() not in framing]
    out += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    return "\r\n".join(out).encode("iso-8859-1") + body


class LoopbackSocket:
    """A connected TCP socket to a loopback port, speaking HTTP/1.1 to the
    host (see the module's doc)."""

    def __init__(self, host, port: int, timeout=None):
        connector(port)
        self.family = socket.AF_INET6 if ":" in str(host) else socket.AF_INET
        self.type = socket.SOCK_STREAM
        self.proto = 0
        self._peer = (str(host), port)
        self._port = port
        self._timeout = timeout
        self._sent = b""
        self._answer = io.BytesIO()
        self._closed = False

    # Sending: each complete request goes to the host at once.
    def sendall(self, data, flags=0) -> None:
        if self._closed:
            raise OSError(errno.EBADF, "Bad file descriptor")
        self._sent += bytes(data)
        while self._sent:
            head_end = self._sent.find(b"\r\n\r\n")
            if head_end < 0:
                if len(self._sent) > MAX_HEAD:
                    raise OSError(errno.EMSGSIZE, f"charmbox: request head over {MAX_HEAD} bytes")
                return
            method, target, headers = _parse_head(self._sent[:head_end])
            found = _body(self._sent, head_end + 4, headers)
            if found is None:
                return
            body, end = found
            self._sent = self._sent[end:]
            status, rheaders, rbody = requester(self._port, method, target, headers, body)
            at = self._answer.tell()
            self._answer.seek(0, io.SEEK_END)
            self._answer.write(_response(status, rheaders, rbody))
            self._answer.seek(at)

    def send(self, data, flags=0) -> int:
        self.sendall(data)
        return len(data)

    # Receiving: the answers, then end of file (the server closed).
    def recv(self, bufsize: int, flags=0) -> bytes:
        if self._sent:
            raise TimeoutError(errno.ETIMEDOUT, "charmbox: the request was never completed")
        return self._answer.read(bufsize)

    def recv_into(self, buffer, nbytes=0, flags=0) -> int:
        view = memoryview(buffer).cast("B")
        data = self.recv(nbytes or len(view))
        view[: len(data)] = data
        return len(data)

    def makefile(self, mode="r", buffering=None, *, encoding=None, errors=None, newline=None):
        raw = _SocketIO(self, mode)
        if "b" in mode:
            return raw if buffering == 0 else (
                io.BufferedWriter(raw) if "w" in mode else io.BufferedReader(raw)
            )
        buffered = io.BufferedWriter(raw) if "w" in mode else io.BufferedReader(raw)
        return io.TextIOWrapper(buffered, encoding, errors, newline)

    def settimeout(self, timeout) -> None:
        self._timeout = timeout

    def gettimeout(self):
        return self._timeout

    def setblocking(self, flag) -> None:
        self._timeout = None if flag else 0.0

    def setsockopt(self, *args) -> None:
        pass

    def getsockopt(self, *args):
        return 0

    def getpeername(self):
        return self._peer

    def getsockname(self):
        return ("127.0.0.1", 0) if self.family == socket.AF_INET else ("::1", 0, 0, 0)

    def fileno(self) -> int:
        return -1

    def shutdown(self, how) -> None:
        pass

    def close(self) -> None:
        self._closed = True

    def detach(self) -> int:
        self._closed = True
        return -1

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _SocketIO(io.RawIOBase):
    def __init__(self, sock: LoopbackSocket, mode: str):
        self._sock = sock
        self._writing = "w" in mode

    def readable(self) -> bool:
        return not self._writing

    def writable(self) -> bool:
        return self._writing

    def readinto(self, b) -> int:
        return self._sock.recv_into(b)

    def write(self, b) -> int:
        self._sock.sendall(b)
        return len(b)


_original_create_connection = socket.create_connection


def create_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None, **kw):
    """``socket.create_connection``, answering loopback addresses."""
    host, port = address[0], address[1]
    if is_loopback(host):
        t = None if timeout is socket._GLOBAL_DEFAULT_TIMEOUT else timeout
        return LoopbackSocket(host, int(port), t)
    return _original_create_connection(address, timeout, source_address, **kw)


def _urllib3_create_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None, socket_options=None):
    return create_connection(address, timeout, source_address)


def install() -> None:
    """Answer loopback connections; run after everything is imported."""
    socket.create_connection = create_connection
    for name in ("IPPROTO_TCP", "TCP_NODELAY"):
        if not hasattr(socket, name):  # http.client sets TCP_NODELAY
            setattr(socket, name, {"IPPROTO_TCP": 6, "TCP_NODELAY": 1}[name])
    urllib3 = sys.modules.get("urllib3.util.connection")
    if urllib3 is not None:
        urllib3.create_connection = _urllib3_create_connection
