"""ops.testing's API, with the charm run in charmbox.

Every name of ``ops.testing`` is here; :class:`Context` runs the event in
charmbox instead of in this interpreter. The State dataclasses, events
(``ctx.on.*``) and errors are ops.testing's own, so a test changes one line:
``from ops import testing`` becomes ``from charmbox import testing``.
Where Juju and Scenario disagree charmbox follows Juju:
docs/python-testing.md lists the differences.
"""

from __future__ import annotations

import ops.testing as _ops_testing
from ops.testing import *  # noqa: F403 (ops.testing's names, unchanged)

from ._context import Context
from ._errors import JujuRefusedError, UnrepresentableStateError
from ._simulation import Model, Simulation

# ``Model`` is a simulated model, or ops.testing's Model when called with
# ops.testing's arguments (see _simulation.Model); ``Simulation`` is only the former.
__all__ = [
    *_ops_testing.__all__,
    "Context",
    "JujuRefusedError",
    "Model",
    "Simulation",
    "UnrepresentableStateError",
]
