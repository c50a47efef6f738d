"""charmbox_ops.machine: ``subprocess`` through the host. With a runner
that runs the command for real on this machine, every ``subprocess`` entry
point must give what the real ``subprocess`` gives."""

import importlib
import io
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "guest-sdk", "python"))
machine = importlib.import_module("charmbox_ops.machine")
REAL_POPEN = subprocess.Popen


def real_runner(argv, stdin):
    p = REAL_POPEN(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate(stdin)
    return p.returncode, out, err


SCRIPT = ["sh", "-c", 'cat; echo out; echo err >&2; exit "$0"']


def both(monkeypatch, call):
    """``call()`` with the real subprocess, then through the shim."""
    def outcome():
        try:
            return ("ok", call())
        except subprocess.CalledProcessError as e:
            return ("raised", type(e), e.returncode, e.cmd, e.output, e.stderr)
    real = outcome()
    monkeypatch.setattr(machine, "runner", real_runner)
    monkeypatch.setattr(subprocess, "Popen", machine.Popen)
    ours = outcome()
    monkeypatch.undo()
    return real, ours


@pytest.mark.parametrize("code", ["0", "3"])
@pytest.mark.parametrize(
    "name,call",
    [
        ("run", lambda a: subprocess.run(a, capture_output=True, input=b"in\n")),
        ("run-text", lambda a: subprocess.run(a, capture_output=True, text=True, input="in\n")),
        ("run-merged", lambda a: subprocess.run(a, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, input=b"")),
        ("check_output", lambda a: subprocess.check_output(a, input=b"x", stderr=subprocess.DEVNULL)),
        ("check_call", lambda a: subprocess.check_call(a, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)),
        ("call", lambda a: subprocess.call(a, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)),
        ("getstatusoutput", lambda a: subprocess.getstatusoutput(f"echo hi; exit {a[-1]}")),
    ],
)
def test_every_entry_point_gives_what_real_subprocess_gives(monkeypatch, name, call, code):
    real, ours = both(monkeypatch, lambda: call(SCRIPT + [code]))
    if name == "run" or name.startswith("run-"):
        real = ("ok", (real[1].args, real[1].returncode, real[1].stdout, real[1].stderr))
        ours = ("ok", (ours[1].args, ours[1].returncode, ours[1].stdout, ours[1].stderr))
    assert ours == real


def test_popen_with_pipes_reads_like_the_real_one(monkeypatch):
    monkeypatch.setattr(machine, "runner", real_runner)
    p = machine.Popen(SCRIPT + ["0"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    out, err = p.communicate("hello\n")
    assert (out, err, p.returncode, p.wait(), p.poll()) == ("hello\nout\n", None, 0, 0, 0)
    p = machine.Popen(["sh", "-c", "echo a; exit 2"], stdout=subprocess.PIPE)
    assert p.stdout.read() == b"a\n" and p.wait() == 2


def test_refusals_raise_the_oserrors_subprocess_raises(monkeypatch):
    def refusing(argv, stdin):
        if argv[0] == "nope":
            raise FileNotFoundError(2, "No such file or directory", argv[0])
        raise PermissionError(13, "charmbox: not granted", argv[0])
    monkeypatch.setattr(machine, "runner", refusing)
    monkeypatch.setattr(subprocess, "Popen", machine.Popen)
    with pytest.raises(FileNotFoundError) as e:
        subprocess.check_call(["nope"])
    assert e.value.filename == "nope"
    with pytest.raises(PermissionError, match="not granted"):
        subprocess.run(["apt-get", "install", "-y", "x"])


def test_shell_and_executable_name_the_program_the_host_sees(monkeypatch):
    seen = []
    monkeypatch.setattr(machine, "runner", lambda argv, stdin: seen.append(argv) or (0, b"", b""))
    machine.Popen("ls -l", shell=True).wait()
    machine.Popen(["x", "a"], executable="/usr/bin/apt-get").wait()
    machine.Popen(b"/usr/bin/systemctl").wait()
    assert seen == [["/bin/sh", "-c", "ls -l"], ["/usr/bin/apt-get", "a"], ["/usr/bin/systemctl"]]


def test_output_not_piped_goes_to_the_given_file(monkeypatch):
    monkeypatch.setattr(machine, "runner", lambda argv, stdin: (0, b"o\n", b"e\n"))
    out, err = io.StringIO(), io.BytesIO()
    machine.Popen(["x"], stdout=out, stderr=err).wait()
    assert (out.getvalue(), err.getvalue()) == ("o\n", b"e\n")
