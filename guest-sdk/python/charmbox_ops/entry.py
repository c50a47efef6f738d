"""The charm's entry point, run as ``__main__`` for each event.

Juju's dispatch runs ``./src/charm.py`` (the charm's ``charm-entrypoint``)
as a script: its top level imports, defines the charm class and calls
``ops.main``. The build compiles that file once; each event executes the
code in a fresh ``__main__`` module, so the script behaves as under Juju
while its imports come from the snapshot.
"""

from __future__ import annotations

import sys
import types


class Entry:
    """A compiled entry point."""

    def __init__(self, source: str, filename: str, relpath: str):
        #: where the file was at build time (the code's ``co_filename``)
        self.filename = filename
        #: the file relative to the charm directory (``src/charm.py``)
        self.relpath = relpath
        self.code = compile(source, filename, "exec", dont_inherit=True)

    def run(self, charm_dir: str) -> None:
        """Execute the entry point as Juju's dispatch would."""
        main = types.ModuleType("__main__")
        main.__file__ = f"{charm_dir}/{self.relpath}"
        previous = sys.modules.get("__main__")
        sys.modules["__main__"] = main
        sys.argv = [f"./{self.relpath}"]
        try:
            exec(self.code, main.__dict__)
        finally:
            if previous is not None:
                sys.modules["__main__"] = previous
