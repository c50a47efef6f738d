"""The sandbox has no network: say so.

WASI gives the component no sockets and no name lookups. Left alone, a
charm's HTTP request fails far from the cause (the host name's ``idna``
codec is not in the snapshot: ``LookupError: unknown encoding: idna``).
Name lookups and connections instead raise the errors Python raises when a
machine has no network (``socket.gaierror``, ``OSError(ENETUNREACH)``),
whose message says that this is charmbox's sandbox. Libraries handle them
as they handle an unreachable network (``urllib.error.URLError``,
``requests.ConnectionError``).
"""

from __future__ import annotations

import errno
import socket

MESSAGE = "charmbox: the sandbox has no network"


def _no_lookup(host, *args, **kwargs):
    raise socket.gaierror(socket.EAI_NONAME, f"{MESSAGE} (looking up {host!r})")


def _no_connect(self, address, *args, **kwargs):
    raise OSError(errno.ENETUNREACH, f"{MESSAGE} (connecting to {address!r})")


def _no_connect_ex(self, address, *args, **kwargs):
    return errno.ENETUNREACH


def install() -> None:
    socket.getaddrinfo = _no_lookup
    socket.gethostbyname = _no_lookup
    socket.gethostbyname_ex = _no_lookup
    socket.socket.connect = _no_connect
    socket.socket.connect_ex = _no_connect_ex
