"""``pwd`` and ``grp`` for the sandbox's Python.

componentize-py's CPython (WASI) has no ``pwd`` or ``grp``, so charm
libraries that look up file owners (charmlibs' ``pathops``, used by machine
charms) failed to import. When the real modules are missing, these stand in:
the sandbox has one user and one group, ``root`` (0), as a minimal container
would; any other name or id raises ``KeyError`` with CPython's message, as
for a user the machine does not have.
"""

from __future__ import annotations

import sys
import types


class struct_passwd(tuple):
    """A ``pwd`` entry (CPython's structseq fields)."""

    n_fields = n_sequence_fields = 7
    pw_name = property(lambda self: self[0])
    pw_passwd = property(lambda self: self[1])
    pw_uid = property(lambda self: self[2])
    pw_gid = property(lambda self: self[3])
    pw_gecos = property(lambda self: self[4])
    pw_dir = property(lambda self: self[5])
    pw_shell = property(lambda self: self[6])


class struct_group(tuple):
    """A ``grp`` entry (CPython's structseq fields)."""

    n_fields = n_sequence_fields = 4
    gr_name = property(lambda self: self[0])
    gr_passwd = property(lambda self: self[1])
    gr_gid = property(lambda self: self[2])
    gr_mem = property(lambda self: self[3])


USERS = (struct_passwd(("root", "x", 0, 0, "root", "/root", "/bin/bash")),)
GROUPS = (struct_group(("root", "x", 0, [])),)


def _pwd() -> types.ModuleType:
    m = types.ModuleType("pwd", "The sandbox's users: root only.")
    m.struct_passwd = struct_passwd

    def getpwnam(name: str) -> struct_passwd:
        if not isinstance(name, str):
            raise TypeError(f"getpwnam() argument must be str, not {type(name).__name__}")
        for u in USERS:
            if u.pw_name == name:
                return u
        raise KeyError(f"getpwnam(): name not found: {name!r}")

    def getpwuid(uid: int) -> struct_passwd:
        for u in USERS:
            if u.pw_uid == uid:
                return u
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    m.getpwnam, m.getpwuid = getpwnam, getpwuid
    m.getpwall = lambda: list(USERS)
    return m


def _grp() -> types.ModuleType:
    m = types.ModuleType("grp", "The sandbox's groups: root only.")
    m.struct_group = struct_group

    def getgrnam(name: str) -> struct_group:
        if not isinstance(name, str):
            raise TypeError(f"getgrnam() argument must be str, not {type(name).__name__}")
        for g in GROUPS:
            if g.gr_name == name:
                return g
        raise KeyError(f"getgrnam(): name not found: {name!r}")

    def getgrgid(gid: int) -> struct_group:
        for g in GROUPS:
            if g.gr_gid == gid:
                return g
        raise KeyError(f"getgrgid(): gid not found: {gid}")

    m.getgrnam, m.getgrgid = getgrnam, getgrgid
    m.getgrall = lambda: list(GROUPS)
    return m


def install() -> None:
    """Put ``pwd`` and ``grp`` in ``sys.modules`` where the real ones are missing."""
    for name, make in (("pwd", _pwd), ("grp", _grp)):
        try:
            __import__(name)
        except ImportError:
            sys.modules[name] = make()
