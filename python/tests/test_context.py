"""charmbox.testing beyond ops.testing's API: Juju's refusals, errors that
name the problem, traces that `charmbox replay` takes, the build cache."""

import json
import os
import pathlib
import subprocess

import ops
import pytest
from charm import StateCharm
from ops import testing as ops_testing

import charmbox
from charmbox import testing


def test_juju_refuses_a_second_peer_relation_scenario_takes():
    state = lambda t: t.State(  # noqa: E731
        relations={t.PeerRelation("cluster"), t.PeerRelation("cluster")}
    )
    ctx = ops_testing.Context(StateCharm)
    ctx.run(ctx.on.update_status(), state(ops_testing))  # Scenario: accepted
    ctx = testing.Context(StateCharm)
    with pytest.raises(testing.errors.InconsistentScenarioError) as e:
        ctx.run(ctx.on.update_status(), state(testing))
    assert isinstance(e.value, testing.JujuRefusedError)
    assert "relations[1]" in str(e.value) and "one relation per peer endpoint" in str(e.value)


def test_juju_refuses_a_secret_id_that_is_not_a_uri():
    secret = testing.Secret({"a": "b"}, id="secret:foo")
    ctx = testing.Context(StateCharm)
    with pytest.raises(testing.JujuRefusedError, match=r"secrets\[0\]\.id"):
        ctx.run(ctx.on.update_status(), testing.State(secrets={secret}))


def test_unrepresentable_state_names_the_field():
    model = testing.Model(cloud_spec=testing.CloudSpec(type="lxd", name="localhost"))
    ctx = testing.Context(StateCharm)
    with pytest.raises(testing.errors.StateValidationError, match="model.cloud_spec"):
        ctx.run(ctx.on.update_status(), testing.State(model=model))


def test_scenario_model_name_is_lower_cased_for_juju():
    ctx = testing.Context(StateCharm)
    ctx.run(ctx.on.update_status(), testing.State(model=testing.Model(name="AbCdEfGhIjKlMnOpQrSt")))
    dispatch = json.loads(ctx.last_trace.splitlines()[1])
    assert dispatch["event"]["context"]["model_name"] == "abcdefghijklmnopqrst"
    with pytest.raises(testing.JujuRefusedError, match="model.name"):
        ctx.run(ctx.on.update_status(), testing.State(model=testing.Model(name="Not_A_Model")))


def test_a_crash_carries_the_charms_traceback():
    ctx = testing.Context(StateCharm)
    with pytest.raises(testing.errors.UncaughtCharmError) as e:
        ctx.run(ctx.on.config_changed(), testing.State(config={"mode": "crash"}))
    message = str(e.value)
    assert "Traceback" in message and "RuntimeError: asked to crash" in message
    assert "_on_config_changed" in message


def test_a_charm_that_cannot_build_fails_at_context_creation(tmp_path):
    (tmp_path / "charmcraft.yaml").write_text(
        "name: broken\ntype: charm\nparts:\n  charm:\n    plugin: go\n    source: .\n"
    )
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "charm.py").write_text("import ops\n")

    class Broken(ops.CharmBase):
        pass

    with pytest.raises(charmbox.BuildError, match="go"):
        testing.Context(Broken, charm_root=tmp_path)


def test_charm_root_not_found_says_so():
    class Nowhere(ops.CharmBase):
        pass

    with pytest.raises(ValueError, match="charm_root="):
        testing.Context(Nowhere)


class Ping(ops.EventBase):
    pass


class PingEvents(ops.ObjectEvents):
    ping = ops.EventSource(Ping)


class PingLib(ops.Object):
    on = PingEvents()


def test_custom_events_are_refused():
    ctx = testing.Context(StateCharm)
    with pytest.raises(ValueError, match="not Juju events"):
        ctx.run(ctx.on.custom(PingLib.on.ping), testing.State())


def test_manager_is_refused():
    ctx = testing.Context(StateCharm)
    with pytest.raises(NotImplementedError, match="sandbox"):
        ctx(ctx.on.start(), testing.State())


def test_trace_replays_exactly(tmp_path):
    trace = tmp_path / "run.jsonl"
    ctx = testing.Context(StateCharm, trace=trace)
    state = testing.State(leader=True)
    out = ctx.run(ctx.on.start(), state)
    ctx.run(ctx.on.leader_elected(), out)
    lines = trace.read_text().splitlines()
    assert [json.loads(line)["type"] for line in lines].count("header") == 2
    # One trace per run, for `charmbox replay` (which reads one header).
    per_run = tmp_path / "runs"
    per_run.mkdir()
    ctx = testing.Context(StateCharm, trace=per_run)
    ctx.run(ctx.on.start(), state)
    (recorded,) = sorted(per_run.iterdir())
    charmbox_bin = os.environ["CHARMBOX_BIN"]
    component = pathlib.Path(ctx._component)
    done = subprocess.run(
        [charmbox_bin, "replay", str(recorded), "--component", str(component)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr


def test_the_sandbox_has_no_network_for_the_charm(tmp_path):
    # Stored state written by one run is read by the next through the
    # unit's database, as ops keeps it under Juju.
    ctx = testing.Context(StateCharm)
    out = ctx.run(ctx.on.start(), testing.State())
    out = ctx.run(ctx.on.start(), out)
    assert out.unit_status == testing.ActiveStatus("starts=2")


def test_the_workloads_http_answers_come_from_loopback_http():
    # Where an ops.testing test monkeypatches the charm's call to its
    # workload, charmbox.testing takes the workload's answer.
    answers = [{"port": 8000, "path": "/version", "json": {"version": "0.0.1"}}]
    ctx = testing.Context(StateCharm, loopback_http=answers)
    out = ctx.run(ctx.on.config_changed(), testing.State(config={"mode": "http"}))
    assert out.workload_version == "0.0.1"
    ctx = testing.Context(StateCharm)
    with pytest.raises(testing.errors.UncaughtCharmError) as e:
        ctx.run(ctx.on.config_changed(), testing.State(config={"mode": "http"}))
    assert "nothing listens on loopback port 8000" in str(e.value)


def test_go_durations_in_exec_history():
    from charmbox.testing._context import go_seconds

    assert go_seconds("1m30s") == 90.0
    assert go_seconds("1.5s") == 1.5
    assert go_seconds("250ms") == 0.25
    with pytest.raises(ValueError, match="Go duration"):
        go_seconds("5 minutes")


def test_juju_refuses_secret_keys_scenario_takes():
    # Juju's content keys: ^[a-z](-?[a-z0-9]){2,}$; Scenario takes any key.
    state = lambda t: t.State(secrets={t.Secret({"a": "b"})})  # noqa: E731
    ctx = ops_testing.Context(StateCharm)
    ctx.run(ctx.on.update_status(), state(ops_testing))
    ctx = testing.Context(StateCharm)
    with pytest.raises(testing.JujuRefusedError, match=r"secrets\[0\]\.revisions\[0\]\.content\.a"):
        ctx.run(ctx.on.update_status(), state(testing))
