"""charmbox_ops.nolzma: the pure-Python ``_lzma`` the sandbox gets, checked
against the host's real liblzma (CPython's ``lzma``)."""

import importlib
import lzma
import os
import random
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "guest-sdk", "python"))
nolzma = importlib.import_module("charmbox_ops.nolzma")


@pytest.fixture
def sandboxed_lzma(monkeypatch):
    """The stdlib ``lzma`` module running over nolzma's ``_lzma``."""
    monkeypatch.setitem(sys.modules, "_lzma", nolzma.module())
    monkeypatch.delitem(sys.modules, "lzma")
    module = importlib.import_module("lzma")
    yield module
    monkeypatch.delitem(sys.modules, "lzma")


SIZES = [0, 1, 5, 65535, 65536, 65537, 200_000]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("check", ["default", "none", "crc32", "crc64", "sha256"])
def test_what_the_sandbox_writes_liblzma_reads(sandboxed_lzma, size, check):
    data = random.Random(size).randbytes(size)
    kwargs = {} if check == "default" else {"check": getattr(sandboxed_lzma, f"CHECK_{check.upper()}")}
    xz = sandboxed_lzma.compress(data, **kwargs)
    assert lzma.decompress(xz) == data  # the host's real liblzma
    assert sandboxed_lzma.decompress(xz) == data
    assert sandboxed_lzma.decompress(xz + xz) == data + data  # concatenated streams


def test_cosl_style_base64_round_trip(sandboxed_lzma):
    import base64
    import json

    dashboard = json.dumps({"title": "demo", "panels": [{"id": i} for i in range(100)]})
    text = base64.b64encode(sandboxed_lzma.compress(dashboard.encode())).decode()
    assert lzma.decompress(base64.b64decode(text)).decode() == dashboard


def test_liblzma_compressed_data_is_refused_saying_why(sandboxed_lzma):
    real = lzma.compress(b"hello" * 100)
    with pytest.raises(sandboxed_lzma.LZMAError, match="only liblzma decodes"):
        sandboxed_lzma.decompress(real)


def test_truncated_and_corrupt_streams_are_errors(sandboxed_lzma):
    xz = sandboxed_lzma.compress(b"payload" * 10)
    with pytest.raises(sandboxed_lzma.LZMAError, match="ended before"):
        sandboxed_lzma.decompress(xz[:-3])
    corrupt = bytearray(xz)
    corrupt[30] ^= 0xFF
    with pytest.raises(sandboxed_lzma.LZMAError):
        sandboxed_lzma.decompress(bytes(corrupt))
    with pytest.raises(sandboxed_lzma.LZMAError, match="Input format not supported"):
        sandboxed_lzma.decompress(b"not xz at all")


def test_other_formats_say_the_sandbox_cannot(sandboxed_lzma):
    with pytest.raises(sandboxed_lzma.LZMAError, match="only FORMAT_XZ"):
        sandboxed_lzma.compress(b"x", format=sandboxed_lzma.FORMAT_ALONE)
