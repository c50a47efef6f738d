"""A failed event's traceback, as Juju would show it.

The build imports the charm from directories that componentize-py names
``/0``, ``/1``, ...; this maps them back to where the files are in a
deployed charm (``<charm dir>/src``, ``<charm dir>/lib``, ``<charm dir>/venv``)
and drops the adapter's own frames above the entry point.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import Callable

_FILE = re.compile(r'^(\s*File ")([^"]*)(")', re.MULTILINE)


def path_mapper(prefixes: list[tuple[str, str]], charm_dir: str) -> Callable[[str], str]:
    """Rewrite ``File "<build path>"`` lines; ``prefixes`` pairs a build-time
    directory with the charm-relative directory it is deployed as."""

    def fix_path(path: str) -> str:
        for build, deployed in prefixes:
            if path.startswith(build + "/"):
                return f"{charm_dir}/{deployed}/{path[len(build) + 1 :]}"
        return path

    def fix(text: str) -> str:
        return _FILE.sub(lambda m: m.group(1) + fix_path(m.group(2)) + m.group(3), text)

    return fix


def from_entry(exc: BaseException, entry_filename: str):
    """The exception's traceback starting at the entry point's frame."""
    tb = exc.__traceback__
    start = tb
    while start is not None and start.tb_frame.f_code.co_filename != entry_filename:
        start = start.tb_next
    return start if start is not None else tb


def format_failure(exc: BaseException, entry_filename: str, fix: Callable[[str], str]) -> str:
    tb = from_entry(exc, entry_filename)
    text = "".join(traceback.format_exception(type(exc), exc, tb))
    return fix(text).rstrip("\n")


def report(exc: BaseException, entry_filename: str, fix: Callable[[str], str]) -> None:
    """What Python does with an uncaught exception: call ``sys.excepthook``
    (ops' logs the traceback to juju-log), with the deployed paths."""
    if sys.excepthook is sys.__excepthook__:
        return  # ops never got to install its hook; stderr goes nowhere
    tb = from_entry(exc, entry_filename)
    original = logging.Formatter.formatException
    logging.Formatter.formatException = lambda self, ei: fix(original(self, ei))
    try:
        sys.excepthook(type(exc), exc, tb)
    except BaseException:  # noqa: BLE001 - reporting must not hide the failure
        pass
    finally:
        logging.Formatter.formatException = original
