"""{{name}}'s unit tests: ops.testing's API, run in charmbox (pip install
charmbox's python/ package; `from ops import testing` runs them in Scenario)."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parents[2] / "src"))

from charm import {{type_name}}  # noqa: E402

from charmbox import testing  # noqa: E402


def test_start_sets_active():
    ctx = testing.Context({{type_name}})
    out = ctx.run(ctx.on.start(), testing.State())
    assert out.unit_status == testing.ActiveStatus("ready")
    assert [line.message for line in ctx.juju_log if line.message == "starting"] == ["starting"]
