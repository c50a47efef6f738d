"""The tutorial's three-unit peer-counter with pod churn, a whole model from
pytest (charmbox.testing.Simulation over charmbox's simulator)."""

import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parents[2] / "src"))

import pytest  # noqa: E402
from charm import PeerCounterCharm  # noqa: E402

from charmbox import ModelError  # noqa: E402
from charmbox import testing  # noqa: E402


def counter(sim, app):
    bag = sim.databag(sim.relation_id(app, "fastapi-peer"), app)
    return json.loads(bag["unit_stats"])["started_counter"]


def test_three_units_count_starts_through_pod_churn():
    sim = testing.Model(seed=7)
    app = sim.deploy(PeerCounterCharm, units=3)
    sim.settle()
    assert sim.units(app) == [f"{app}/0", f"{app}/1", f"{app}/2"]
    leader = sim.leader(app)
    assert leader is not None
    # Only the leader counts: its own start.
    assert counter(sim, app) == 1
    for unit in sim.units(app):
        assert sim.unit_status(unit) == testing.ActiveStatus()
    # The leader's pod is deleted and recreated: start runs again, and the
    # count kept in Juju survives the pod.
    back = sim.churn(leader)
    sim.settle()
    assert back == leader
    assert counter(sim, app) == 2
    starts = [e for e in sim.events(leader) if e["event"] == "start"]
    assert len(starts) == 2 and all(e["outcome"] == "ok" for e in starts)
    assert any("started_counter is now 2" in line["message"] for line in sim.logs(leader))
    # A follower's churn does not count.
    follower = next(u for u in sim.units(app) if u != leader)
    sim.churn(follower)
    sim.settle()
    assert counter(sim, app) == 2
    assert any("not the leader" in line["message"] for line in sim.logs(follower))


def test_same_seed_same_history():
    def history(seed):
        sim = testing.Simulation(seed=seed)
        app = sim.deploy(PeerCounterCharm, units=3)
        sim.settle()
        sim.churn(f"{app}/1")
        sim.settle()
        return [(e["unit"], e["event"]) for e in sim.events()]

    assert history(3) == history(3)


def test_juju_refusals_are_model_errors():
    sim = testing.Simulation()
    app = sim.deploy(PeerCounterCharm, units=1)
    with pytest.raises(ModelError, match="no config option"):
        sim.config(app, {"nope": 1})
    with pytest.raises(ModelError):
        sim.churn(f"{app}/9")


def test_model_keeps_ops_testing_meaning_for_a_state():
    # ops.testing's arguments give ops.testing's Model, for State(model=...).
    described = testing.Model(name="prod", type="lxd")
    assert type(described).__module__.startswith("scenario")
    assert testing.State(model=described).model.name == "prod"
    assert isinstance(testing.Model(), testing.Simulation)
