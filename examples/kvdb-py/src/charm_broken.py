#!/usr/bin/env python3
"""Entry point of revisions/broken (its charmcraft.yaml names this file):
a revision whose upgrade fails: it asks for kvdb-server 3.0, which
the mirror does not have.

The charm is charm.py's, carrying these versions. The class keeps the name
KvdbCharm, so what ops stored under that name (deferred events) carries
over a refresh.
"""

from typing import Any

import charm
import ops

DEPENDENCIES: dict[str, dict[str, Any]] = {
    "kvdb_charm": {"name": "kvdb", "version": "2", "upgrade_supported": ">0"},
    "kvdb_service": {"name": "kvdb", "version": "3.0", "upgrade_supported": ">=1.0"},
}


class KvdbCharm(charm.KvdbCharm):
    """kvdb-py as revisions/broken carries it."""

    DEPENDENCIES = DEPENDENCIES


if __name__ == "__main__":  # pragma: nocover
    ops.main(KvdbCharm)
