"""``charmbox.testing.Context``: ops.testing's Context, with the event run in
charmbox (the charm built into a component, Juju-exact hook tools, the
simulated Pebble, the sandbox)."""

from __future__ import annotations

import json
import re
import pathlib
import tempfile
from typing import Any

import scenario
import yaml
from ops.testing import ActionFailed, ExecArgs, JujuLogLine
from scenario.context import _DEFAULT_JUJU_VERSION
from scenario.errors import MetadataNotFoundError, UncaughtCharmError
from scenario.state import _CharmSpec

from .. import _native
from . import _unit_db
from ._charm_root import build_once, find_charm_root
from ._event import event_args
from ._state_in import state_json
from ._state_out import output_state, status
from ._errors import JujuRefusedError


class Context(scenario.Context):
    """ops.testing's :class:`~ops.testing.Context`, running the charm in charmbox.

    Takes what ops.testing's Context takes, plus ``trace`` (a path: each
    ``run`` appends its dispatch there for ``charmbox replay``; a directory:
    one file per run) and ``fuel`` (the event's instruction budget). The
    charm directory is ``charm_root`` when it holds charmcraft.yaml, else the
    one above the charm type's module; it is built (``charmbox build``) when
    the Context is made, unless up to date.

    ``machine`` is a machine charm's simulated machine, as the State JSON's
    ``machine`` (docs/machine.md: ``granted``, ``available``, ``packages``,
    ``services``, ``handlers``...): each ``run`` starts from it and leaves
    the machine after the event in it, with the commands that ran.

    ``loopback_http`` is what the unit's workloads answer to HTTP on
    ``localhost``, as the State JSON's ``loopback_http`` (a list of
    ``{"port", "method", "path", "status", "headers", "body" or "json"}``;
    docs/state.md): where a test with ops.testing monkeypatches the charm's
    call to its workload (``get_version``), give the workload's answer.
    """

    def __init__(
        self,
        charm_type: type,
        meta: dict[str, Any] | None = None,
        *,
        actions: dict[str, Any] | None = None,
        config: dict[str, Any] | None = None,
        charm_root: str | pathlib.Path | None = None,
        juju_version: str = _DEFAULT_JUJU_VERSION,
        capture_deferred_events: bool = False,
        capture_framework_events: bool = False,
        app_name: str | None = None,
        unit_id: int | None = 0,
        machine_id: str | None = None,
        availability_zone: str | None = None,
        principal_unit: str | None = None,
        app_trusted: bool = False,
        trace: str | pathlib.Path | None = None,
        fuel: int | None = None,
        machine: dict[str, Any] | None = None,
        loopback_http: list[dict[str, Any]] | None = None,
    ):
        self._charmbox_dir = find_charm_root(charm_type, charm_root)
        if not any((meta, actions, config)) and not _autoloads(charm_type):
            # Scenario reads the metadata beside the charm type's module;
            # charmbox found the charm directory elsewhere (charm_root).
            meta = _charmcraft(self._charmbox_dir)
        super().__init__(
            charm_type,
            meta,
            actions=actions,
            config=config,
            charm_root=charm_root,
            juju_version=juju_version,
            capture_deferred_events=capture_deferred_events,
            capture_framework_events=capture_framework_events,
            app_name=app_name,
            unit_id=unit_id,
            machine_id=machine_id,
            availability_zone=availability_zone,
            principal_unit=principal_unit,
            app_trusted=app_trusted,
        )
        self._component = build_once(self._charmbox_dir)
        self.trace = pathlib.Path(trace) if trace is not None else None
        self.fuel = fuel
        self.machine: dict[str, Any] = dict(machine or {})
        self.loopback_http: list[dict[str, Any]] = list(loopback_http or [])
        self._runs = 0
        # The trace text of the last run (JSON lines, `charmbox replay`'s input).
        self.last_trace: str | None = None

    def __call__(self, event: Any, state: Any) -> Any:
        raise NotImplementedError(
            "charmbox.testing runs the charm in a sandbox: its charm object is not "
            "reachable from the test; assert on the output State and the context instead"
        )

    def run(self, event: Any, state: Any) -> Any:
        """Run ``event`` on ``state`` in charmbox; returns the output State.

        As ops.testing: the context's logs, status and workload-version
        histories, exec history and action outputs are updated; a charm that
        raises gives :class:`~ops.testing.errors.UncaughtCharmError` (with
        its traceback), an action that fails :class:`~ops.testing.ActionFailed`.
        """
        if isinstance(event, str) or callable(event):
            return super().run(event, state)  # Scenario's own TypeError
        if event.action is not None:
            self.action_logs.clear()
            if self.action_results is not None:
                self.action_results.clear()
            self._action_failure_message = None
        unit = f"{self.app_name}/{self.unit_id}"
        state_in = state_json(
            state,
            unit=unit,
            app_name=self.app_name,
            juju_version=self.juju_version,
            trusted=self.app_trusted,
        )
        if self.machine:
            state_in["machine"] = self.machine
        if self.loopback_http:
            state_in["loopback_http"] = self.loopback_http
        args = event_args(event, self.app_name)
        with tempfile.TemporaryDirectory(prefix="charmbox-unit-") as tmp:
            unit_dir = pathlib.Path(tmp)
            _unit_db.write(unit_dir, state)
            try:
                out_json, report_json, trace = _native.run(
                    str(self._charmbox_dir),
                    self._component,
                    json.dumps(state_in),
                    json.dumps(args),
                    unit_dir=str(unit_dir),
                    fuel=self.fuel,
                )
            except _native.StateError as e:
                raise JujuRefusedError(str(e)) from e
            out = json.loads(out_json)
            report = json.loads(report_json)
            self.machine = out.get("machine", {})
            self._record(state, report, trace)
            self._record_execs(state_in, out)
            result = output_state(state, out)
            result = _unit_db.read(unit_dir, result)
        self._output_state = result
        failure = _failure(report)
        if failure is not None:
            raise UncaughtCharmError(f"Uncaught error in charm (in charmbox):\n{failure}")
        action = report.get("action")
        if event.action is not None and action is not None:
            if action.get("results"):
                if self.action_results is None:
                    self.action_results = {}
                self.action_results.update(action["results"])
            self.action_logs.extend(action.get("logs", []))
            if action.get("failed") is not None:
                self._action_failure_message = action["failed"]
                raise ActionFailed(action["failed"], state=result)
        return result

    def _record(self, state: Any, report: dict, trace: str) -> None:
        """The context's histories, from the report and the recorded calls."""
        self.last_trace = trace
        self._runs += 1
        if self.trace is not None:
            if self.trace.is_dir():
                path = self.trace / f"run-{self._runs:04}.jsonl"
                path.write_text(trace)
            else:
                with self.trace.open("a") as f:
                    f.write(trace)
        for line in report.get("logs", []):
            self.juju_log.append(JujuLogLine(line["level"].upper(), line["message"]))
        unit_status, app_status = state.unit_status, state.app_status
        workload_version = state.workload_version
        for call in _hook_calls(trace):
            tool = call.get("tool")
            if tool == "status-set":
                new = status(call)
                if call.get("application"):
                    self.app_status_history.append(app_status)
                    app_status = new
                else:
                    self.unit_status_history.append(unit_status)
                    unit_status = new
            elif tool == "application-version-set":
                if workload_version:  # as ops.testing: an unset version is not recorded
                    self.workload_version_history.append(workload_version)
                workload_version = call.get("version", "")
            elif tool == "secret-remove" and call.get("revision") is not None:
                self.removed_secret_revisions.append(call["revision"])
            elif tool == "storage-add":
                for name, count in call.get("directives", []):
                    self.requested_storages[name] = self.requested_storages.get(name, 0) + count

    def _record_execs(self, state_in: dict, out: dict) -> None:
        """``exec_history``: the commands this run added to each container's
        Pebble exec history (charmbox's Pebble records what it was asked)."""
        before = {c["name"]: len(c.get("exec_history", [])) for c in state_in["containers"]}
        for c in out.get("containers", []):
            for rec in c.get("exec_history", [])[before.get(c["name"], 0) :]:
                self.exec_history.setdefault(c["name"], []).append(_exec_args(rec))


def _autoloads(charm_type: type) -> bool:
    """Whether Scenario finds the charm's metadata from its type alone."""
    try:
        _CharmSpec.autoload(charm_type)
    except MetadataNotFoundError:
        return False
    return True


def _charmcraft(root: pathlib.Path) -> dict[str, Any]:
    """The charm directory's charmcraft.yaml (or metadata.yaml) as ``meta``."""
    for name in ("charmcraft.yaml", "metadata.yaml"):
        path = root / name
        if path.is_file():
            return yaml.safe_load(path.read_text()) or {}
    return {}


def _failure(report: dict) -> str | None:
    """Why the hook failed (the charm's traceback when it raised), or None."""
    outcome = report.get("outcome", {})
    if outcome.get("outcome") == "ok":
        return None
    failure = outcome.get("failure")
    if isinstance(failure, dict) and isinstance(failure.get("message"), str):
        return failure["message"]
    return json.dumps(outcome)


def _hook_calls(trace: str):
    """The hook-tool calls of a trace that succeeded, in order."""
    for line in trace.splitlines():
        if '"hook-tools"' not in line:
            continue  # most lines are WASI clock and random reads
        rec = json.loads(line)
        if rec.get("type") != "call":
            continue
        call = rec.get("call", {})
        if call.get("interface") != "hook-tools":
            continue
        result = rec.get("result", {})
        hook = result.get("hook", {}) if isinstance(result, dict) else {}
        if isinstance(hook, dict) and "Err" in hook:
            continue
        yield call


def _exec_args(rec: dict) -> ExecArgs:
    """ops.testing's ExecArgs for one of charmbox's exec records (Pebble
    does not see the client's encoding or stderr combining: ops' defaults)."""
    return ExecArgs(
        command=list(rec.get("command", [])),
        environment=dict(rec.get("environment", {})),
        working_dir=rec.get("working_dir") or None,
        timeout=go_seconds(rec["timeout"]) if rec.get("timeout") else None,
        user_id=rec.get("user_id"),
        user=None,
        group_id=rec.get("group_id"),
        group=None,
        stdin=rec.get("stdin") or None,
        encoding="utf-8",
        combine_stderr=False,
    )


_GO_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
_GO_PART = re.compile(r"([0-9.]+)(h|ms|m|s|us|µs|ns)")


def go_seconds(d: str) -> float:
    """A Go duration (``1m30s``, ``1.5s``) in seconds."""
    parts = _GO_PART.findall(d)
    if not parts or "".join(n + u for n, u in parts) != d:
        raise ValueError(f"not a Go duration: {d!r}")
    return sum(float(n) * _GO_UNITS[u] for n, u in parts)
