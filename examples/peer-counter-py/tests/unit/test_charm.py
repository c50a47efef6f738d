"""peer-counter-py under ops.testing and charmbox.testing (the `testing` fixture)."""

import json

from charm import PeerCounterCharm


def count(state, relation_id):
    bag = state.get_relation(relation_id).local_app_data
    return json.loads(bag["unit_stats"])["started_counter"]


def test_leader_counts_starts(testing):
    ctx = testing.Context(PeerCounterCharm)
    peers = testing.PeerRelation("fastapi-peer")
    out = ctx.run(ctx.on.start(), testing.State(leader=True, relations={peers}))
    assert count(out, peers.id) == 1
    assert out.unit_status == testing.ActiveStatus()
    again = ctx.run(ctx.on.start(), out)
    assert count(again, peers.id) == 2


def test_follower_leaves_the_count_to_the_leader(testing):
    ctx = testing.Context(PeerCounterCharm)
    peers = testing.PeerRelation(
        "fastapi-peer", local_app_data={"unit_stats": json.dumps({"started_counter": 4})}
    )
    out = ctx.run(ctx.on.start(), testing.State(leader=False, relations={peers}))
    assert count(out, peers.id) == 4
    assert any("not the leader" in line.message for line in ctx.juju_log)


def test_no_peer_relation_yet(testing):
    ctx = testing.Context(PeerCounterCharm)
    out = ctx.run(ctx.on.start(), testing.State(leader=True))
    assert out.unit_status == testing.ActiveStatus()
    assert any("no fastapi-peer relation yet" in line.message for line in ctx.juju_log)
    assert ctx.unit_status_history == [testing.UnknownStatus()]
