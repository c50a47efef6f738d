"""The exported ``juju:charm/handler`` interface: one event per call.

Each event runs in a fresh instance of the component, restored from the
build-time snapshot. ``dispatch`` puts the process where Juju's dispatch
would (working directory, ``argv``, temporary directory),
runs the charm's entry point, and turns an uncaught exception into the
hook's error: the traceback text, with nothing buffered committed.
"""

from __future__ import annotations

import os
import tempfile

from componentize_py_types import Err
from wit_world import exports

from . import TMP_DIR, tracebacks
from .entry import Entry

_entry: Entry | None = None
_prefixes: list[tuple[str, str]] = []


def configure(entry: Entry, prefixes: list[tuple[str, str]]) -> None:
    """Set at build time by :func:`charmbox_ops.build.prepare`."""
    global _entry, _prefixes
    _entry = entry
    _prefixes = prefixes


def _settle(charm_dir: str) -> None:
    try:
        os.chdir(charm_dir)
    except OSError:
        pass  # no charm directory mounted (exact replay from a component)
    tempfile.tempdir = TMP_DIR
    # `random` needs no reseeding: componentize-py reseeds it from WASI's
    # (seeded, per-State) randomness when the instance starts.


class Handler(exports.Handler):
    def dispatch(self, event) -> None:
        if _entry is None:
            raise Err("charmbox_ops: the component was built without an entry point")
        charm_dir = event.context.charm_dir
        fix = tracebacks.path_mapper(_prefixes, charm_dir)
        try:
            _settle(charm_dir)
            _entry.run(charm_dir)
        except SystemExit as e:
            if e.code in (None, 0):
                return
            raise Err(f"the charm exited with status {e.code}") from None
        except BaseException as e:  # noqa: BLE001 - every failure fails the hook
            tracebacks.report(e, _entry.filename, fix)
            raise Err(tracebacks.format_failure(e, _entry.filename, fix)) from None
