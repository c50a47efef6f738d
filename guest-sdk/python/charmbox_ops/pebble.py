"""ops' Pebble client, answered by the ``pebble`` imports.

``ops.pebble.Client`` speaks HTTP over a unix socket. Here its opener sends
each request to the container's raw ``request`` import, which answers as
Pebble's server does (JSON envelope, status codes), so every JSON call of
ops works unchanged. ``exec``, ``push`` and ``pull`` use websockets or
multipart streams in ops; they go through the typed imports instead. A
command runs to completion inside ``exec()``: its stdin is what was passed
to ``exec``, and the process's ``stdin`` stream cannot be written later.
"""

from __future__ import annotations

import http
import io
import re
import urllib.error
import urllib.parse
import urllib.request
import urllib.response
from email.message import Message
from typing import Any

import ops.model
import ops.pebble as opebble
from componentize_py_types import Err
from wit_world.imports import pebble as wit

_SOCKET = re.compile(r"^/charm/containers/([^/]+)/pebble\.socket$")


def container_name(socket_path: str) -> str:
    """The container of a socket path as ops builds it."""
    m = _SOCKET.match(socket_path)
    if m is None:
        raise opebble.ConnectionError(
            f"charmbox: no Pebble at {socket_path!r} (expected /charm/containers/<name>/pebble.socket)"
        )
    return m.group(1)


def _status_text(code: int) -> str:
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return ""


def _change(err: str) -> opebble.Change:
    return opebble.Change.from_dict(
        {
            "id": "",
            "kind": "exec",
            "summary": "",
            "status": "Error",
            "tasks": [],
            "ready": True,
            "err": err,
            "spawn-time": "1970-01-01T00:00:00Z",
            "ready-time": "1970-01-01T00:00:00Z",
        }
    )


def to_ops_error(err: Any) -> Exception:
    """The ops exception for a WIT ``pebble-error``."""
    v = err.value
    if isinstance(err, wit.PebbleError_Connection):
        return opebble.ConnectionError(v)
    if isinstance(err, wit.PebbleError_Api):
        status = _status_text(v.status_code)
        result: dict[str, Any] = {"message": v.message}
        if v.kind is not None:
            result["kind"] = v.kind
        body = {"type": "error", "status-code": v.status_code, "status": status, "result": result}
        return opebble.APIError(body, v.status_code, status, v.message)
    if isinstance(err, wit.PebbleError_Path):
        return opebble.PathError(v.kind, v.message)
    if isinstance(err, wit.PebbleError_Change):
        return opebble.ChangeError(v, _change(v))
    if isinstance(err, wit.PebbleError_Timeout):
        return opebble.TimeoutError(v)
    return opebble.Error(repr(err))


class _Handler(urllib.request.BaseHandler):
    """Sends ``http://localhost/...`` requests to the raw ``request`` import."""

    def __init__(self, client: Client):
        self._client = client

    def http_open(self, req: urllib.request.Request) -> urllib.response.addinfourl:
        url = urllib.parse.urlsplit(req.full_url)
        query = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
        data = req.data
        if data is None:
            body = b""
        elif isinstance(data, (bytes, bytearray)):
            body = bytes(data)
        else:
            body = b"".join(data)
        headers = [(k, str(v)) for k, v in req.header_items()]
        try:
            container = self._client._container()
            resp = container.request(req.get_method(), url.path, query, headers, body)
        except Err as e:
            if isinstance(e.value, wit.PebbleError_Connection):
                raise urllib.error.URLError(e.value.value) from None
            raise to_ops_error(e.value) from None
        msg = Message()
        for k, v in resp.headers:
            msg[k] = v
        out = urllib.response.addinfourl(io.BytesIO(resp.body), msg, req.full_url, resp.status)
        out.msg = _status_text(resp.status)
        return out


def _opener(client: Client) -> urllib.request.OpenerDirector:
    opener = urllib.request.OpenerDirector()
    opener.add_handler(_Handler(client))
    opener.add_handler(urllib.request.HTTPDefaultErrorHandler())
    opener.add_handler(urllib.request.HTTPErrorProcessor())
    return opener


class _NoStdin(io.RawIOBase):
    """The stdin of a command that has already run."""

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        raise opebble.Error(
            "charmbox: exec runs the command to completion inside exec(); "
            "pass its input as exec(..., stdin=...)"
        )


class ExecProcess:
    """What ``Client.exec`` returns: a command that has already finished."""

    def __init__(self, command, encoding, output, error, stdin_given, stdout, stderr, combined):
        self._command = command
        self._encoding = encoding
        self._output = output
        self._error = error
        self.stdin = None if stdin_given else _NoStdin()
        self.stdout = None
        self.stderr = None
        out = self._decode(output.stdout if output is not None else b"")
        err = self._decode(output.stderr if output is not None else b"")
        if stdout is not None:
            stdout.write(out)
        else:
            self.stdout = self._stream(out)
        if not combined:
            if stderr is not None:
                stderr.write(err)
            else:
                self.stderr = self._stream(err)

    def _decode(self, data: bytes) -> Any:
        return data if self._encoding is None else data.decode(self._encoding)

    def _stream(self, value: Any) -> Any:
        return io.BytesIO(value) if self._encoding is None else io.StringIO(value)

    def _wait(self) -> int:
        if self._error is not None:
            raise self._error
        return self._output.exit_code

    def wait(self) -> None:
        exit_code = self._wait()
        if exit_code != 0:
            raise opebble.ExecError(self._command, exit_code, None, None)

    def wait_output(self) -> tuple[Any, Any]:
        if self.stdout is None:
            raise TypeError(
                "can't use wait_output() when exec was called with the stdout argument; "
                "use wait() instead"
            )
        exit_code = self._wait()
        out = self.stdout.getvalue()
        err = self.stderr.getvalue() if self.stderr is not None else None
        if exit_code != 0:
            raise opebble.ExecError(self._command, exit_code, out, err)
        return out, err

    def send_signal(self, sig: int | str) -> None:
        raise opebble.Error("charmbox: the command has already finished")


def _options(make_dirs, permissions, user_id, user, group_id, group) -> wit.FileOptions:
    return wit.FileOptions(
        make_dirs=bool(make_dirs),
        permissions=permissions,
        user_id=user_id,
        user=user,
        group_id=group_id,
        group=group,
    )


class Client(opebble.Client):
    """``ops.pebble.Client`` for one container of a charmbox component."""

    def __init__(self, socket_path: str, *args: Any, **kwargs: Any):
        self._name = container_name(socket_path)
        self._handle: Any = None
        kwargs["opener"] = _opener(self)
        super().__init__(socket_path, *args, **kwargs)

    def _container(self) -> Any:
        if self._handle is None:
            self._handle = wit.Container.open(self._name)
        return self._handle

    def _typed(self, call):
        try:
            return call(self._container())
        except Err as e:
            raise to_ops_error(e.value) from None

    def pull(self, path, *, encoding: str | None = "utf-8"):
        path = str(path)
        data = self._typed(lambda c: c.pull(path))
        raw = io.BytesIO(data)
        return raw if encoding is None else io.TextIOWrapper(raw, encoding=encoding)

    def push(
        self,
        path,
        source,
        *,
        encoding: str = "utf-8",
        make_dirs: bool = False,
        permissions: int | None = None,
        user_id: int | None = None,
        user: str | None = None,
        group_id: int | None = None,
        group: str | None = None,
    ) -> None:
        path = str(path)
        if isinstance(source, str):
            data = source.encode(encoding)
        elif isinstance(source, (bytes, bytearray)):
            data = bytes(source)
        else:
            content = source.read()
            data = content.encode(encoding) if isinstance(content, str) else bytes(content)
        opts = _options(make_dirs, permissions, user_id, user, group_id, group)
        self._typed(lambda c: c.push(path, data, opts))

    def exec(
        self,
        command: list[str],
        *,
        service_context: str | None = None,
        environment: dict[str, str] | None = None,
        working_dir=None,
        timeout: float | None = None,
        user_id: int | None = None,
        user: str | None = None,
        group_id: int | None = None,
        group: str | None = None,
        stdin=None,
        stdout=None,
        stderr=None,
        encoding: str | None = "utf-8",
        combine_stderr: bool = False,
    ) -> ExecProcess:
        if not isinstance(command, list) or not all(isinstance(s, str) for s in command):
            raise TypeError(f"command must be a list of str, not {type(command).__name__}")
        if len(command) < 1:
            raise ValueError("command must contain at least one item")
        if stdin is None:
            data = b""
        elif isinstance(stdin, str):
            if encoding is None:
                raise ValueError("encoding must be set if stdin is str")
            data = stdin.encode(encoding)
        elif isinstance(stdin, bytes):
            if encoding is not None:
                raise ValueError("encoding must be None if stdin is bytes")
            data = stdin
        elif hasattr(stdin, "read"):
            content = stdin.read()
            data = content.encode(encoding or "utf-8") if isinstance(content, str) else content
        else:
            raise TypeError("stdin must be str, bytes, or a readable file-like object")
        if combine_stderr and stderr is not None:
            raise ValueError("stderr must be None if combine_stderr is True")
        request = wit.ExecRequest(
            command=list(command),
            service_context=service_context,
            environment=sorted((environment or {}).items()),
            working_dir=str(working_dir) if working_dir is not None else None,
            timeout_ms=int(timeout * 1000) if timeout is not None else None,
            user_id=user_id,
            user=user,
            group_id=group_id,
            group=group,
            stdin=data,
            split_stderr=not combine_stderr,
        )
        try:
            output, error = self._container().exec(request), None
        except Err as e:
            if isinstance(e.value, (wit.PebbleError_Change, wit.PebbleError_Timeout)):
                output, error = None, to_ops_error(e.value)
            else:
                raise to_ops_error(e.value) from None
        return ExecProcess(
            command, encoding, output, error, stdin is not None, stdout, stderr, combine_stderr
        )


def install() -> None:
    """Give every ``ops.Container`` a charmbox Pebble client."""

    def get_pebble(self: Any, socket_path: str) -> Client:
        return Client(socket_path=socket_path)

    ops.model._ModelBackend.get_pebble = get_pebble
