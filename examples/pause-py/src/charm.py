#!/usr/bin/env python3
"""pause-py: the charm of the Juju SDK how-to "How to run workloads with your
charm", with ops. Pebble runs `/pause` in the `pause` container; the charm
gives Pebble the layer and keeps the service's environment in line with the
`timeout` option.

As in examples/pause (the same charm in Rust), config-changed compares the
plan before and after adding the overlay: the how-to compares
`get_plan().services` with the overlay's services, which never match (the
plan holds the whole service), and would restart on every config-changed.
"""

import logging

import ops
from ops import pebble
from ops.pebble import Layer

logger = logging.getLogger(__name__)


class PauseCharm(ops.CharmBase):
    """Runs google/pause with Pebble."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        # The container, the Pebble layer's label and the service.
        self.name = 'pause'
        framework.observe(self.on.pause_pebble_ready, self._on_pause_pebble_ready)
        framework.observe(self.on.config_changed, self._on_config_changed)

    def _on_pause_pebble_ready(self, event: ops.PebbleReadyEvent) -> None:
        """Handle the pebble_ready event."""
        container = self.unit.get_container(self.name)
        # Add our initial config layer, combining with any existing layer.
        container.add_layer(self.name, self._pause_layer(), combine=True)
        # Start the services that specify 'startup: enabled'.
        container.autostart()
        self.unit.status = ops.ActiveStatus()

    def _on_config_changed(self, event: ops.ConfigChangedEvent) -> None:
        """Merge TIMEOUT into the service's environment; restart on a change."""
        container = self.unit.get_container(self.name)
        if not container.can_connect():
            logger.info('Pebble in the %s container is not ready yet', self.name)
            self.unit.status = ops.WaitingStatus('waiting for Pebble in the workload container')
            return
        try:
            plan = container.get_plan()
            if self.name not in plan.services:
                logger.info('no %s service in the plan yet: pebble-ready has not run', self.name)
                self.unit.status = ops.WaitingStatus('waiting for the pause service')
                return
            layer = Layer(
                {
                    'services': {
                        self.name: {
                            'override': 'merge',
                            'environment': {'TIMEOUT': str(self.model.config['timeout'])},
                        }
                    },
                }
            )
            container.add_layer(self.name, layer, combine=True)
            if container.get_plan().to_yaml() != plan.to_yaml():
                logger.info('added config layer to Pebble plan')
                container.restart(self.name)
                logger.info('restarted %s service', self.name)
            else:
                logger.info('the plan did not change: %s keeps running', self.name)
            self.unit.status = ops.ActiveStatus()
        except (pebble.PathError, pebble.ProtocolError) as e:
            logger.error('cannot configure %s: %s', self.name, e)
            self.unit.status = ops.BlockedStatus(f'cannot configure {self.name}')

    def _pause_layer(self) -> Layer:
        """Returns Pebble configuration layer for google/pause."""
        return Layer(
            {
                'summary': 'pause layer',
                'description': 'pebble config layer for google/pause',
                'services': {
                    self.name: {
                        'override': 'replace',
                        'summary': 'pause service',
                        'command': '/pause',
                        'startup': 'enabled',
                    }
                },
            }
        )


if __name__ == '__main__':  # pragma: nocover
    ops.main(PauseCharm)
