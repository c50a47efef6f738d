"""``isinstance`` against abstract base classes, answered from the snapshot.

An ABC remembers which classes it has said no to (its negative cache), but
only until any ABC anywhere registers a class: ``ABC.register`` moves a
global counter and every negative cache older than the counter is dropped
on its next use. The build imports hundreds of modules and many of them
register classes, so the caches the imports filled are stale by the time
the snapshot is taken, and every event starts by recomputing them. A check
such as ``isinstance("text", Mapping)``, which ``logging`` makes for every
record with arguments, then walks ``Mapping``'s whole subclass tree again.

:func:`refresh` asks each ABC again, just before the snapshot, the
questions its stale cache held, plus the same question for the built-in
types events pass around most. The answers are what the event would
compute itself (nothing changes between the snapshot and the event's
start), so an event sees the same results; it only stops paying for them.
One difference is possible: a ``__subclasshook__`` (or ``__subclasscheck__``)
with side effects now also runs at build time, where the charm's modules
already run their imports; one that raises is ignored here and raises
again when the event asks.
"""

from __future__ import annotations

import abc
import gc
import pathlib
import types

# Types an event checks against ABCs whatever the charm: log-record
# arguments, hook-tool output, paths, JSON values.
COMMON = (
    str, bytes, bytearray, int, float, bool, complex, type(None),
    list, tuple, dict, set, frozenset, range, memoryview,
    pathlib.PosixPath, pathlib.PurePosixPath,
    types.FunctionType, types.MethodType, types.GeneratorType,
)


def refresh() -> int:
    """Re-ask every ABC's stale questions; returns how many were asked."""
    asked = 0
    for cls in [o for o in gc.get_objects() if isinstance(o, abc.ABCMeta)]:
        try:
            _, _, negative, _ = abc._get_dump(cls)
        except (TypeError, AttributeError):  # a pure-Python ABC or no ABC state
            continue
        seen = [ref() for ref in negative]
        for sub in [*(t for t in seen if isinstance(t, type)), *COMMON]:
            try:
                issubclass(sub, cls)
            except Exception:  # noqa: BLE001 - a hook that fails now fails in the event too
                pass
            asked += 1
    return asked
