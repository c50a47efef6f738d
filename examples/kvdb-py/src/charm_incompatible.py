#!/usr/bin/env python3
"""Entry point of revisions/incompatible (its charmcraft.yaml names this file):
a revision that refuses the running version: kvdb 2.0 upgrades in
place only from ~1.5.

The charm is charm.py's, carrying these versions. The class keeps the name
KvdbCharm, so what ops stored under that name (deferred events) carries
over a refresh.
"""

from typing import Any

import charm
import ops

DEPENDENCIES: dict[str, dict[str, Any]] = {
    "kvdb_charm": {"name": "kvdb", "version": "3", "upgrade_supported": ">0"},
    "kvdb_service": {"name": "kvdb", "version": "2.0", "upgrade_supported": "~1.5"},
}


class KvdbCharm(charm.KvdbCharm):
    """kvdb-py as revisions/incompatible carries it."""

    DEPENDENCIES = DEPENDENCIES


if __name__ == "__main__":  # pragma: nocover
    ops.main(KvdbCharm)
