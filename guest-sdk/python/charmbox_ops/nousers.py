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


def _module(name: str, kind: str, struct: type, entries: tuple, num: str):
    """A ``pwd``-like module over ``entries``: ``get<kind>nam`` and
    ``get<kind><num>`` look an entry up (its fields 0 and 2), as CPython's."""
    m = types.ModuleType(name, f"The sandbox's {name} entries: root only.")
    setattr(m, struct.__name__, struct)

    def by_name(key: str):
        if not isinstance(key, str):
            # CPython 3.11-3.14's own wording, which differs between the two.
            arg = "argument 'name'" if kind == "gr" else "argument"
            raise TypeError(f"get{kind}nam() {arg} must be str, not {type(key).__name__}")
        for e in entries:
            if e[0] == key:
                return e
        raise KeyError(f"get{kind}nam(): name not found: {key!r}")

    def by_number(key: int):
        for e in entries:
            if e[2] == key:
                return e
        raise KeyError(f"get{kind}{num}(): {num} not found: {key}")

    setattr(m, f"get{kind}nam", by_name)
    setattr(m, f"get{kind}{num}", by_number)
    setattr(m, f"get{kind}all", lambda: list(entries))
    return m


def _pwd() -> types.ModuleType:
    return _module("pwd", "pw", struct_passwd, USERS, "uid")


def _grp() -> types.ModuleType:
    return _module("grp", "gr", struct_group, GROUPS, "gid")


def install() -> None:
    """Put ``pwd`` and ``grp`` in ``sys.modules`` where the real ones are missing."""
    for name, make in (("pwd", _pwd), ("grp", _grp)):
        try:
            __import__(name)
        except ImportError:
            sys.modules[name] = make()
