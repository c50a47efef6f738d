"""``charmbox.testing.Simulation``: whole-model tests over charmbox's simulator
(Juju's hook orderings, leadership, relations, pods that come and go),
from pytest."""

from __future__ import annotations

import json
import pathlib
from typing import Any, Iterable

from .. import _native
from ._charm_root import build_once, find_charm_root
from ._state_out import status as _status


class Simulation:
    """A simulated model in memory, deterministic for its ``seed``.

    Operations are Juju's (``deploy``, ``add_units``, ``integrate``,
    ``config``, ``churn``, ``refresh``, ``run_action``, ``secret_add``...);
    they queue hooks, which ``settle`` runs in Juju's order and ``advance``
    runs as virtual time passes. A refused operation raises
    ``charmbox.ModelError`` with Juju's reason.
    """

    def __init__(self, *, kind: str = "kubernetes", seed: int = 0, name: str = "sim"):
        self._sim = _native.SimModel(name=name, kind=kind, seed=seed)

    def deploy(
        self,
        charm: type | str | pathlib.Path,
        *,
        app: str | None = None,
        units: int | None = None,
        config: dict[str, Any] | None = None,
        trust: bool = False,
        stateless: bool = False,
        charm_root: str | pathlib.Path | None = None,
    ) -> str:
        """Deploy a charm type (built from its directory) or a charm
        directory; returns the application name."""
        if isinstance(charm, type):
            root = find_charm_root(charm, charm_root)
        else:
            root = pathlib.Path(charm).resolve()
        build_once(root)
        return self._sim.deploy(
            str(root),
            app=app,
            units=units,
            config_json=json.dumps(config) if config else None,
            trust=trust,
            stateless=stateless,
        )

    def add_units(self, app: str, n: int = 1) -> list[str]:
        """``juju add-unit -n``; returns the new units' names."""
        return self._sim.add_units(app, n)

    def remove_unit(self, unit: str) -> None:
        """``juju remove-unit``."""
        self._sim.remove_unit(unit)

    def integrate(self, a: str, b: str) -> int:
        """``juju integrate``; returns the relation id."""
        return self._sim.integrate(a, b)

    def remove_relation(self, a: str, b: str) -> None:
        """``juju remove-relation``."""
        self._sim.remove_relation(a, b)

    def config(self, app: str, values: dict[str, Any] | None = None, *, reset: Iterable[str] = ()) -> None:
        """``juju config app k=v ... --reset k``."""
        self._sim.config(app, json.dumps(values or {}), list(reset))

    def churn(self, unit: str) -> str:
        """Delete the unit's pod; Kubernetes recreates it. Returns the unit
        that comes back (a new unit for a stateless application)."""
        return self._sim.churn(unit)

    def refresh(self, app: str, charm: type | str | pathlib.Path | None = None) -> None:
        """``juju refresh``, to ``charm`` when given."""
        root = None
        if charm is not None:
            root = find_charm_root(charm, None) if isinstance(charm, type) else pathlib.Path(charm)
            build_once(root.resolve())
        self._sim.refresh(app, str(root) if root is not None else None)

    def run_action(self, unit: str, action: str, **params: Any) -> dict[str, Any]:
        """``juju run``, settled; returns the task (status, results, message, logs)."""
        return json.loads(self._sim.run_action(unit, action, json.dumps(params)))

    def secret_add(self, content: dict[str, str], apps: Iterable[str] = ()) -> str:
        """``juju add-secret`` granted to ``apps``; returns the secret URI."""
        return self._sim.secret_add(json.dumps(content), list(apps))

    def settle(self) -> int:
        """Run hooks until none is due; returns how many ran."""
        return self._sim.settle()

    def advance(self, seconds: float) -> int:
        """Let virtual time pass, running what falls due; returns hooks run."""
        return self._sim.advance(seconds)

    def status(self) -> dict[str, Any]:
        """``juju status`` (applications, units, relations) as a dict."""
        return json.loads(self._sim.status())

    def unit_status(self, unit: str) -> Any:
        """The unit's workload status, as an ops.testing status."""
        for line in self.status()["units"]:
            if line["unit"] == unit:
                return _status({"status": line["workload"], "message": line["message"]})
        raise KeyError(unit)

    def units(self, app: str) -> list[str]:
        """The application's units, in order."""
        return [u["unit"] for u in self.status()["units"] if u["unit"].split("/")[0] == app]

    def leader(self, app: str) -> str | None:
        """The application's leader unit."""
        for a in self.status()["applications"]:
            if a["name"] == app:
                return a.get("leader")
        raise KeyError(app)

    def databag(self, relation_id: int, owner: str) -> dict[str, str]:
        """A relation databag; ``owner`` is an application or a unit."""
        return self._sim.databag(relation_id, owner)

    def relation_id(self, app: str, endpoint: str | None = None) -> int:
        """The id of the application's relation (its only one, or the
        one on ``endpoint``)."""
        found = [
            r["id"]
            for r in self.status()["relations"]
            if any(side.split(":")[0] == app and (endpoint is None or side.split(":")[-1] == endpoint)
                   for side in (r["provider"], r["requirer"]))
        ]
        if len(found) != 1:
            raise KeyError(f"{app} has {len(found)} relations{f' on {endpoint}' if endpoint else ''}")
        return found[0]

    def events(self, unit: str | None = None) -> list[dict[str, Any]]:
        """The hooks run (seq, time, unit, event, detail, outcome)."""
        return json.loads(self._sim.events(unit))

    def logs(self, unit: str | None = None) -> list[dict[str, Any]]:
        """The charms' log lines (and the agent's), in order."""
        return json.loads(self._sim.logs(unit))

    @property
    def hooks_run(self) -> int:
        """How many hooks have run."""
        return self._sim.hooks_run()


# ops.testing.Model's own arguments: a call with any of them (or positional
# ones) describes a State's model, as under ops.testing.
_OPS_MODEL_ARGS = frozenset({"name", "uuid", "type", "cloud_spec"})
_SIMULATION_ARGS = frozenset({"kind", "seed"})


class Model(Simulation):
    """Whole-model tests (a :class:`Simulation`), and still ops.testing's
    ``Model`` where a test describes a State's model.

    ``Model()``, ``Model(kind=..., seed=...)``: a simulated model.
    ``Model("name")``, ``Model(name=..., uuid=..., type=...)`` (ops.testing's
    arguments, without ``kind``/``seed``): ops.testing's ``Model``
    dataclass, so that tests switched from ``ops.testing`` keep working.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if args or (set(kwargs) & _OPS_MODEL_ARGS and not set(kwargs) & _SIMULATION_ARGS):
            from ops.testing import Model as OpsModel

            return OpsModel(*args, **kwargs)
        return super().__new__(cls)
