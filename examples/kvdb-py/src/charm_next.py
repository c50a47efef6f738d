#!/usr/bin/env python3
"""Entry point of revisions/next (its charmcraft.yaml names this file):
the charm's next revision: kvdb-server 1.1, which upgrades in place
from any 1.x.

The charm is charm.py's, carrying these versions. The class keeps the name
KvdbCharm, so what ops stored under that name (deferred events) carries
over a refresh.
"""

from typing import Any

import charm
import ops

DEPENDENCIES: dict[str, dict[str, Any]] = {
    "kvdb_charm": {"name": "kvdb", "version": "2", "upgrade_supported": ">0"},
    "kvdb_service": {"name": "kvdb", "version": "1.1", "upgrade_supported": "^1.0"},
}


class KvdbCharm(charm.KvdbCharm):
    """kvdb-py as revisions/next carries it."""

    DEPENDENCIES = DEPENDENCIES


if __name__ == "__main__":  # pragma: nocover
    ops.main(KvdbCharm)
