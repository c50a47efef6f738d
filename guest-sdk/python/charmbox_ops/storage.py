"""ops' local state (``StoredState``, deferred events) in the unit's state dir.

In Juju, ops keeps ``.unit-state.db`` (SQLite) in the charm directory. In
charmbox the charm directory is read-only, so the database lives in the
writable per-unit state directory the host mounts at ``STATE_DIR``; it lasts
as long as the host keeps that directory (see docs/python.md).
"""

from __future__ import annotations

import os

from . import STATE_DIR

STATE_FILE = STATE_DIR + "/.unit-state.db"


def _ensure_db_permissions(self, filename: str) -> None:
    # ops creates the file with O_CREAT | O_EXCL and chmods it; WASI needs an
    # access mode to create a file and has no permission bits.
    if os.path.exists(filename):
        return
    try:
        fd = os.open(filename, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except OSError as e:
        raise RuntimeError(f"Unable to adjust access permission of {filename!r}") from e
    os.close(fd)


def install() -> None:
    """Move the state file and make SQLite storage work under WASI."""
    import ops._main
    import ops.storage

    ops.storage.SQLiteStorage._ensure_db_permissions = _ensure_db_permissions
    init = ops._main._Manager.__init__
    code = init.__code__
    names = code.co_varnames[: code.co_argcount]
    defaults = list(init.__defaults__ or ())
    first = len(names) - len(defaults)
    if "charm_state_path" not in names[first:]:
        raise RuntimeError("charmbox_ops: this ops has no _Manager charm_state_path parameter")
    defaults[names.index("charm_state_path") - first] = STATE_FILE
    init.__defaults__ = tuple(defaults)
