"""openssh-py under charmbox.testing: its `subprocess` calls run on the
Context's simulated machine (ops.testing would run them on this machine,
so these tests are charmbox's only)."""

from dataclasses import replace as dataclasses_replace

import pytest
from charm import MachineCharm

from charmbox import testing

SOURCES = {"openssh-server": {"version": "1:9.6p1-3ubuntu13", "services": ["ssh"]}}


def context(granted=("apt-get", "systemctl"), **machine):
    return testing.Context(
        MachineCharm, machine={"granted": list(granted), "available": SOURCES, **machine}
    )


def test_install_then_start_runs_the_service():
    ctx = context()
    out = ctx.run(ctx.on.install(), testing.State())
    assert ctx.machine["packages"] == {"openssh-server": "1:9.6p1-3ubuntu13"}
    out = ctx.run(ctx.on.start(), out)
    assert out.unit_status == testing.ActiveStatus()
    assert ctx.machine["services"]["ssh"] == {"enabled": True, "active": "active"}
    ran = [" ".join(c["command"]) for c in ctx.machine["commands"]]
    assert ran == ["apt-get install -y openssh-server", "systemctl enable --now ssh"]


def test_a_package_the_sources_lack_blocks_the_unit():
    ctx = testing.Context(MachineCharm, machine={"granted": ["apt-get", "systemctl"]})
    out = ctx.run(ctx.on.install(), testing.State())
    assert out.unit_status == testing.BlockedStatus("Failed to install packages")
    assert ctx.machine["commands"][0]["exit_code"] == 100


def test_a_service_that_cannot_start_blocks_the_unit():
    ctx = context(failing_services=["ssh"])
    out = ctx.run(ctx.on.start(), testing.State())
    assert out.unit_status == testing.BlockedStatus("Failed to start/enable ssh service")


def test_a_command_not_granted_fails_the_hook_with_permission_error():
    ctx = context(granted=["apt-get"])
    with pytest.raises(testing.errors.UncaughtCharmError, match="PermissionError.*not granted"):
        ctx.run(ctx.on.start(), testing.State())


def test_the_port_is_written_to_sshds_configuration_on_the_machine():
    ctx = context()
    out = ctx.run(ctx.on.install(), testing.State())
    out = ctx.run(ctx.on.config_changed(), dataclasses_replace(out, config={"port": 2222}))
    assert ctx.machine["files"] == {
        "/etc/ssh/sshd_config.d/50-charm.conf": "# Written by the openssh-py charm.\nPort 2222\n"
    }
    ran = [" ".join(c["command"]) for c in ctx.machine["commands"]]
    assert ran[-1] == "systemctl restart ssh"
    # The same config again: the file stands, sshd is not restarted.
    before = len(ctx.machine["commands"])
    ctx.run(ctx.on.config_changed(), out)
    assert [" ".join(c["command"]) for c in ctx.machine["commands"][before:]][-1] != (
        "systemctl restart ssh"
    )
