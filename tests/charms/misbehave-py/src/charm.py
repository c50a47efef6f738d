#!/usr/bin/env python3
"""misbehave-py: does on `start` what config `mode` says (see charmcraft.yaml)."""

import os
import random
import sys
import time
import uuid

import ops


class MisbehaveCharm(ops.CharmBase):
    _stored = ops.StoredState()

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self._stored.set_default(count=0)
        framework.observe(self.on.start, self._on_start)
        framework.observe(self.on.update_status, self._on_update_status)

    def _peers(self) -> ops.Relation:
        relation = self.model.get_relation('peers')
        assert relation is not None, 'no peers relation'
        return relation

    def _on_update_status(self, event: ops.UpdateStatusEvent) -> None:
        if self.config['mode'] == 'count':
            self._stored.count += 1
            self._peers().data[self.unit]['count'] = str(self._stored.count)

    def _on_start(self, event: ops.StartEvent) -> None:
        mode = self.config['mode']
        if mode == 'write-app-as-anyone':
            self._peers().data[self.app]['written'] = 'yes'
        elif mode == 'fail-after-write':
            self._peers().data[self.unit]['touched'] = 'yes'
            self._peers().data[self.app]['touched'] = 'yes'
            self.unit.status = ops.BlockedStatus('about to fail')
            raise RuntimeError('deliberate failure')
        elif mode == 'count':
            self._stored.count += 1
            self._peers().data[self.unit]['count'] = str(self._stored.count)
        elif mode == 'secret':
            secret = self.app.add_secret({'password': 's3cret'}, label='pw')
            self._peers().data[self.unit]['secret'] = secret.id or ''
        elif mode == 'exit':
            sys.exit(3)
        elif mode == 'entropy':
            bag = self._peers().data[self.unit]
            bag['random'] = repr(random.random())
            bag['uuid'] = str(uuid.uuid4())
            bag['time'] = repr(time.time())
        elif mode == 'lazy-import':
            import decimal

            self._peers().data[self.unit]['decimal'] = str(decimal.Decimal('1.10') * 3)
        elif mode == 'loop':
            while True:
                pass
        elif mode == 'grow':
            chunks = []
            while True:
                chunks.append(bytearray(1 << 20))
        self.unit.status = ops.ActiveStatus()


if __name__ == '__main__':
    ops.main(MisbehaveCharm, use_juju_for_storage=os.environ.get('JUJU_MODEL_NAME') == 'juju-storage')
