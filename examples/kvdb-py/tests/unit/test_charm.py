"""kvdb-py under charmbox.testing: its `subprocess` calls run on the
Context's simulated machine (ops.testing would run apt-get on this machine,
so these tests are charmbox's only). A revision is built from its own
directory (``charm_root``), as the simulator's refresh would."""

import json
import pathlib

import pytest
from charm import KvdbCharm
from charm_broken import KvdbCharm as BrokenCharm
from charm_incompatible import KvdbCharm as IncompatibleCharm
from charm_next import KvdbCharm as NextCharm

from charmbox import testing

ROOT = pathlib.Path(__file__).parents[2]
GRANTED = ["apt-get", "systemctl"]
V1_VERSIONS = json.dumps({"kvdb_charm": "1", "kvdb_service": "1.0"}, separators=(",", ":"))


def context(charm=KvdbCharm, revision=None, *, versions=("1.0",), **machine):
    """A Context whose machine's mirror has kvdb-server at ``versions`` (the
    last is what apt-get finds), with apt-get and systemctl granted."""
    available = {"kvdb-server": {"version": versions[-1], "services": ["kvdb"]}}
    root = ROOT / "revisions" / revision if revision else None
    return testing.Context(
        charm, charm_root=root, machine={"granted": GRANTED, "available": available, **machine}
    )


def peers(me="idle", others=("idle", "idle"), app=None, running="running"):
    """The upgrade peer relation: this unit (kvdb-py/0) and kvdb-py/1, /2."""
    return testing.PeerRelation(
        "upgrade",
        local_app_data=app if app is not None else {"versions": V1_VERSIONS},
        local_unit_data={"state": me, "workload": running},
        peers_data={
            i + 1: {"state": s, "workload": running} for i, s in enumerate(others)
        },
    )


def stacked(stack):
    """The application databag once pre-upgrade-check has written ``stack``."""
    return {"versions": V1_VERSIONS, "upgrade-stack": stack}


def messages(ctx):
    """The charm's log lines, without Juju's relation prefix (``upgrade:4: ``)."""
    lines = [line.message for line in ctx.juju_log]
    return [m.split(": ", 1)[-1] if m.startswith("upgrade:") else m for m in lines]


# -- the workload -------------------------------------------------------------


def test_install_then_start_runs_kvdb_at_the_version_the_charm_carries():
    ctx = context()
    rel = testing.PeerRelation("upgrade")
    out = ctx.run(ctx.on.install(), testing.State(leader=True))
    assert ctx.machine["packages"] == {"kvdb-server": "1.0"}
    out = ctx.run(ctx.on.start(), testing.State(leader=True, relations={rel}))
    assert out.unit_status == testing.ActiveStatus()
    assert out.workload_version == "1.0"
    assert ctx.machine["services"]["kvdb"] == {"enabled": True, "active": "active"}
    ran = [" ".join(c["command"]) for c in ctx.machine["commands"]]
    assert ran == ["apt-get install -y kvdb-server=1.0", "systemctl enable --now kvdb"]
    bag = out.get_relation(rel.id)
    # The unit says its service runs, and is idle; the leader records the
    # running versions.
    assert (bag.local_unit_data["workload"], bag.local_unit_data["state"]) == ("running", "idle")
    assert bag.local_app_data == {"versions": V1_VERSIONS}


def test_a_version_the_mirror_lacks_blocks_the_install():
    ctx = context(versions=("0.9",))
    out = ctx.run(ctx.on.install(), testing.State())
    assert out.unit_status == testing.BlockedStatus("apt-get install kvdb-server=1.0 exited 100")


def test_a_service_that_cannot_start_blocks_and_is_published():
    ctx = context(failing_services=["kvdb"])
    rel = testing.PeerRelation("upgrade")
    out = ctx.run(ctx.on.start(), testing.State(relations={rel}))
    assert out.unit_status == testing.BlockedStatus("the kvdb service does not start")
    assert out.get_relation(rel.id).local_unit_data["workload"] == "stopped"


# -- pre-upgrade-check ----------------------------------------------------------


def test_pre_upgrade_check_writes_the_stack_with_the_leader_last():
    ctx = context()
    rel = peers()
    out = ctx.run(ctx.on.action("pre-upgrade-check"), testing.State(leader=True, relations={rel}))
    assert ctx.action_results == {
        "message": "Pre-upgrade check successful. Upgrade stack: [0, 1, 2]"
    }
    assert out.get_relation(rel.id).local_app_data["upgrade-stack"] == "[0,1,2]"


@pytest.mark.parametrize(
    ("leader", "rel", "message"),
    [
        (False, peers(), "Action must be ran on the Juju leader."),
        (
            True,
            peers(others=("idle", "ready")),
            "Cannot run pre-upgrade checks, cluster already upgrading.",
        ),
        (
            True,
            peers(running="stopped"),
            "Pre-upgrade check failed and cannot safely upgrade: "
            "the kvdb service of kvdb-py/0 is not running",
        ),
    ],
)
def test_pre_upgrade_check_refuses_with_the_rust_versions_messages(leader, rel, message):
    ctx = context()
    with pytest.raises(testing.ActionFailed) as e:
        ctx.run(ctx.on.action("pre-upgrade-check"), testing.State(leader=leader, relations={rel}))
    assert e.value.message == message
    assert "upgrade-stack" not in e.value.state.get_relation(rel.id).local_app_data


# -- upgrade-charm and turns --------------------------------------------------------


def test_the_highest_unit_upgrades_first_once_all_are_ready():
    # kvdb-py/2 is at the top of the stack; this unit (0, the leader) waits.
    ctx = context(NextCharm, "next", versions=("1.1",))
    app = stacked("[0,1,2]")
    rel = peers(others=("ready", "ready"), app=app)
    out = ctx.run(ctx.on.upgrade_charm(), testing.State(leader=True, relations={rel}))
    assert out.unit_status == testing.WaitingStatus("waiting to upgrade")
    assert out.get_relation(rel.id).local_unit_data["state"] == "ready"
    assert "upgrade granted to kvdb-py/0" not in messages(ctx)

    # Once 2 and 1 have completed, the leader's turn comes; it finishes the
    # upgrade: the new versions recorded, the stack gone, idle again.
    done = peers(me="ready", others=("completed", "completed"), app=app)
    changed = ctx.on.relation_changed(done, remote_unit=1)
    out = ctx.run(changed, testing.State(leader=True, relations={done}))
    logged = messages(ctx)
    assert logged.index("upgrade granted to kvdb-py/0") < logged.index("kvdb-py/0 upgraded")
    assert "every unit upgraded: the upgrade is finished" in logged
    bag = out.get_relation(done.id)
    assert bag.local_unit_data["state"] == "idle"
    assert bag.local_app_data == {"versions": '{"kvdb_charm":"2","kvdb_service":"1.1"}'}
    assert ctx.machine["packages"] == {"kvdb-server": "1.1"}
    assert out.unit_status == testing.ActiveStatus()
    assert out.workload_version == "1.1"


def test_a_unit_never_upgrades_while_another_is_upgrading():
    ctx = context(NextCharm, "next", versions=("1.1",))
    # This unit (0) is not next; and even the next one waits while 2 upgrades.
    rel = peers(me="ready", others=("ready", "upgrading"), app=stacked("[0,2,1]"))
    out = ctx.run(ctx.on.relation_changed(rel, remote_unit=2), testing.State(relations={rel}))
    assert out.get_relation(rel.id).local_unit_data["state"] == "ready"
    assert not [c for c in ctx.machine.get("commands", []) if c["command"][0] == "apt-get"]


def test_an_incompatible_revision_fails_at_upgrade_charm():
    ctx = context(IncompatibleCharm, "incompatible")
    rel = peers(app=stacked("[0,1,2]"))
    out = ctx.run(ctx.on.upgrade_charm(), testing.State(relations={rel}))
    cause = "kvdb 1.0 cannot be upgraded in place to 2.0 (supported: ~1.5)"
    assert out.unit_status == testing.BlockedStatus(
        f"upgrade failed: {cause}; check the logs for rollback instructions"
    )
    assert out.get_relation(rel.id).local_unit_data["state"] == "failed"
    assert out.get_relation(rel.id).local_unit_data["cause"] == cause
    assert f"upgrade of kvdb-py/0 failed: {cause}" in messages(ctx)


def test_a_refresh_without_pre_upgrade_check_fails():
    ctx = context(NextCharm, "next", versions=("1.1",))
    rel = peers()
    out = ctx.run(ctx.on.upgrade_charm(), testing.State(relations={rel}))
    assert out.get_relation(rel.id).local_unit_data["state"] == "failed"
    assert "pre-upgrade-check was not run before the refresh" in out.unit_status.message


def test_a_failed_upgrade_is_blocked_with_rollback_instructions():
    # The broken revision asks for 3.0, which the mirror lacks.
    ctx = context(BrokenCharm, "broken")
    rel = peers(others=("ready", "ready"), app=stacked("[1,2,0]"))
    out = ctx.run(ctx.on.upgrade_charm(), testing.State(relations={rel}))
    assert out.unit_status == testing.BlockedStatus(
        "upgrade failed: apt-get install kvdb-server=3.0 exited 100; "
        "check the logs for rollback instructions"
    )
    assert out.get_relation(rel.id).local_unit_data["state"] == "failed"
    assert any("Run `juju refresh kvdb-py --revision <previous>`" in m for m in messages(ctx))


def test_refreshing_back_recovers_a_failed_unit_first():
    ctx = context()
    rel = peers(me="failed", others=("ready", "ready"), app=stacked("[1,2,0]"))
    out = ctx.run(ctx.on.upgrade_charm(), testing.State(relations={rel}))
    # Recovery goes at once, though others are ready and 0 is not first.
    assert messages(ctx).count("upgrade granted to kvdb-py/0") == 1
    assert out.get_relation(rel.id).local_unit_data["state"] == "completed"
    assert ctx.machine["packages"] == {"kvdb-server": "1.0"}


# -- deferral -------------------------------------------------------------------


def test_config_changed_is_deferred_while_the_unit_is_not_idle():
    ctx = context()
    rel = peers(me="ready", others=("ready", "ready"), app=stacked("[0,1,2]"))
    out = ctx.run(ctx.on.config_changed(), testing.State(relations={rel}))
    assert [d.name for d in out.deferred] == ["config_changed"]
    assert "deferring config-changed: the unit is upgrading" in messages(ctx)

    # Still upgrading at the next event: re-emitted first, deferred again.
    again = ctx.run(ctx.on.update_status(), out)
    assert [d.name for d in again.deferred] == ["config_changed"]

    # Once the unit is idle, the deferred config-changed runs and is gone.
    idle = peers()
    calm = ctx.run(ctx.on.update_status(), testing.State(relations={idle}, deferred=again.deferred))
    assert calm.deferred == []


def test_config_changed_runs_at_once_when_idle():
    ctx = context()
    out = ctx.run(ctx.on.config_changed(), testing.State(relations={peers()}))
    assert out.deferred == []
    assert "deferring config-changed: the unit is upgrading" not in messages(ctx)
