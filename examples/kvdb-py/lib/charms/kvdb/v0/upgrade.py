"""In-place rolling upgrades for machine charms written with ops,
coordinated over a peer relation.

This is the protocol of the data-platform ``upgrade`` library
(shared/seeds/data-platform-upgrade-lib.txt), written for charmbox's
examples. It behaves like the Rust version, ``charmbox_sdk::upgrade``
(guest-sdk/src/upgrade.rs), with the same states, databag keys, action
results and messages, so the two examples' scenarios mirror each other.
On machines ``juju refresh`` runs upgrade-charm on every unit at once, so
the units must take turns themselves:

- Each unit keeps its state in its peer databag (``state``): ``idle``,
  ``ready``, ``upgrading``, ``completed``, ``failed`` or ``recovery``.
- The operator runs the ``pre-upgrade-check`` action on the leader before
  ``juju refresh``. It refuses on a unit that is not the leader, while
  the cluster is not idle, or when the charm's :meth:`Upgrade.pre_upgrade_check`
  raises :class:`ClusterNotReadyError`. Otherwise it writes the upgrade
  stack (unit numbers; the last upgrades first, the leader last by default).
- On upgrade-charm each unit checks the new revision's ``upgrade_supported``
  constraints (Poetry's syntax, :func:`satisfies`) against the running
  versions. A refusal marks it ``failed``; otherwise it is ``ready`` (a
  ``failed`` unit becomes ``recovery`` and goes at once).
- A ``ready`` unit upgrades when it is the highest-priority unit of the
  stack not yet completed, every unit is ready or completed, and none is
  upgrading, failed or in recovery: no two units upgrade at once. The
  charm's :meth:`Upgrade.upgrade_granted` does the work; raising
  :class:`UpgradeFailedError` marks the unit ``failed`` (blocked, rollback
  instructions logged).
- When every unit has completed, the leader records the new versions and
  removes the stack, and every unit goes back to ``idle``.

Turns are taken at the end of every event that is not an action (the
framework's ``pre_commit``). A charm defers the events that are unsafe
during an upgrade while :attr:`Upgrade.state` is not ``idle``, with
``event.defer()``.

Usage::

    class KvdbUpgrade(Upgrade):
        def pre_upgrade_check(self):
            if not healthy:
                raise ClusterNotReadyError("the service of kvdb/1 is not running")

        def upgrade_granted(self):
            if not reinstall():
                raise UpgradeFailedError("apt-get install kvdb-server=1.1 exited 100")

    class KvdbCharm(ops.CharmBase):
        def __init__(self, framework):
            super().__init__(framework)
            self.upgrade = KvdbUpgrade(self, "upgrade", DEPENDENCIES)

Only the machine path is here; the Kubernetes path (the StatefulSet's
partition) is in the Rust version alone.
"""

from __future__ import annotations

import enum
import json
import logging
import os
from dataclasses import dataclass, field
from typing import Any, Mapping

import ops

# The library's identity, as charmcraft's charm libraries carry it (this one
# is not published on Charmhub).
LIBID = "6f1c3e0ad7b54f0e9c2a8b41d5e7f903"
LIBAPI = 0
LIBPATCH = 1

logger = logging.getLogger(__name__)

#: The operator's action before ``juju refresh``.
PRE_UPGRADE_CHECK = "pre-upgrade-check"

# Databag keys, as the Rust version writes them.
STATE_KEY = "state"
CAUSE_KEY = "cause"
STACK_KEY = "upgrade-stack"
VERSIONS_KEY = "versions"

# ---------------------------------------------------------------------------
# Versions and Poetry's version constraints
# ---------------------------------------------------------------------------

#: The longest constraint text parsed.
MAX_CONSTRAINT_LEN = 1024
#: The most numeric components of a version.
MAX_COMPONENTS = 8
#: The most clauses of one constraint.
MAX_CLAUSES = 64
_U64_MAX = 2**64 - 1
_OPERATOR_CHARS = set("<>=!~^")
# Longest first: `~=` before `~`, `>=` before `>`.
_OPERATORS = ("~=", ">=", "<=", "==", "!=", ">", "<", "=", "^", "~")


class VersionError(ValueError):
    """A version or constraint that was not understood: ``text`` is what was
    given (at most 80 characters), ``reason`` what is wrong with it."""

    def __init__(self, text: str, reason: str):
        self.text = text[:80]
        self.reason = reason
        super().__init__(f'invalid version constraint "{self.text}": {reason}')


def parse_version(text: str) -> tuple[int, ...]:
    """``1``, ``3.3``, ``3.3.2`` (a leading ``v`` is allowed) as numbers.

    Raises :class:`VersionError` for anything else (``1.2.3-rc1``, ``1.x``).
    """
    t = text.strip()
    t = t[1:] if t.startswith("v") else t
    if not t:
        raise VersionError(text, "an empty version")
    parts = t.split(".")
    if len(parts) > MAX_COMPONENTS:
        raise VersionError(text, f"more than {MAX_COMPONENTS} components")
    numbers = []
    for p in parts:
        # (20 digits at most: int() refuses very long digit strings anyway.)
        if not (p.isascii() and p.isdigit()) or len(p) > 20 or int(p) > _U64_MAX:
            raise VersionError(text, f'"{p}" is not a number (versions are like 3.3.2)')
        numbers.append(int(p))
    return tuple(numbers)


def _padded(v: tuple[int, ...], n: int) -> tuple[int, ...]:
    return v + (0,) * (n - len(v))


def compare_versions(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    """-1, 0 or 1, with missing components as zeros (``3.3`` is ``3.3.0``)."""
    n = max(len(a), len(b))
    pa, pb = _padded(a, n), _padded(b, n)
    return (pa > pb) - (pa < pb)


def _bump(v: tuple[int, ...], i: int) -> tuple[int, ...]:
    """``v`` with component ``i`` raised by one and those after it dropped:
    ``1.2.3`` bumped at 1 is ``1.3``."""
    parts = list(_padded(v, i + 1)[: i + 1])
    parts[i] += 1
    return tuple(parts)


@dataclass(frozen=True)
class _Bound:
    """One clause: ``op`` is one of gt, ge, lt, le, eq, ne, range (``>= lo,
    < hi``), not-range (outside it) or any."""

    op: str
    lo: tuple[int, ...] = ()
    hi: tuple[int, ...] = ()

    def allows(self, v: tuple[int, ...]) -> bool:
        c = compare_versions(v, self.lo)
        if self.op == "any":
            return True
        if self.op in ("range", "not-range"):
            inside = c >= 0 and compare_versions(v, self.hi) < 0
            return inside if self.op == "range" else not inside
        return {
            "gt": c > 0,
            "ge": c >= 0,
            "lt": c < 0,
            "le": c <= 0,
            "eq": c == 0,
            "ne": c != 0,
        }[self.op]


def _split_clauses(alternative: str) -> list[str]:
    """The clauses of one alternative: split at commas and at spaces that do
    not follow an operator (``>= 1.2, < 2`` and ``>=1.2 <2`` both give two)."""
    out: list[str] = []
    for piece in alternative.split(","):
        current = ""
        for word in piece.split():
            current += word
            if not set(word) <= _OPERATOR_CHARS:
                out.append(current)
                current = ""
        if current:
            out.append(current)
    return out


def _clause_bound(text: str, clause: str) -> _Bound:
    op = next((o for o in _OPERATORS if clause.startswith(o)), "")
    rest = clause[len(op) :]
    if rest == "*":
        if op in ("", "==", "=", ">="):
            return _Bound("any")
        raise VersionError(text, f'"{clause}": `*` only stands alone')
    if rest.endswith(".*"):
        try:
            base = parse_version(rest[:-2])
        except VersionError as e:
            raise VersionError(text, e.reason) from None
        lo, hi = base, _bump(base, len(base) - 1)
        if op in ("", "==", "="):
            return _Bound("range", lo, hi)
        if op == "!=":
            return _Bound("not-range", lo, hi)
        raise VersionError(text, f'"{clause}": a wildcard takes ==, != or nothing')
    try:
        v = parse_version(rest)
    except VersionError as e:
        raise VersionError(text, e.reason) from None
    given = len(v)
    simple = {
        ">": "gt",
        ">=": "ge",
        "<": "lt",
        "<=": "le",
        "!=": "ne",
        "": "eq",
        "==": "eq",
        "=": "eq",
    }
    if op in simple:
        return _Bound(simple[op], v)
    if op == "^":
        # The first non-zero component is kept.
        at = next((i for i, c in enumerate(v) if c != 0), given - 1)
        return _Bound("range", v, _bump(v, at))
    if op == "~":
        return _Bound("range", v, _bump(v, 1 if given >= 2 else 0))
    # "~=": PEP 440's compatible release, the last given component may grow.
    if given < 2:
        raise VersionError(text, f'"{clause}": ~= needs two components')
    return _Bound("range", v, _bump(v, given - 2))


class Constraint:
    """A Poetry version constraint: alternatives (``||``) of clauses that
    must all hold (``,`` or a space between them).

    ========================  ==========================================
    ``^1.2.3``                ``>=1.2.3, <2.0.0`` (first non-zero kept)
    ``^0.2.3`` / ``^0.0.3``   ``>=0.2.3, <0.3.0`` / ``>=0.0.3, <0.0.4``
    ``~1.2.3`` / ``~1``       ``>=1.2.3, <1.3.0`` / ``>=1.0.0, <2.0.0``
    ``~=1.2``                 ``>=1.2, <2.0`` (PEP 440)
    ``*``, ``1.2.*``          anything; ``>=1.2.0, <1.3.0``
    ``>``, ``>=``, ``<``...   comparisons; a bare version is ``==``
    ========================  ==========================================
    """

    def __init__(self, text: str):
        if len(text.encode()) > MAX_CONSTRAINT_LEN:
            raise VersionError(text, f"longer than {MAX_CONSTRAINT_LEN} bytes")
        self.text = text
        self.any_of: list[list[_Bound]] = []
        clauses = 0
        for alternative in text.split("||"):
            all_of = []
            for clause in _split_clauses(alternative):
                clauses += 1
                if clauses > MAX_CLAUSES:
                    raise VersionError(text, f"more than {MAX_CLAUSES} clauses")
                all_of.append(_clause_bound(text, clause))
            if not all_of:
                raise VersionError(text, "an empty alternative")
            self.any_of.append(all_of)

    def allows(self, version: str | tuple[int, ...]) -> bool:
        """Whether ``version`` (text or parsed) meets the constraint."""
        v = parse_version(version) if isinstance(version, str) else version
        return any(all(b.allows(v) for b in all_of) for all_of in self.any_of)


def satisfies(version: str, constraint: str) -> bool:
    """Whether ``version`` meets the Poetry ``constraint``; raises
    :class:`VersionError` when either does not parse."""
    return Constraint(constraint).allows(version)


# ---------------------------------------------------------------------------
# The charm's versioned parts
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Dependency:
    """One versioned part of the charm (the charm itself, its workload).

    ``version`` is what this revision carries, ``upgrade_supported`` the
    running versions it upgrades from in place, and ``dependencies`` maps a
    related application to the versions of it this part works with. All
    are Poetry's syntax.
    """

    name: str
    version: str
    upgrade_supported: str
    dependencies: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, label: str, raw: Mapping[str, Any]) -> Dependency:
        """The part ``label`` of a DEPENDENCIES dict; a missing or malformed
        field raises ValueError naming it."""
        missing = [k for k in ("name", "version", "upgrade_supported") if k not in raw]
        if missing:
            raise ValueError(f"dependency {label!r} lacks {', '.join(missing)}")
        dep = cls(
            name=str(raw["name"]),
            version=str(raw["version"]),
            upgrade_supported=str(raw["upgrade_supported"]),
            dependencies=dict(raw.get("dependencies") or {}),
        )
        try:
            parse_version(dep.version)
            Constraint(dep.upgrade_supported)
            for constraint in dep.dependencies.values():
                Constraint(constraint)
        except VersionError as e:
            raise ValueError(f"dependency {label!r}: {e}") from None
        return dep


def check_dependencies(parts: Mapping[str, Dependency], related: Mapping[str, str]) -> str | None:
    """The first part whose ``dependencies`` refuse a related application's
    running version (``related``: application → version), as a cause; None
    when all fit. An application whose version is unknown is not checked."""
    for label in sorted(parts):
        dep = parts[label]
        for app in sorted(dep.dependencies):
            constraint = dep.dependencies[app]
            running = related.get(app)
            if running is not None and not satisfies(running, constraint):
                return (
                    f"{dep.name} {dep.version} needs {app} {constraint}, "
                    f"but {app} runs {running}"
                )
    return None


# ---------------------------------------------------------------------------
# The protocol
# ---------------------------------------------------------------------------


class UnitState(str, enum.Enum):
    """A unit's upgrade state, as its peer databag holds it."""

    RECOVERY = "recovery"  # failed, then refreshed back: reinstalled first
    FAILED = "failed"  # its upgrade failed: the upgrade halts
    IDLE = "idle"  # no upgrade under way
    READY = "ready"  # refreshed, waiting for its turn
    UPGRADING = "upgrading"  # its turn
    COMPLETED = "completed"  # upgraded


class UpgradeError(Exception):
    """A refusal with its ``cause``, a short sentence for the operator."""

    def __init__(self, cause: str):
        self.cause = cause
        super().__init__(cause)


class ClusterNotReadyError(UpgradeError):
    """Raised by :meth:`Upgrade.pre_upgrade_check`: the cluster cannot be
    upgraded safely now."""


class UpgradeFailedError(UpgradeError):
    """Raised by :meth:`Upgrade.upgrade_granted`: this unit's upgrade failed."""


def unit_number(unit_name: str) -> int | None:
    """``kvdb/12`` → 12 (None for a name without a number)."""
    _, _, n = unit_name.rpartition("/")
    return int(n) if n.isascii() and n.isdigit() else None


def _compact(value: Any) -> str:
    """JSON as the Rust version writes it (serde_json: no spaces, sorted maps)."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


class Upgrade(ops.Object):
    """The protocol over the peer relation ``relation_name``, for a charm
    whose versioned parts are ``dependencies`` (label → :class:`Dependency`
    or its dict, as the seed's DEPENDENCIES).

    Subclass it and override :meth:`pre_upgrade_check` and
    :meth:`upgrade_granted` (and, if the defaults do not fit,
    :meth:`build_upgrade_stack`, :meth:`rollback_instructions` and
    :meth:`related_versions`).
    """

    def __init__(
        self,
        charm: ops.CharmBase,
        relation_name: str,
        dependencies: Mapping[str, Dependency | Mapping[str, Any]],
    ):
        super().__init__(charm, f"upgrade-{relation_name}")
        self.charm = charm
        self.relation_name = relation_name
        self.dependencies: dict[str, Dependency] = {
            label: dep if isinstance(dep, Dependency) else Dependency.from_dict(label, dep)
            for label, dep in dependencies.items()
        }
        action = PRE_UPGRADE_CHECK.replace("-", "_") + "_action"
        if not hasattr(charm.on, action):
            raise RuntimeError(
                f"the upgrade protocol needs the {PRE_UPGRADE_CHECK!r} action: declare it under "
                "`actions:` in charmcraft.yaml"
            )
        self.framework.observe(getattr(charm.on, action), self._on_pre_upgrade_check)
        self.framework.observe(charm.on.upgrade_charm, self._on_upgrade_charm)
        self.framework.observe(self.framework.on.pre_commit, self._on_pre_commit)

    # -- what the charm supplies ---------------------------------------------

    def pre_upgrade_check(self) -> None:
        """Whether the cluster is healthy enough to upgrade: raise
        :class:`ClusterNotReadyError` with the cause to refuse the action."""
        raise NotImplementedError(f"{type(self).__name__} must override pre_upgrade_check")

    def build_upgrade_stack(self, units: list[int]) -> list[int]:
        """The upgrade order of ``units`` (this application's unit numbers):
        the last element upgrades first. Default: the leader last, the
        others from the highest number down."""
        me = unit_number(self.charm.unit.name)
        leader = self.charm.unit.is_leader()
        stack = sorted(u for u in units if not leader or u != me)
        if leader and me is not None:
            stack.insert(0, me)
        return stack

    def upgrade_granted(self) -> None:
        """This unit's turn: upgrade its workload. Raise
        :class:`UpgradeFailedError` with the cause to mark it failed, which
        halts the upgrade."""
        raise NotImplementedError(f"{type(self).__name__} must override upgrade_granted")

    def rollback_instructions(self) -> str:
        """How an operator rolls back, logged when a unit fails."""
        return "Upgrade failed. Run `juju refresh` to the previous revision to roll back."

    def related_versions(self) -> dict[str, str]:
        """The versions related applications run (application → version),
        which each part's ``dependencies`` constrain at upgrade-charm.
        Default: none known, so nothing is checked."""
        return {}

    # -- reading the relation ------------------------------------------------

    @property
    def peer_relation(self) -> ops.Relation | None:
        """The upgrade peer relation (None before Juju has created it)."""
        return self.model.get_relation(self.relation_name)

    @property
    def state(self) -> UnitState:
        """This unit's state (``idle`` before the relation exists)."""
        peers = self.peer_relation
        if peers is None:
            return UnitState.IDLE
        return self._read_state(peers, self.charm.unit) or UnitState.IDLE

    @property
    def versions(self) -> dict[str, str]:
        """This revision's version of each part (label → version)."""
        return {label: dep.version for label, dep in sorted(self.dependencies.items())}

    @staticmethod
    def _read_state(peers: ops.Relation, unit: ops.Unit) -> UnitState | None:
        raw = peers.data[unit].get(STATE_KEY)
        try:
            return UnitState(raw) if raw is not None else None
        except ValueError:
            return None

    def _set_state(self, peers: ops.Relation, state: UnitState) -> None:
        peers.data[self.charm.unit][STATE_KEY] = state.value

    def _states(self, peers: ops.Relation) -> dict[int, UnitState]:
        """Every unit's state by unit number (a unit that has not said yet:
        ``idle``)."""
        out: dict[int, UnitState] = {}
        for unit in [*peers.units, self.charm.unit]:
            n = unit_number(unit.name)
            if n is not None:
                out[n] = self._read_state(peers, unit) or UnitState.IDLE
        return dict(sorted(out.items()))

    def _app_json(self, peers: ops.Relation, key: str) -> Any:
        raw = peers.data[self.charm.app].get(key)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError as e:
            raise RuntimeError(
                f"the {self.relation_name} relation's application data {key!r} is not JSON "
                f"({e}): {raw[:80]!r}"
            ) from None

    def _stack(self, peers: ops.Relation) -> list[int] | None:
        stack = self._app_json(peers, STACK_KEY)
        if stack is not None and not (
            isinstance(stack, list) and all(isinstance(u, int) and u >= 0 for u in stack)
        ):
            raise RuntimeError(f"{STACK_KEY} is not a list of unit numbers: {stack!r}")
        return stack

    def _initialise(self, peers: ops.Relation) -> None:
        """A unit without a state is idle; the leader records the running
        versions the first time."""
        if self._read_state(peers, self.charm.unit) is None:
            self._set_state(peers, UnitState.IDLE)
        if self.charm.unit.is_leader() and peers.data[self.charm.app].get(VERSIONS_KEY) is None:
            peers.data[self.charm.app][VERSIONS_KEY] = _compact(self.versions)

    # -- the protocol's events -----------------------------------------------

    def _on_pre_upgrade_check(self, event: ops.ActionEvent) -> None:
        peers = self.peer_relation
        if peers is None:
            event.fail("the upgrade relation is not there yet")
            return
        self._initialise(peers)
        if not self.charm.unit.is_leader():
            event.fail("Action must be ran on the Juju leader.")
            return
        states = self._states(peers)
        if any(s != UnitState.IDLE for s in states.values()):
            event.fail("Cannot run pre-upgrade checks, cluster already upgrading.")
            return
        try:
            self.pre_upgrade_check()
        except ClusterNotReadyError as e:
            event.fail(f"Pre-upgrade check failed and cannot safely upgrade: {e.cause}")
            return
        stack = [int(u) for u in self.build_upgrade_stack(list(states))]
        peers.data[self.charm.app][STACK_KEY] = _compact(stack)
        event.set_results({"message": f"Pre-upgrade check successful. Upgrade stack: {stack}"})

    def _on_upgrade_charm(self, event: ops.UpgradeCharmEvent) -> None:
        peers = self.peer_relation
        if peers is None:
            return
        self._initialise(peers)
        cause = check_dependencies(self.dependencies, self.related_versions())
        if cause is not None:
            self._fail(peers, cause)
            return
        running = self._app_json(peers, VERSIONS_KEY) or {}
        for label, dep in sorted(self.dependencies.items()):
            current = running.get(label)
            if current is None:
                continue
            try:
                ok = satisfies(current, dep.upgrade_supported)
            except VersionError as e:
                raise RuntimeError(f"{label}'s upgrade_supported: {e}") from None
            if not ok:
                self._fail(
                    peers,
                    f"{dep.name} {current} cannot be upgraded in place to {dep.version} "
                    f"(supported: {dep.upgrade_supported})",
                )
                return
        if self._stack(peers) is None:
            self._fail(peers, "pre-upgrade-check was not run before the refresh")
            return
        if self.state in (UnitState.FAILED, UnitState.RECOVERY):
            self._set_state(peers, UnitState.RECOVERY)
        else:
            self._set_state(peers, UnitState.READY)
            self.charm.unit.status = ops.WaitingStatus("waiting to upgrade")

    def _on_pre_commit(self, event: ops.EventBase) -> None:
        """At the end of every event that is not an action: take this unit's
        turn if it has come, and finish when all have."""
        if os.environ.get("JUJU_ACTION_NAME"):
            return
        peers = self.peer_relation
        if peers is None:
            return
        self._initialise(peers)
        self._advance(peers)

    def _fail(self, peers: ops.Relation, cause: str) -> None:
        """Mark this unit failed: the cause and the rollback instructions in
        the log, blocked."""
        logger.error("upgrade of %s failed: %s", self.charm.unit.name, cause)
        logger.error("%s", self.rollback_instructions())
        self._set_state(peers, UnitState.FAILED)
        peers.data[self.charm.unit][CAUSE_KEY] = cause
        self.charm.unit.status = ops.BlockedStatus(
            f"upgrade failed: {cause}; check the logs for rollback instructions"
        )

    def _advance(self, peers: ops.Relation) -> None:
        """Take this unit's turn if it has come (a unit in recovery goes at
        once; a ready one when it is next, every unit is ready or completed
        and none is upgrading, failed or in recovery), then finish: the
        leader once every unit has completed, the others once the leader
        has removed the stack."""
        me = self.charm.unit.name
        number = unit_number(me)
        leader = self.charm.unit.is_leader()
        states = self._states(peers)
        stack = self._stack(peers) or []
        own = states.get(number)
        busy_states = (UnitState.UPGRADING, UnitState.FAILED, UnitState.RECOVERY)
        busy = any(s in busy_states for s in states.values())
        set_states = (UnitState.READY, UnitState.COMPLETED, UnitState.RECOVERY)
        all_set = all(s in set_states for s in states.values())
        following = next(
            (u for u in reversed(stack) if u in states and states[u] != UnitState.COMPLETED), None
        )
        granted = own == UnitState.RECOVERY or (
            own == UnitState.READY and not busy and all_set and following == number
        )
        if granted:
            logger.info("upgrade granted to %s", me)
            self._set_state(peers, UnitState.UPGRADING)
            try:
                self.upgrade_granted()
            except UpgradeFailedError as e:
                self._fail(peers, e.cause)
                return
            logger.info("%s upgraded", me)
            self._set_state(peers, UnitState.COMPLETED)
            if number is not None:
                states[number] = UnitState.COMPLETED
        done = bool(stack) and all(s == UnitState.COMPLETED for s in states.values())
        if leader and done:
            logger.info("every unit upgraded: the upgrade is finished")
            peers.data[self.charm.app][VERSIONS_KEY] = _compact(self.versions)
            del peers.data[self.charm.app][STACK_KEY]
            self._set_state(peers, UnitState.IDLE)
        elif not leader and not stack and states.get(number) == UnitState.COMPLETED:
            self._set_state(peers, UnitState.IDLE)
