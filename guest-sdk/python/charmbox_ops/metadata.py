"""The charm's metadata, read at build time.

ops reads ``metadata.yaml``, ``actions.yaml`` and ``config.yaml`` from the
charm directory; ``charmcraft pack`` writes them from ``charmcraft.yaml``.
charmbox runs the charm from its source directory, so the build reads
whichever files the charm has (splitting ``charmcraft.yaml`` as charmcraft
does) and ops gets them from the snapshot, without parsing YAML per event.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import yaml

_raw: tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any] | None] | None = None


def _read(path: str) -> Any:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f.read())


def load(meta_dir: str) -> None:
    """Read the metadata files copied into ``meta_dir`` by the build."""
    global _raw

    def read(name: str) -> Any:
        path = os.path.join(meta_dir, name)
        return _read(path) if os.path.exists(path) else None

    meta = read("metadata.yaml")
    actions = read("actions.yaml")
    config = read("config.yaml")
    if meta is None:
        # charmcraft.yaml holds all three; ops ignores keys it does not know.
        charmcraft = read("charmcraft.yaml") or {}
        meta = {k: v for k, v in charmcraft.items() if k not in ("actions", "config")}
        actions = charmcraft.get("actions") if actions is None else actions
        config = charmcraft.get("config") if config is None else config
    _raw = (meta, actions, config)


def install() -> None:
    """Serve ``CharmMeta.from_charm_root`` for the charm directory from the snapshot."""
    import ops.charm

    original = ops.charm.CharmMeta.from_charm_root

    def from_charm_root(charm_root):
        if _raw is None or os.fspath(charm_root) != os.environ.get("JUJU_CHARM_DIR"):
            return original(charm_root)
        meta, actions, config = copy.deepcopy(_raw)
        return ops.charm.CharmMeta(meta, actions, config)

    ops.charm.CharmMeta.from_charm_root = staticmethod(from_charm_root)
