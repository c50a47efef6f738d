"""The charm's module is `charm`, from src/."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parents[2] / "src"))
