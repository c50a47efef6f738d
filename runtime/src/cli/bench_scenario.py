"""Time one event of a Python ops charm under Scenario (ops[testing]), in
CPython: the other side of `charmbox bench --vs-scenario`.

argv: <charm dir> <iterations>; stdin: JSON {"state": a charmbox State,
"event": {"name", "action", "params", "relation_id", "remote_unit"}}.
stdout, last line: JSON with the per-event times (µs) and what the event
left (unit status, each relation's application databag), so the caller can
check that both sides did the same work.
"""

import importlib
import inspect
import json
import statistics
import sys
import time
from pathlib import Path

import ops
import yaml
from ops import testing

SIMPLE = {
    "install", "start", "stop", "remove", "config-changed", "update-status",
    "upgrade-charm", "leader-elected", "collect-metrics",
}
RELATION = ("created", "joined", "changed", "departed", "broken")


def fail(message):
    print(f"bench_scenario: {message}", file=sys.stderr)
    sys.exit(2)


def load_charm(charm_dir):
    sys.path[:0] = [str(charm_dir / "src"), str(charm_dir / "lib")]
    module = importlib.import_module("charm")
    found = [
        c for c in vars(module).values()
        if inspect.isclass(c) and issubclass(c, ops.CharmBase) and c.__module__ == module.__name__
    ]
    if len(found) != 1:
        fail(f"src/charm.py defines {len(found)} CharmBase classes; expected one")
    return found[0]


def metadata(charm_dir):
    for name in ("charmcraft.yaml", "metadata.yaml"):
        path = charm_dir / name
        if path.is_file():
            return yaml.safe_load(path.read_text()) or {}
    return {}


def relations(state, meta):
    peers = set(meta.get("peers") or {})
    out = []
    for r in state.get("relations", []):
        common = dict(
            endpoint=r["endpoint"],
            id=r["id"],
            local_app_data=r.get("local_app_data", {}),
        )
        units = {int(k): v for k, v in r.get("remote_units_data", {}).items()}
        if r["endpoint"] in peers:
            out.append(testing.PeerRelation(peers_data=units, **common))
        else:
            out.append(testing.Relation(
                remote_app_name=r.get("remote_app") or "remote",
                remote_app_data=r.get("remote_app_data", {}),
                remote_units_data=units or {0: {}},
                **common,
            ))
    return out


def layers(container):
    """The container's layers by label, as Scenario takes them."""
    out = {}
    for entry in container.get("layers", []):
        raw = entry.get("layer")
        if raw is None:
            raw = entry.get("yaml") or "{}"
        out[entry["label"]] = ops.pebble.Layer(raw)
    return out


def to_scenario(state, meta):
    containers = [
        testing.Container(
            c["name"], can_connect=c.get("can_connect", False), layers=layers(c)
        )
        for c in state.get("containers", [])
    ]
    return testing.State(
        leader=state.get("leader", False),
        config=state.get("config", {}),
        relations=relations(state, meta),
        containers=containers,
    )


def event_of(ctx, event, st):
    name = event["name"]
    if event.get("action"):
        return ctx.on.action(name, params=event.get("params") or {})
    if name in SIMPLE:
        return getattr(ctx.on, name.replace("-", "_"))()
    for kind in RELATION:
        suffix = f"-relation-{kind}"
        if name.endswith(suffix):
            endpoint = name[: -len(suffix)]
            wanted = event.get("relation_id")
            rel = next(
                (r for r in st.relations
                 if r.endpoint == endpoint and wanted in (None, r.id)),
                None,
            )
            if rel is None:
                fail(f"{name}: no {endpoint} relation in the State")
            remote = event.get("remote_unit")
            if kind in ("created", "broken") or remote is None:
                return getattr(ctx.on, f"relation_{kind}")(rel)
            unit_id = int(remote.rsplit("/", 1)[1])
            return getattr(ctx.on, f"relation_{kind}")(rel, remote_unit=unit_id)
    if name.endswith("-pebble-ready"):
        container = st.get_container(name[: -len("-pebble-ready")])
        return ctx.on.pebble_ready(container)
    fail(f"event {name!r} is not one this benchmark maps to Scenario")


def result(out):
    status = out.unit_status
    return {
        "unit_status": {"status": status.name, "message": status.message},
        "relations": {str(r.id): dict(r.local_app_data) for r in out.relations},
    }


def main():
    charm_dir, iterations = Path(sys.argv[1]), int(sys.argv[2])
    given = json.loads(sys.stdin.read() or "{}")
    state, event = given.get("state") or {}, given["event"]
    charm = load_charm(charm_dir)
    ctx = testing.Context(charm)
    st = to_scenario(state, metadata(charm_dir))
    warmup = max(iterations // 10, 1)
    samples = []
    out = None
    for i in range(warmup + iterations):
        scenario_event = event_of(ctx, event, st)
        t = time.perf_counter_ns()
        out = ctx.run(scenario_event, st)
        took = time.perf_counter_ns() - t
        if i >= warmup:
            samples.append(took / 1000)
    samples.sort()
    pct = lambda p: samples[int((len(samples) - 1) * p)]  # noqa: E731
    print(json.dumps({
        "median_us": statistics.median(samples),
        "p10_us": pct(0.1),
        "p90_us": pct(0.9),
        "mean_us": statistics.fmean(samples),
        "min_us": samples[0],
        "runs": len(samples),
        "versions": f"CPython {sys.version.split()[0]}, ops {ops.__version__}",
        "result": result(out),
    }))


main()
