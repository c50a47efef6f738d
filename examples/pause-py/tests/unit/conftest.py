"""Every test runs under ops.testing and under charmbox.testing."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parents[2] / "src"))

from charmbox.testing.both import testing, under_charmbox  # noqa: E402,F401
