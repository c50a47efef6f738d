"""pause-py under ops.testing and charmbox.testing (the `testing` fixture)."""

from charm import PauseCharm


def ready_state(testing, **config):
    return testing.State(
        config=config, containers={testing.Container("pause", can_connect=True)}
    )


def test_pebble_ready_starts_pause(testing):
    ctx = testing.Context(PauseCharm)
    state = ready_state(testing)
    out = ctx.run(ctx.on.pebble_ready(state.get_container("pause")), state)
    pause = out.get_container("pause")
    assert pause.layers["pause"].services["pause"].command == "/pause"
    assert pause.service_statuses["pause"].value == "active"
    assert out.unit_status == testing.ActiveStatus()


def test_config_changed_before_pebble(testing):
    ctx = testing.Context(PauseCharm)
    state = testing.State(containers={testing.Container("pause", can_connect=False)})
    out = ctx.run(ctx.on.config_changed(), state)
    assert out.unit_status == testing.WaitingStatus("waiting for Pebble in the workload container")


def test_config_changed_without_the_service(testing):
    ctx = testing.Context(PauseCharm)
    out = ctx.run(ctx.on.config_changed(), ready_state(testing))
    assert out.unit_status == testing.WaitingStatus("waiting for the pause service")


def test_timeout_reaches_the_environment(testing):
    ctx = testing.Context(PauseCharm)
    state = ready_state(testing, timeout=10)
    ready = ctx.run(ctx.on.pebble_ready(state.get_container("pause")), state)
    out = ctx.run(ctx.on.config_changed(), ready)
    env = out.get_container("pause").plan.services["pause"].environment
    assert env == {"TIMEOUT": "10"}
    assert any("restarted pause service" in line.message for line in ctx.juju_log)
    # A second config-changed leaves the plan as it is.
    ctx.run(ctx.on.config_changed(), out)
    assert ctx.juju_log[-1].message.endswith("keeps running") or any(
        "keeps running" in line.message for line in ctx.juju_log
    )
