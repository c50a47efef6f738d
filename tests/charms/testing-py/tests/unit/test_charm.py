"""testing-py's behaviour, the same under ops.testing and charmbox.testing."""

import pytest
from charm import StateCharm


def test_start_counts_in_stored_state(testing):
    ctx = testing.Context(StateCharm)
    stored = testing.StoredState("_stored", owner_path="StateCharm", content={"starts": 2})
    out = ctx.run(ctx.on.start(), testing.State(stored_states={stored}))
    assert out.unit_status == testing.ActiveStatus("starts=3")
    mine = [s for s in out.stored_states if s.owner_path == "StateCharm"]
    assert [s.content["starts"] for s in mine] == [3]
    assert ctx.unit_status_history == [testing.UnknownStatus(), testing.MaintenanceStatus("starting")]


def test_config_changed_sets_version_and_port(testing):
    ctx = testing.Context(StateCharm)
    out = ctx.run(ctx.on.config_changed(), testing.State())
    assert out.workload_version == "1.2.3"
    assert ctx.workload_version_history == []
    ctx.run(ctx.on.config_changed(), out)
    assert ctx.workload_version_history == ["1.2.3"]
    assert set(out.opened_ports) == {testing.TCPPort(8080)}
    assert out.unit_status == testing.ActiveStatus()


def test_deferred_event_is_kept(testing):
    ctx = testing.Context(StateCharm)
    out = ctx.run(ctx.on.config_changed(), testing.State(config={"mode": "defer"}))
    assert [d.handle_path.split("/")[-1] for d in out.deferred] == ["config_changed[1]"] or [
        d.observer for d in out.deferred
    ] == ["_on_config_changed"]
    assert len(out.deferred) == 1


def test_crash_is_an_uncaught_charm_error(testing):
    ctx = testing.Context(StateCharm)
    with pytest.raises(testing.errors.UncaughtCharmError) as e:
        ctx.run(ctx.on.config_changed(), testing.State(config={"mode": "crash"}))
    assert "asked to crash" in str(e.value) or "asked to crash" in repr(e.value.__cause__)


def test_relation_changed_writes_databags(testing):
    ctx = testing.Context(StateCharm)
    rel = testing.Relation("db", remote_app_name="postgres", remote_app_data={"host": "db.local"})
    out = ctx.run(ctx.on.relation_changed(rel, remote_unit=0), testing.State(leader=True, relations={rel}))
    got = out.get_relation(rel.id)
    assert got.local_unit_data["seen-host"] == "db.local"
    assert got.local_app_data == {"database": "app-db"}


def test_leader_elected_adds_a_secret(testing):
    ctx = testing.Context(StateCharm)
    out = ctx.run(ctx.on.leader_elected(), testing.State(leader=True))
    (secret,) = out.secrets
    assert secret.label == "admin"
    assert secret.owner == "app"
    assert secret.tracked_content == {"password": "hunter2"}
    assert out.app_status == testing.ActiveStatus("leading")
    assert ctx.app_status_history == [testing.UnknownStatus()]


def test_pebble_ready_plans_the_service(testing):
    ctx = testing.Context(StateCharm)
    container = testing.Container("workload", can_connect=True)
    out = ctx.run(ctx.on.pebble_ready(container), testing.State(containers={container}))
    got = out.get_container("workload")
    assert got.layers["app"].services["app"].command == "/bin/app"
    assert got.service_statuses["app"] == testing.pebble.ServiceStatus.ACTIVE if hasattr(
        testing, "pebble"
    ) else True
    assert out.unit_status == testing.ActiveStatus("serving")


def test_action_results_and_logs(testing, under_charmbox):
    ctx = testing.Context(StateCharm)
    stored = testing.StoredState("_stored", owner_path="StateCharm", content={"starts": 4})
    ctx.run(ctx.on.action("count", params={"by": 3}), testing.State(stored_states={stored}))
    # Juju difference: action-set stores strings (`juju run` shows "7");
    # ops.testing keeps the Python value.
    assert ctx.action_results == ({"count": "7"} if under_charmbox else {"count": 7})
    assert ctx.action_logs == ["counting"]


def test_failed_action_raises_action_failed(testing):
    ctx = testing.Context(StateCharm)
    with pytest.raises(testing.ActionFailed) as e:
        ctx.run(ctx.on.action("refuse"), testing.State())
    assert e.value.message == "this action always fails"
    assert ctx.action_logs == ["refusing"]


def test_exec_output_and_history(testing):
    ctx = testing.Context(StateCharm)
    container = testing.Container(
        "workload",
        can_connect=True,
        execs={testing.Exec(["/bin/version"], stdout="4.5.6\n")},
    )
    state = testing.State(config={"mode": "exec"}, containers={container})
    out = ctx.run(ctx.on.config_changed(), state)
    assert out.workload_version == "4.5.6"
    (args,) = ctx.exec_history["workload"]
    assert args.command == ["/bin/version", "--short"]


def test_collect_status(testing):
    # Juju has no collect-status hook: charmbox.testing runs update-status,
    # at whose end ops evaluates collect-status (docs/python-testing.md).
    ctx = testing.Context(StateCharm)
    out = ctx.run(ctx.on.collect_unit_status(), testing.State(config={"mode": "blocked"}))
    assert out.unit_status == testing.BlockedStatus("mode is blocked")


def test_check_failed_keeps_the_check_info(testing):
    import ops

    layer = ops.pebble.Layer(
        {"checks": {"alive": {"override": "replace", "level": "alive", "threshold": 3,
                              "exec": {"command": "true"}}}}
    )
    info = testing.CheckInfo(
        "alive", level=ops.pebble.CheckLevel.ALIVE, status=ops.pebble.CheckStatus.DOWN,
        failures=3, threshold=3,
    )
    container = testing.Container("workload", can_connect=True, layers={"base": layer},
                                  check_infos={info})
    ctx = testing.Context(StateCharm)
    out = ctx.run(ctx.on.pebble_check_failed(container, info), testing.State(containers={container}))
    got = out.get_container("workload").get_check_info("alive")
    assert (got.status, got.failures, got.threshold) == (ops.pebble.CheckStatus.DOWN, 3, 3)


def test_deployed_under_another_name(testing):
    # `juju deploy testing-py myapp`: the application is not the charm's name.
    ctx = testing.Context(StateCharm, app_name="myapp", unit_id=3)
    peers = testing.PeerRelation("cluster", peers_data={1: {"k": "v"}})
    out = ctx.run(ctx.on.start(), testing.State(relations={peers}))
    assert out.unit_status == testing.ActiveStatus("starts=1")
