"""ops.testing's events (``ctx.on.*``) as charmbox's event arguments."""

from __future__ import annotations

from typing import Any


_COLLECT_STATUS = ("collect_unit_status", "collect_app_status")


class UnsupportedEventError(ValueError):
    """An event charmbox cannot deliver (not a Juju event)."""


def event_args(event: Any, app_name: str) -> dict[str, Any]:
    """The JSON object charmbox's ``run`` takes for ``event`` (a
    ``scenario.context._Event``)."""
    if getattr(event, "custom_event", None) is not None:
        raise UnsupportedEventError(
            "custom events are not Juju events: charmbox runs what Juju dispatches "
            "(emit the custom event from the charm's handler of a Juju event)"
        )
    name = event.name
    if name in _COLLECT_STATUS:
        # Juju has no collect-status hook: ops evaluates collect-status at
        # the end of every hook. update-status is the hook Juju runs for
        # exactly that, so it stands in (docs/python-testing.md).
        name = "update_status"
    args: dict[str, Any] = {"name": name}
    if event.action is not None:
        args["name"] = event.action.name
        args["action"] = True
        args["params"] = dict(event.action.params)
        args["action_id"] = str(event.action.id)
    if event.relation is not None:
        rel = event.relation
        args["relation_id"] = rel.id
        remote_app = _remote_app(rel, app_name)
        if event.relation_remote_unit_id is not None:
            args["remote_unit"] = f"{remote_app}/{event.relation_remote_unit_id}"
        if event.relation_departed_unit_id is not None:
            args["departing_unit"] = f"{remote_app}/{event.relation_departed_unit_id}"
    if event.secret is not None:
        args["secret_id"] = event.secret.id
        if event.secret_revision is not None:
            args["secret_revision"] = event.secret_revision
    if event.storage is not None:
        args["storage_id"] = f"{event.storage.name}/{event.storage.index}"
    if event.notice is not None:
        args["notice_id"] = str(event.notice.id)
        args["notice_type"] = str(getattr(event.notice.type, "value", event.notice.type))
        args["notice_key"] = event.notice.key
    if event.check_info is not None:
        args["check_name"] = event.check_info.name
    return args


def _remote_app(rel: Any, app_name: str) -> str:
    if type(rel).__name__ == "PeerRelation":
        return app_name
    return getattr(rel, "remote_app_name", "remote")
