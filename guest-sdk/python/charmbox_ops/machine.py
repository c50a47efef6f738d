"""Machine commands: ``subprocess`` through charmbox's ``machine`` import.

WASI has no processes. A machine charm's ``subprocess.run``,
``check_call``, ``check_output``, ``call`` and ``Popen`` instead ask the
host to run the command on the unit's machine, to completion: the program
must be declared under ``charmbox: machine-commands:`` in charmcraft.yaml
and granted to the run. A program the machine lacks raises
``FileNotFoundError`` as ``subprocess`` does; one not declared or not
granted raises ``PermissionError`` saying which and how to grant it.

The command runs when its input is known: at once, unless ``stdin`` is
``PIPE``, in which case at ``communicate()`` or ``wait()``.
"""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys

PIPE, STDOUT, DEVNULL = subprocess.PIPE, subprocess.STDOUT, subprocess.DEVNULL


def _host_run(argv, stdin):
    """(exit code, stdout, stderr) from the host; raises OSError."""
    from componentize_py_types import Err
    from wit_world.imports import machine as wit

    try:
        out = wit.run(argv, stdin)
    except Err as e:
        message = getattr(e.value, "value", str(e.value))
        if isinstance(e.value, wit.CommandError_NotFound):
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", argv[0]) from None
        if isinstance(e.value, (wit.CommandError_NotDeclared, wit.CommandError_NotGranted)):
            raise PermissionError(errno.EACCES, f"charmbox: {message}", argv[0]) from None
        raise OSError(errno.E2BIG, f"charmbox: {message}", argv[0]) from None
    return out.exit_code, bytes(out.stdout), bytes(out.stderr)


#: How commands run; tests put a fake in its place.
runner = _host_run


def _argv(args, executable, shell):
    if isinstance(args, (str, bytes, os.PathLike)):
        args = [args]
    argv = [os.fsdecode(a) for a in args]
    if shell:
        argv = [os.fsdecode(executable) if executable else "/bin/sh", "-c", *argv]
    elif executable:
        argv[0] = os.fsdecode(executable)
    return argv


class Popen:
    """``subprocess.Popen`` for the sandbox: the command runs on the unit's
    machine through the host, to completion (see the module's doc)."""

    _next_pid = 1000

    def __init__(self, args, bufsize=-1, executable=None, stdin=None, stdout=None,
                 stderr=None, preexec_fn=None, close_fds=True, shell=False, cwd=None,
                 env=None, universal_newlines=None, startupinfo=None, creationflags=0,
                 restore_signals=True, start_new_session=False, pass_fds=(), *,
                 user=None, group=None, extra_groups=None, encoding=None, errors=None,
                 text=None, umask=-1, pipesize=-1, process_group=None):
        self.args = args
        self._argv = _argv(args, executable, shell)
        self._text = bool(text or universal_newlines or encoding or errors)
        self._encoding = encoding or "utf-8"
        self._errors = errors or "strict"
        self._out, self._err, self._in = stdout, stderr, stdin
        self.returncode = None
        Popen._next_pid += 1
        self.pid = Popen._next_pid
        self.stdin = self._stream(b"") if stdin == PIPE else None
        self.stdout = self.stderr = None
        self._result = None
        if stdin != PIPE:
            self._run(self._read_input(stdin))

    def _stream(self, data):
        if self._text:
            return io.StringIO(data.decode(self._encoding, self._errors))
        return io.BytesIO(data)

    @staticmethod
    def _read_input(stdin):
        if stdin is None or stdin == DEVNULL:
            return b""
        if isinstance(stdin, int):
            with os.fdopen(os.dup(stdin), "rb") as f:
                return f.read()
        data = stdin.read()
        return data.encode() if isinstance(data, str) else bytes(data)

    def _run(self, data):
        if self._result is not None:
            return
        code, out, err = runner(self._argv, data)
        if self._err == STDOUT:
            out, err = out + err, b""
        self._result = (out, err)
        self.returncode = code
        for target, data, std in ((self._out, out, sys.stdout), (self._err, err, sys.stderr)):
            self._deliver(target, data, std)
        if self._out == PIPE:
            self.stdout = self._stream(out)
        if self._err == PIPE:
            self.stderr = self._stream(err)

    def _deliver(self, target, data, std):
        if target in (PIPE, DEVNULL, STDOUT):
            return
        if target is None:
            std.write(data.decode("utf-8", "replace"))
        elif isinstance(target, int):
            os.write(target, data)
        else:
            try:
                target.write(data)
            except TypeError:
                target.write(data.decode(self._encoding, self._errors))

    def _pending_input(self, given):
        if given is not None:
            return given.encode(self._encoding, self._errors) if isinstance(given, str) else bytes(given)
        if self.stdin is None:
            return b""
        data = self.stdin.getvalue()
        return data.encode(self._encoding, self._errors) if isinstance(data, str) else data

    def communicate(self, input=None, timeout=None):
        self._run(self._pending_input(input))
        out, err = self._result
        conv = (lambda b: b.decode(self._encoding, self._errors)) if self._text else (lambda b: b)
        return (conv(out) if self._out == PIPE else None,
                conv(err) if self._err == PIPE else None)

    def wait(self, timeout=None):
        self._run(self._pending_input(None))
        return self.returncode

    def poll(self):
        return self.wait()

    def send_signal(self, sig):
        pass

    def terminate(self):
        pass

    def kill(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._result is None and exc[0] is None:
            self.wait()
        return False

    def __repr__(self):
        return f"<Popen: returncode: {self.returncode} args: {self.args!r}>"


def install() -> None:
    """Route ``subprocess`` (and the names bound from it) to the host."""
    subprocess.Popen = Popen
