#!/usr/bin/env python3
"""uv-libs: a charm library and a locked dependency, used on `start`."""

import ops
import tenacity
from charms.greeting.v0.greeter import greet


class UvLibsCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on.start, self._on_start)
        self._attempts = 0

    @tenacity.retry(stop=tenacity.stop_after_attempt(3), wait=tenacity.wait_fixed(5))
    def _flaky(self) -> int:
        self._attempts += 1
        if self._attempts < 3:
            raise RuntimeError('not yet')
        return self._attempts

    def _on_start(self, event: ops.StartEvent) -> None:
        attempts = self._flaky()
        self.unit.status = ops.ActiveStatus(
            f'{greet(str(self.config["name"]))} after {attempts} attempts'
        )


if __name__ == '__main__':  # pragma: nocover
    ops.main(UvLibsCharm)
