"""ops.testing's State as charmbox's State JSON (docs/state.md).

Every field charmbox cannot represent is named in a :class:`StateError`
rather than dropped.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import re
from typing import Any

from ._errors import UnrepresentableStateError

_OWNERS = {None: None, "app": "application", "unit": "unit"}


def state_json(state: Any, *, unit: str, app_name: str, juju_version: str, trusted: bool) -> dict:
    """The State JSON for ``state`` (ops.testing.State) seen by ``unit``."""
    out: dict[str, Any] = {
        "unit": unit,
        "leader": state.leader,
        "config": dict(state.config),
        "relations": [_relation(r, app_name) for r in sorted(state.relations, key=lambda r: r.id)],
        "unit_status": _status(state.unit_status),
        "app_status": _status(state.app_status),
        "workload_version": state.workload_version,
        "secrets": [_secret(s) for s in state.secrets],
        "opened_ports": [_port(p) for p in state.opened_ports],
        "storages": [{"name": s.name, "index": s.index} for s in state.storages],
        "containers": [_container(c) for c in sorted(state.containers, key=lambda c: c.name)],
        "networks": {n.binding_name: _network(n) for n in state.networks},
        "model": {
            "name": _model_name(state.model.name),
            "uuid": state.model.uuid,
            "type": state.model.type,
            "juju_version": juju_version,
        },
        "planned_units": state.planned_units,
        "resources": {r.name: str(r.path) for r in state.resources},
        "trusted": trusted,
    }
    if state.model.cloud_spec is not None:
        raise UnrepresentableStateError("model.cloud_spec", "credential-get answers are not set from a State yet")
    return out


# Scenario's default model name: 20 random ASCII letters and digits, capitals among
# them, which Juju refuses (model names are lower-case).
_SCENARIO_MODEL_NAME = re.compile(r"[A-Za-z0-9]{20}")


def _model_name(name: str) -> str:
    """The model name, Scenario's random default lower-cased (a name a
    test chose is kept, and refused by Juju's rules if it is not one)."""
    if _SCENARIO_MODEL_NAME.fullmatch(name):
        return name.lower()
    return name


def _status(s: Any) -> dict:
    return {"status": s.name, "message": s.message}


def _relation(r: Any, app_name: str) -> dict:
    kind = type(r).__name__
    out: dict[str, Any] = {
        "id": r.id,
        "endpoint": r.endpoint,
        "local_app_data": dict(r.local_app_data),
        "local_unit_data": dict(r.local_unit_data),
    }
    if kind == "PeerRelation":
        out["remote_app"] = app_name
        out["remote_units_data"] = {str(k): dict(v) for k, v in r.peers_data.items()}
    elif kind == "SubordinateRelation":
        out["remote_app"] = r.remote_app_name
        out["remote_app_data"] = dict(r.remote_app_data)
        out["remote_units_data"] = {str(r.remote_unit_id): dict(r.remote_unit_data)}
    else:
        out["remote_app"] = r.remote_app_name
        out["remote_app_data"] = dict(r.remote_app_data)
        out["remote_units_data"] = {str(k): dict(v) for k, v in r.remote_units_data.items()}
        if r.remote_model_uuid is not None:
            out["remote_model_uuid"] = r.remote_model_uuid
    return out


def _secret(s: Any) -> dict:
    tracked = s._tracked_revision
    latest = s._latest_revision
    revisions = [{"revision": tracked, "content": dict(s.tracked_content)}]
    if latest != tracked:
        revisions.append({"revision": latest, "content": dict(s.latest_content)})
    for n in range(1, min(tracked, latest)):
        # Juju keeps earlier revisions; Scenario has only the two.
        revisions.insert(n - 1, {"revision": n, "content": dict(s.tracked_content)})
    out: dict[str, Any] = {"id": s.id, "revisions": revisions, "tracked": tracked}
    owner = _OWNERS.get(s.owner, s.owner)
    if owner is not None:
        out["owner"] = owner
    for key in ("label", "description"):
        if getattr(s, key) is not None:
            out[key] = getattr(s, key)
    if s.expire is not None:
        out["expire"] = _rfc3339(s.expire)
    if s.rotate is not None:
        out["rotate"] = str(getattr(s.rotate, "value", s.rotate))
    if s.remote_grants:
        out["grants"] = {str(k): sorted(v) for k, v in s.remote_grants.items()}
    return out


def _rfc3339(t: datetime.datetime) -> str:
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.timezone.utc)
    return t.isoformat().replace("+00:00", "Z")


def _port(p: Any) -> dict:
    out: dict[str, Any] = {"protocol": p.protocol}
    if p.port is not None:
        out["port"] = p.port
    return out


def _network(n: Any) -> dict:
    first = n.bind_addresses[0] if n.bind_addresses else None
    addresses = [a.value for a in first.addresses] if first else []
    out: dict[str, Any] = {
        "addresses": addresses,
        "ingress_addresses": list(n.ingress_addresses),
        "egress_subnets": list(n.egress_subnets),
    }
    if first is not None:
        out["interface_name"] = first.interface_name or "eth0"
        out["mac_address"] = first.mac_address or ""
        if first.addresses and first.addresses[0].cidr:
            out["cidr"] = first.addresses[0].cidr
    return out


def _container(c: Any) -> dict:
    out: dict[str, Any] = {
        "name": c.name,
        "can_connect": c.can_connect,
        "layers": [{"label": label, "layer": layer.to_dict()} for label, layer in c.layers.items()],
    }
    if c._base_plan:
        raise UnrepresentableStateError(
            f"containers[{c.name}]._base_plan", "give the plan as layers"
        )
    services = {}
    for name, status in c.service_statuses.items():
        services[name] = {"current": str(getattr(status, "value", status))}
    if services:
        out["services"] = services
    checks = {}
    for info in c.check_infos:
        checks[info.name] = {
            "status": str(getattr(info.status, "value", info.status)),
            "failures": info.failures,
        }
        if info.successes is not None:
            checks[info.name]["successes"] = info.successes
    if checks:
        out["checks"] = checks
    if c.execs:
        out["exec"] = [_exec(e) for e in c.execs]
    if c.notices:
        out["notices"] = [_notice(n) for n in c.notices]
    if c.mounts:
        out["files"] = _mount_files(c)
    return out


def _exec(e: Any) -> dict:
    out: dict[str, Any] = {"command": list(e.command_prefix)}
    if e.return_code:
        out["exit_code"] = e.return_code
    if e.stdout:
        out["stdout"] = e.stdout
    if e.stderr:
        out["stderr"] = e.stderr
    return out


def _notice(n: Any) -> dict:
    out: dict[str, Any] = {
        "id": str(n.id),
        "type": str(getattr(n.type, "value", n.type)),
        "key": n.key,
        "first_occurred": _rfc3339(n.first_occurred),
        "last_occurred": _rfc3339(n.last_occurred),
        "last_repeated": _rfc3339(n.last_repeated),
        "occurrences": n.occurrences,
        "last_data": dict(n.last_data),
    }
    if n.user_id is not None:
        out["user_id"] = n.user_id
    return out


# Files taken from one mount, at most (a test's fixture directory, not a disk).
_MAX_MOUNT_FILES = 10_000
_MAX_MOUNT_BYTES = 64 << 20


def _mount_files(c: Any) -> dict:
    """A mount's files as the container's files (charmbox's Pebble keeps
    them in the State: what the charm writes comes back in the output)."""
    import pathlib

    files: dict[str, Any] = {}
    total = 0
    for mount in c.mounts.values():
        src = pathlib.Path(mount.source)
        location = str(mount.location).rstrip("/") or "/"
        for path in sorted(src.rglob("*")) if src.is_dir() else []:
            if len(files) >= _MAX_MOUNT_FILES:
                raise UnrepresentableStateError(
                    f"containers[{c.name}].mounts", f"more than {_MAX_MOUNT_FILES} files"
                )
            rel = path.relative_to(src).as_posix()
            target = f"{location}/{rel}" if location != "/" else f"/{rel}"
            if path.is_symlink():
                files[target] = {"type": "symlink", "target": str(path.readlink())}
            elif path.is_dir():
                files[target] = {"type": "directory"}
            elif path.is_file():
                data = path.read_bytes()
                total += len(data)
                if total > _MAX_MOUNT_BYTES:
                    raise UnrepresentableStateError(
                        f"containers[{c.name}].mounts", f"more than {_MAX_MOUNT_BYTES} bytes"
                    )
                try:
                    files[target] = {"content": data.decode()}
                except UnicodeDecodeError:
                    files[target] = {"content_base64": base64.b64encode(data).decode()}
    return files


def is_dataclass_state(obj: Any) -> bool:
    """Whether ``obj`` looks like an ops.testing State."""
    return dataclasses.is_dataclass(obj) and hasattr(obj, "relations")
