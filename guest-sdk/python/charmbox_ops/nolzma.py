"""``lzma`` importable without liblzma.

componentize-py's CPython is built without ``_lzma``, so ``import lzma``
(grafana_k8s' dashboard library imports it at the top) failed the build.
When the real module is missing, a ``_lzma`` with CPython's constants is
installed: ``import lzma`` works, and compressing or decompressing raises
``lzma.LZMAError`` saying the sandbox's Python has no xz support, at the
call that needs it.
"""

from __future__ import annotations

import sys
import types

MESSAGE = "charmbox: the sandbox's Python has no xz/lzma support (no liblzma in componentize-py's CPython)"

# CPython 3.14's _lzma constants (liblzma 5.x).
CONSTANTS = {
    "CHECK_NONE": 0, "CHECK_CRC32": 1, "CHECK_CRC64": 4, "CHECK_SHA256": 10,
    "CHECK_ID_MAX": 15, "CHECK_UNKNOWN": 16,
    "FILTER_LZMA1": 0x4000000000000001, "FILTER_LZMA2": 0x21, "FILTER_DELTA": 3,
    "FILTER_X86": 4, "FILTER_POWERPC": 5, "FILTER_IA64": 6, "FILTER_ARM": 7,
    "FILTER_ARMTHUMB": 8, "FILTER_SPARC": 9,
    "FORMAT_AUTO": 0, "FORMAT_XZ": 1, "FORMAT_ALONE": 2, "FORMAT_RAW": 3,
    "MF_HC3": 3, "MF_HC4": 4, "MF_BT2": 18, "MF_BT3": 19, "MF_BT4": 20,
    "MODE_FAST": 1, "MODE_NORMAL": 2,
    "PRESET_DEFAULT": 6, "PRESET_EXTREME": 0x80000000,
}


class LZMAError(Exception):
    """Call to liblzma failed (here: there is no liblzma)."""


class _Unavailable:
    def __init__(self, *args, **kwargs):
        raise LZMAError(MESSAGE)


class LZMACompressor(_Unavailable):
    pass


class LZMADecompressor(_Unavailable):
    pass


def is_check_supported(check_id: int) -> bool:
    return False


def _encode_filter_properties(filter):
    raise LZMAError(MESSAGE)


def _decode_filter_properties(filter_id, encoded_props):
    raise LZMAError(MESSAGE)


def install() -> None:
    try:
        import _lzma  # noqa: F401
        return
    except ImportError:
        pass
    module = types.ModuleType("_lzma", __doc__)
    module.__dict__.update(CONSTANTS)
    for value in (LZMAError, LZMACompressor, LZMADecompressor, is_check_supported,
                  _encode_filter_properties, _decode_filter_properties):
        setattr(module, value.__name__, value)
    LZMAError.__module__ = LZMACompressor.__module__ = LZMADecompressor.__module__ = "_lzma"
    sys.modules["_lzma"] = module
