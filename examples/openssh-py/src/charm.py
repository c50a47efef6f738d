#!/usr/bin/env python3
"""openssh-py: the machine charm of the Juju SDK how-to "How to run
workloads with your charm", with ops and ``subprocess`` unchanged. In
charmbox, ``check_call`` and ``check_output`` run on the unit's machine
through the host: the programs are declared in charmcraft.yaml and granted
to the run.

As in examples/openssh (the same charm in Rust), start enables the `ssh`
unit: Ubuntu's openssh-server package names its service `ssh`, and the
how-to's `systemctl enable --now openssh-server` has no unit to enable.

Beyond the how-to, the `port` option is written to a drop-in file of
sshd's configuration with plain ``open()``: the charm declares the
directory (`charmbox: machine-files:`), and in the simulator it is the
unit's simulated machine's.
"""

import logging
from subprocess import CalledProcessError, check_call, check_output

import ops

logger = logging.getLogger(__name__)

PACKAGE = "openssh-server"
SERVICE = "ssh"
CONFIG_FILE = "/etc/ssh/sshd_config.d/50-charm.conf"


class MachineCharm(ops.CharmBase):
    """Installs openssh-server and runs its service."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on.install, self._on_install)
        framework.observe(self.on.start, self._on_start)
        framework.observe(self.on.config_changed, self._on_ensure)
        framework.observe(self.on.upgrade_charm, self._on_ensure)

    def _on_install(self, event: ops.InstallEvent) -> None:
        """Handle the install event"""
        self.unit.status = ops.MaintenanceStatus("installing openssh-server")
        try:
            # Install the openssh-server package using apt-get
            check_call(["apt-get", "install", "-y", PACKAGE])
        except CalledProcessError as e:
            # If the command returns a non-zero return code, put the charm in blocked state
            logger.debug("Package install failed with return code %d", e.returncode)
            self.unit.status = ops.BlockedStatus("Failed to install packages")

    def _on_start(self, event: ops.StartEvent) -> None:
        """Handle the start event"""
        try:
            # Enable the ssh systemd unit, and start it
            check_call(["systemctl", "enable", "--now", SERVICE])
        except CalledProcessError as e:
            # If the command returns a non-zero return code, put the charm in blocked state
            logger.debug("Starting systemd unit failed with return code %d", e.returncode)
            self.unit.status = ops.BlockedStatus("Failed to start/enable ssh service")
            return
        # Everything is awesome
        self.unit.status = ops.ActiveStatus()

    def _on_ensure(self, event: ops.EventBase) -> None:
        """Ensure the package (at the version the sources offer) again."""
        try:
            out = check_output(["apt-get", "install", "-y", PACKAGE], text=True)
        except CalledProcessError as e:
            logger.debug("Package install failed with return code %d", e.returncode)
            self.unit.status = ops.BlockedStatus("Failed to install packages")
            return
        prefix = f"{PACKAGE} is already the newest version ("
        for line in out.splitlines():
            if line.startswith(prefix):
                self.unit.set_workload_version(line[len(prefix):].removesuffix(")."))
        changed = self._write_config()
        if subprocess_ok(["systemctl", "is-active", "--quiet", SERVICE]):
            if changed:
                check_call(["systemctl", "restart", SERVICE])
            self.unit.status = ops.ActiveStatus()

    def _write_config(self) -> bool:
        """Write sshd's port from the config; whether the file changed."""
        text = f"# Written by the openssh-py charm.\nPort {self.config['port']}\n"
        try:
            with open(CONFIG_FILE) as f:
                if f.read() == text:
                    return False
        except FileNotFoundError:
            pass
        with open(CONFIG_FILE, "w") as f:
            f.write(text)
        logger.info("sshd listens on port %s", self.config["port"])
        return True


def subprocess_ok(argv: list[str]) -> bool:
    """Whether the command exits 0."""
    try:
        check_call(argv)
    except CalledProcessError:
        return False
    return True


if __name__ == "__main__":  # pragma: nocover
    ops.main(MachineCharm)
