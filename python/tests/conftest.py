"""charmbox.testing's own tests run the test charm tests/charms/testing-py."""

import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "charms" / "testing-py" / "src"))
