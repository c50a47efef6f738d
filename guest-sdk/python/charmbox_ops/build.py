"""Build-time preparation, called by the entry module ``charmbox build``
generates: find the charm's files, import what the charm may need, install
the seams into ops, and hand the compiled entry point to the handler.
"""

from __future__ import annotations

import gc
import os
import re
import sys

from . import (
    abccache,
    handler,
    hooktools,
    loopback,
    machine,
    metadata,
    network,
    nolzma,
    nousers,
    pebble,
    preload,
    storage,
)
from .entry import Entry

# Where each build root is deployed in a charm directory.
DEPLOYED = {"src": None, "lib": "lib", "venv": "venv", "sdk": "venv"}


def roots(roles: list[str]) -> dict[str, str]:
    """componentize-py mounts the ``-p`` directories as ``/0``, ``/1``, ...
    in the order given; ``roles`` names them in that order."""
    mounted = [p for p in sys.path if re.fullmatch(r"/\d+", p)]
    if len(mounted) < len(roles):
        raise RuntimeError(f"charmbox_ops: expected {len(roles)} python paths, found {mounted}")
    return dict(zip(roles, mounted))


def check_ops() -> None:
    try:
        import ops
        import ops.hookcmds._utils  # noqa: F401
    except ImportError as e:
        raise RuntimeError(
            "charmbox_ops needs ops 3 (with ops.hookcmds) in the charm's requirements: " + str(e)
        ) from e
    del ops


def forget_build_times() -> None:
    """Drop the file times the imports left in the snapshot, so the same
    sources build to the same component: importlib's directory caches hold
    each directory's time (componentize-py's standard library is extracted
    afresh for every build), linecache each file's. A finder's cached time
    becomes 0.0, which no directory has at run time either, so a run-time
    import looks again, as before; a linecache entry's becomes None, which
    keeps its lines (the files are not in the component)."""
    import linecache

    for finder in list(sys.path_importer_cache.values()):
        if hasattr(finder, "_path_mtime"):
            finder._path_mtime = 0.0
    for key, entry in list(linecache.cache.items()):
        if len(entry) == 4 and entry[1] is not None:
            linecache.cache[key] = (entry[0], None, entry[2], entry[3])


def prepare(entry: str, roles: list[str]) -> None:
    """``entry`` is the entry point relative to the charm directory
    (``src/charm.py``); the ``src`` root is the directory holding it."""
    found = roots(roles)
    entry_file = f"{found['src']}/{os.path.basename(entry)}"
    with open(entry_file, encoding="utf-8") as f:
        source = f.read()
    check_ops()
    nolzma.install()
    nousers.install()
    machine.install()
    preload.preload(source, entry_file, found)
    metadata.load(os.path.join(found["app"], "charm-meta"))
    hooktools.install()
    metadata.install()
    storage.install()
    pebble.install()
    network.install()
    loopback.install()
    src_dir = os.path.dirname(entry) or "."
    prefixes = [
        (path, src_dir if role == "src" else DEPLOYED[role])
        for role, path in found.items()
        if role in DEPLOYED
    ]
    handler.configure(Entry(source, entry_file, entry), prefixes)
    forget_build_times()
    abccache.refresh()
    # Everything imported so far is in the snapshot every event starts from.
    # Frozen, the collector never walks it: an event's collections touch
    # only its own objects, and the snapshot's pages are not copied (each
    # written page of the snapshot is a copy-on-write fault in the host).
    gc.collect()
    gc.freeze()
