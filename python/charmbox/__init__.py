"""charmbox for Python: run Juju charms compiled to WebAssembly components.

``charmbox.testing`` is ops.testing (Scenario) with the charm run as a
component in charmbox's host: Juju-exact hook tools, Pebble's layer
semantics, the sandbox, traces. Change ``from ops import testing`` to
``from charmbox import testing``.
"""

from __future__ import annotations

from ._native import BuildError, CharmboxError, ModelError, RunError, StateError, version

__all__ = ["BuildError", "CharmboxError", "ModelError", "RunError", "StateError", "version"]
__version__ = version()
