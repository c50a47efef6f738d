"""charmbox's output State JSON back into ops.testing's State: the input
State with what the event changed replaced, as Scenario returns it."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import ops.pebble
from scenario.state import (
    ICMPPort,
    Secret,
    TCPPort,
    UDPPort,
    _EntityStatus,
)

_OWNERS = {"application": "app", "unit": "unit"}


def status(s: dict) -> Any:
    """An ops.testing status from charmbox's ``{"status", "message"}``."""
    name = str(s.get("status") or "unknown").lower()
    return _EntityStatus.from_status_name(name, s.get("message", ""))


def output_state(state_in: Any, out: dict) -> Any:
    """``state_in`` updated with charmbox's output State ``out``."""
    rel_out = {r["id"]: r for r in out.get("relations", [])}
    relations = []
    for r in state_in.relations:
        o = rel_out.get(r.id)
        if o is None:
            continue
        relations.append(
            dataclasses.replace(
                r,
                local_app_data=o.get("local_app_data", {}),
                local_unit_data=o.get("local_unit_data", {}),
            )
        )
    containers = [_container(c, out) for c in state_in.containers]
    return dataclasses.replace(
        state_in,
        relations=relations,
        unit_status=status(out.get("unit_status", {})),
        app_status=status(out.get("app_status", {})),
        workload_version=out.get("workload_version", ""),
        opened_ports=[_port(p) for p in out.get("opened_ports", [])],
        secrets=_secrets(state_in, out.get("secrets", [])),
        containers=containers,
    )


def _port(p: dict) -> Any:
    proto = p.get("protocol", "tcp")
    if proto == "icmp":
        return ICMPPort()
    return (UDPPort if proto == "udp" else TCPPort)(p["port"])


def _secrets(state_in: Any, out: list[dict]) -> list[Any]:
    given = {s.id: s for s in state_in.secrets}
    result = []
    for o in out:
        revisions = {r["revision"]: r.get("content", {}) for r in o.get("revisions", [])}
        if not revisions:
            continue
        latest = max(revisions)
        tracked = o.get("tracked") or latest
        fields: dict[str, Any] = {
            "tracked_content": revisions.get(tracked, revisions[latest]),
            "latest_content": revisions[latest],
            "owner": _OWNERS.get(o.get("owner")),
            "label": o.get("label"),
            "description": o.get("description"),
            "expire": _time(o.get("expire")),
            "rotate": _rotate(o.get("rotate")),
            "remote_grants": {int(k): frozenset(v) for k, v in o.get("grants", {}).items()},
        }
        old = given.get(o["id"])
        secret = (
            dataclasses.replace(old, **fields)
            if old is not None
            else Secret(id=o["id"], **fields)
        )
        object.__setattr__(secret, "_tracked_revision", tracked)
        object.__setattr__(secret, "_latest_revision", latest)
        result.append(secret)
    return result


def _time(t: str | None) -> datetime.datetime | None:
    if t is None:
        return None
    return datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))


def _rotate(r: str | None) -> Any:
    if r is None:
        return None
    import ops.model

    return ops.model.SecretRotate(r)


def _container(c: Any, out: dict) -> Any:
    o = next((x for x in out.get("containers", []) if x.get("name") == c.name), None)
    if o is None:
        return c
    layers = {}
    for layer in o.get("layers", []):
        spec = layer.get("layer") if layer.get("layer") is not None else layer.get("yaml", "")
        layers[layer["label"]] = ops.pebble.Layer(spec)
    statuses = {
        name: ops.pebble.ServiceStatus(svc.get("current", "inactive"))
        for name, svc in o.get("services", {}).items()
    }
    checks = {name: chk for name, chk in o.get("checks", {}).items()}
    infos = frozenset(_check_info(info, checks.get(info.name)) for info in c.check_infos)
    return dataclasses.replace(c, layers=layers, service_statuses=statuses, check_infos=infos)


def _check_info(info: Any, chk: dict | None) -> Any:
    """A CheckInfo with the status and counts charmbox's Pebble reports."""
    if chk is None:
        return info
    return dataclasses.replace(
        info,
        status=ops.pebble.CheckStatus(chk.get("status", "up")),
        failures=chk.get("failures", 0),
        successes=chk.get("successes", info.successes),
    )
