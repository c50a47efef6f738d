#!/usr/bin/env python3
"""testing-py: one handler per part of ops.testing's State, for charmbox.testing's tests."""

import logging

import ops

logger = logging.getLogger(__name__)


class StateCharm(ops.CharmBase):
    """Counts starts, defers or crashes on demand, answers actions."""

    _stored = ops.StoredState()

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self._stored.set_default(starts=0)
        framework.observe(self.on.start, self._on_start)
        framework.observe(self.on.config_changed, self._on_config_changed)
        framework.observe(self.on.db_relation_changed, self._on_db_changed)
        framework.observe(self.on.leader_elected, self._on_leader_elected)
        framework.observe(self.on.workload_pebble_ready, self._on_pebble_ready)
        framework.observe(self.on.count_action, self._on_count)
        framework.observe(self.on.refuse_action, self._on_refuse)
        framework.observe(self.on.collect_unit_status, self._on_collect_status)

    def _on_collect_status(self, event: ops.CollectStatusEvent) -> None:
        if self.config['mode'] == 'blocked':
            event.add_status(ops.BlockedStatus('mode is blocked'))

    def _on_start(self, event: ops.StartEvent) -> None:
        self._stored.starts += 1
        self.unit.status = ops.MaintenanceStatus('starting')
        self.unit.status = ops.ActiveStatus(f'starts={self._stored.starts}')

    def _on_config_changed(self, event: ops.ConfigChangedEvent) -> None:
        mode = self.config['mode']
        if mode == 'crash':
            raise RuntimeError('asked to crash')
        if mode == 'defer':
            event.defer()
            return
        if mode == 'http':
            # The ops examples' get_version: the workload over localhost.
            import json
            import urllib.request

            with urllib.request.urlopen('http://localhost:8000/version') as r:
                self.unit.set_workload_version(json.loads(r.read())['version'])
            return
        if mode == 'exec':
            process = self.unit.get_container('workload').exec(['/bin/version', '--short'])
            version, _ = process.wait_output()
            self.unit.set_workload_version(version.strip())
            return
        self.unit.set_workload_version('1.2.3')
        self.unit.set_ports(8080)
        self.unit.status = ops.ActiveStatus()

    def _on_db_changed(self, event: ops.RelationChangedEvent) -> None:
        host = event.relation.data[event.relation.app].get('host', '')
        event.relation.data[self.unit]['seen-host'] = host
        if self.unit.is_leader():
            event.relation.data[self.app]['database'] = 'app-db'

    def _on_leader_elected(self, event: ops.LeaderElectedEvent) -> None:
        self.app.add_secret({'password': 'hunter2'}, label='admin')
        self.app.status = ops.ActiveStatus('leading')

    def _on_pebble_ready(self, event: ops.PebbleReadyEvent) -> None:
        layer = ops.pebble.Layer(
            {
                'services': {
                    'app': {'override': 'replace', 'command': '/bin/app', 'startup': 'enabled'}
                }
            }
        )
        event.workload.add_layer('app', layer, combine=True)
        event.workload.replan()
        self.unit.status = ops.ActiveStatus('serving')

    def _on_count(self, event: ops.ActionEvent) -> None:
        event.log('counting')
        event.set_results({'count': self._stored.starts + event.params['by']})

    def _on_refuse(self, event: ops.ActionEvent) -> None:
        event.log('refusing')
        event.fail('this action always fails')


if __name__ == '__main__':  # pragma: nocover
    ops.main(StateCharm)
