#!/usr/bin/env python3
"""kvdb-py: a database-like machine charm, written with ops, whose units
upgrade in place one at a time.

It installs ``kvdb-server`` at the version it carries (``DEPENDENCIES``)
with apt-get and runs the ``kvdb`` service with systemctl, through
``subprocess`` unchanged (in charmbox the commands run on the unit's
simulated machine; charmcraft.yaml declares them). ``juju refresh``
upgrades the units over the ``upgrade`` peer relation with the charm
library ``charms.kvdb.v0.upgrade``, after the operator's
``pre-upgrade-check``. config-changed is deferred while a unit is not idle.

It is examples/kvdb (Rust) in Python: the same protocol, messages and
scenarios. The other revisions of the charm (revisions/) are this code
carrying other versions: their entry points are ``charm_next.py``,
``charm_broken.py`` and ``charm_incompatible.py`` beside this file.
"""

from __future__ import annotations

import logging
import subprocess
from typing import Any

import ops
from charms.kvdb.v0.upgrade import ClusterNotReadyError, Upgrade, UpgradeFailedError, UnitState

logger = logging.getLogger(__name__)

#: The upgrade peer relation.
PEER = "upgrade"
#: The workload's package and service.
PACKAGE = "kvdb-server"
SERVICE = "kvdb"
#: The peer databag key saying whether the unit's service runs.
RUNNING = "workload"

#: The versions this revision carries (the seed's DEPENDENCIES shape).
DEPENDENCIES: dict[str, dict[str, Any]] = {
    "kvdb_charm": {"name": "kvdb", "version": "1", "upgrade_supported": ">0"},
    "kvdb_service": {"name": "kvdb", "version": "1.0", "upgrade_supported": ">=0.9"},
}


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a machine command to completion, whatever its exit code; a
    command the sandbox refuses (not declared, not granted, not found)
    fails the hook naming it."""
    try:
        return subprocess.run(argv, capture_output=True, text=True, check=False)
    except OSError as e:
        raise RuntimeError(f"cannot run a machine command ({' '.join(argv)}): {e}") from e


def install(version: str) -> str | None:
    """``apt-get install -y kvdb-server=VERSION``; None, or why it failed."""
    spec = f"{PACKAGE}={version}"
    out = run(["apt-get", "install", "-y", spec])
    if out.returncode == 0:
        return None
    logger.debug("apt-get: %s", out.stderr.strip())
    return f"apt-get install {spec} exited {out.returncode}"


def systemctl(verb: str) -> bool:
    """``systemctl VERB kvdb`` (``enable`` is ``enable --now``): whether it
    succeeded."""
    args = ["enable", "--now", SERVICE] if verb == "enable" else [verb, SERVICE]
    return run(["systemctl", *args]).returncode == 0


class KvdbUpgrade(Upgrade):
    """What kvdb supplies to the upgrade protocol."""

    charm: KvdbCharm

    def pre_upgrade_check(self) -> None:
        """Every unit's service must run (each says so in its peer databag)."""
        peers = self.peer_relation
        if peers is None:
            raise ClusterNotReadyError("no upgrade relation")
        for unit in sorted([*peers.units, self.charm.unit], key=lambda u: u.name):
            if peers.data[unit].get(RUNNING) != "running":
                raise ClusterNotReadyError(f"the kvdb service of {unit.name} is not running")

    def upgrade_granted(self) -> None:
        """Install this revision's workload version and restart the service."""
        self.charm.unit.status = ops.MaintenanceStatus("upgrading kvdb")
        version = self.charm.workload_version
        failure = install(version)
        if failure is not None:
            raise UpgradeFailedError(failure)
        if not systemctl("restart"):
            raise UpgradeFailedError("the kvdb service does not start after the upgrade")
        self.charm.unit.set_workload_version(version)
        self.charm.unit.status = ops.ActiveStatus()

    def rollback_instructions(self) -> str:
        return (
            f"Upgrade failed. Run `juju refresh {self.charm.app.name} --revision <previous>` to "
            "roll back: the failed unit is reinstalled first, then the others in turn."
        )


class KvdbCharm(ops.CharmBase):
    """Installs kvdb-server, runs its service, and upgrades unit by unit."""

    #: The versions this revision carries; each revision's entry point
    #: gives its own.
    DEPENDENCIES: dict[str, dict[str, Any]] = DEPENDENCIES

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.upgrade = KvdbUpgrade(self, PEER, self.DEPENDENCIES)
        framework.observe(self.on.install, self._on_install)
        framework.observe(self.on.start, self._on_start)
        framework.observe(self.on.config_changed, self._on_config_changed)

    @property
    def workload_version(self) -> str:
        """The kvdb-server version this revision installs."""
        return self.upgrade.dependencies["kvdb_service"].version

    def _on_install(self, event: ops.InstallEvent) -> None:
        failure = install(self.workload_version)
        if failure is not None:
            self.unit.status = ops.BlockedStatus(failure)

    def _on_start(self, event: ops.StartEvent) -> None:
        # A unit whose upgrade failed stays blocked, and one waiting for its
        # turn keeps waiting (as examples/kvdb).
        if self.upgrade.state != UnitState.IDLE:
            return
        running = systemctl("enable")
        self._publish_running(running)
        if not running:
            self.unit.status = ops.BlockedStatus("the kvdb service does not start")
            return
        self.unit.set_workload_version(self.workload_version)
        self.unit.status = ops.ActiveStatus()

    def _on_config_changed(self, event: ops.ConfigChangedEvent) -> None:
        # Not while upgrading: the protocol owns the workload then.
        if self.upgrade.state != UnitState.IDLE:
            logger.info("deferring config-changed: the unit is upgrading")
            event.defer()
            return

    def _publish_running(self, running: bool) -> None:
        """Tell the peers whether this unit's service runs."""
        peers = self.upgrade.peer_relation
        if peers is not None:
            peers.data[self.unit][RUNNING] = "running" if running else "stopped"


if __name__ == "__main__":  # pragma: nocover
    ops.main(KvdbCharm)
