"""The charm's modules come from src/ (`charm`, and each revision's entry
point), its charm library from lib/, as under Juju."""

import pathlib
import sys

ROOT = pathlib.Path(__file__).parents[2]
sys.path.insert(0, str(ROOT / "lib"))
sys.path.insert(0, str(ROOT / "src"))
