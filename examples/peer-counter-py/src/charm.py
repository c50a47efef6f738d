#!/usr/bin/env python3
"""peer-counter-py: the charm of the Juju SDK tutorial chapter "Preserve your
charm's data", with ops. On `start` it counts how often the application has
started, in the peer relation's application databag, where the count
survives the unit's pod being recreated.

The helpers and `_count` are the tutorial's; like examples/peer-counter (the
same charm in Rust), only the leader writes the application databag, which
Juju refuses to any other unit.
"""

import json
import logging
from typing import Dict, List, Optional, Union, cast

import ops

logger = logging.getLogger(__name__)

PEER_NAME = 'fastapi-peer'

JSONData = Union[
    Dict[str, 'JSONData'],
    List['JSONData'],
    str,
    int,
    float,
    bool,
    None,
]


class PeerCounterCharm(ops.CharmBase):
    """Counts application starts in the peer relation."""

    def __init__(self, framework: ops.Framework) -> None:
        super().__init__(framework)
        framework.observe(self.on.start, self._on_start)

    @property
    def peers(self) -> Optional[ops.Relation]:
        """Fetch the peer relation."""
        return self.model.get_relation(PEER_NAME)

    def set_peer_data(self, key: str, data: JSONData) -> None:
        """Put information into the peer data bucket instead of `StoredState`."""
        peers = cast(ops.Relation, self.peers)
        peers.data[self.app][key] = json.dumps(data)

    def get_peer_data(self, key: str) -> Dict[str, JSONData]:
        """Retrieve information from the peer data bucket instead of `StoredState`."""
        if not self.peers:
            return {}
        data = self.peers.data[self.app].get(key, '')
        if not data:
            return {}
        return json.loads(data)

    def _on_start(self, event: ops.StartEvent) -> None:
        self._count(event)
        self.unit.status = ops.ActiveStatus()

    def _count(self, event: ops.StartEvent) -> None:
        """This function updates a counter for the number of times a K8s pod has been started.

        It retrieves the current count of pod starts from the 'unit_stats' peer relation data,
        increments the count, and then updates the 'unit_stats' data with the new count.
        """
        if not self.peers:
            logger.info('no %s relation yet: not counting this start', PEER_NAME)
            return
        if not self.unit.is_leader():
            logger.info('not the leader: leaving started_counter to the leader')
            return
        unit_stats = self.get_peer_data('unit_stats')
        counter = cast(str, unit_stats.get('started_counter', '0'))
        self.set_peer_data('unit_stats', {'started_counter': int(counter) + 1})
        logger.info('started_counter is now %d', int(counter) + 1)


if __name__ == '__main__':  # pragma: nocover
    ops.main(PeerCounterCharm)
