#!/usr/bin/env python3
"""{{name}}: sets its unit active on start."""

import logging

import ops

logger = logging.getLogger(__name__)


class {{type_name}}(ops.CharmBase):
    """Sets its unit active on start."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on.start, self._on_start)

    def _on_start(self, event: ops.StartEvent) -> None:
        logger.info('starting')
        self.unit.status = ops.ActiveStatus('ready')


if __name__ == '__main__':  # pragma: nocover
    ops.main({{type_name}})
