"""ops' hook commands, answered by the raw ``jujuc`` import.

ops 3 runs every hook tool through ``ops.hookcmds._utils.run``; each
``ops/hookcmds/_*.py`` imported ``run`` by name, so the name is rebound in
every submodule. Juju-backed storage calls ``ops.storage._run``, a
``subprocess.run`` look-alike. Both keep the exact behaviour of the
subprocess they replace: text decoded as UTF-8 with universal newlines, and
the same exceptions on a non-zero exit.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from wit_world.imports import jujuc


def _text(data: bytes) -> str:
    # subprocess.run(..., encoding='utf-8') translates newlines like this.
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def _call(argv: Sequence[str], input: str | None) -> tuple[int, str, str]:
    out = jujuc.run([str(a) for a in argv], (input or "").encode("utf-8"))
    return out.code, _text(out.stdout), _text(out.stderr)


def make_run(error_class: type) -> Any:
    """The replacement for ``ops.hookcmds._utils.run``."""

    def run(*args: str, input: str | None = None, redacted_cmd: Sequence[str] | None = None) -> str:
        code, stdout, stderr = _call(args, input)
        if code != 0:
            cmd = list(args) if redacted_cmd is None else list(redacted_cmd)
            raise error_class(returncode=code, cmd=cmd, stdout=stdout, stderr=stderr)
        return stdout

    return run


def storage_run(args: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    """The replacement for ``ops.storage._run`` (a ``subprocess.run``)."""
    code, stdout, stderr = _call(args, kw.get("input"))
    capture = kw.get("capture_output", False)
    out = stdout if capture or kw.get("stdout") == subprocess.PIPE else None
    err = stderr if capture or kw.get("stderr") == subprocess.PIPE else None
    done = subprocess.CompletedProcess(list(args), code, out, err)
    if kw.get("check"):
        done.check_returncode()
    return done


def install() -> None:
    """Point ops' hook commands at ``jujuc``."""
    import ops.hookcmds._utils as utils
    import ops.storage

    original = utils.run
    run = make_run(utils.Error)
    for name, module in list(sys.modules.items()):
        if name.startswith("ops.hookcmds") and getattr(module, "run", None) is original:
            module.run = run
    ops.storage._run = storage_run
    # ops looks for the state-get binary on PATH; here it is always there.
    ops.storage.juju_backend_available = lambda: True
