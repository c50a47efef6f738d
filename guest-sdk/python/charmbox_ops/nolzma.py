"""``lzma`` without liblzma.

componentize-py's CPython is built without ``_lzma``, so ``import lzma``
failed, and charms compressing data with it (cosl's ``LZMABase64``, which
every Grafana dashboard provider uses) could not run. When the real module
is missing, a pure-Python ``_lzma`` is installed:

- compressing (``lzma.compress``, ``LZMACompressor``, the default
  ``FORMAT_XZ`` with any check) writes a valid ``.xz`` stream whose LZMA2
  data is stored in *uncompressed chunks* — any xz decoder (liblzma,
  Python's ``lzma`` under Juju, Grafana's side of the relation) reads it
  back exactly; it is not smaller than the input (a documented difference
  from Juju, where the bytes would be liblzma's);
- decompressing reads ``.xz`` streams made of uncompressed LZMA2 chunks
  (so what the sandbox wrote round-trips); compressed LZMA data raises
  ``LZMAError`` saying the sandbox has no LZMA decoder;
- other formats and filters raise ``LZMAError`` saying so.
"""

from __future__ import annotations

import binascii
import hashlib
import struct
import sys
import types

NO_LIBLZMA = "charmbox: the sandbox's Python has no liblzma"

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
CHECK_SIZES = {0: 0, 1: 4, 4: 8, 10: 32}
MAGIC = b"\xfd7zXZ\x00"
FOOTER_MAGIC = b"YZ"
ENDED = "Compressed data ended before the end-of-stream marker was reached"
CHUNK = 1 << 16  # an uncompressed LZMA2 chunk holds at most 64 KiB


class LZMAError(Exception):
    """Call to liblzma failed."""


def _crc64_table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0xC96C5795D7870F42 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC64 = _crc64_table()


def crc64(data: bytes) -> int:
    """xz's CRC-64 (ECMA-182, reflected)."""
    c = 0xFFFFFFFFFFFFFFFF
    for b in data:
        c = _CRC64[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFFFFFFFFFF


def _check(check: int, data: bytes) -> bytes:
    if check == 0:
        return b""
    if check == 1:
        return struct.pack("<I", binascii.crc32(data))
    if check == 4:
        return struct.pack("<Q", crc64(data))
    return hashlib.sha256(data).digest()


def _varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _pad4(n: int) -> bytes:
    return b"\x00" * (-n % 4)


def _xz(data: bytes, check: int) -> bytes:
    """One .xz stream holding `data` in one block of stored LZMA2 chunks."""
    flags = bytes([0, check])
    header = MAGIC + flags + struct.pack("<I", binascii.crc32(flags))
    # Block header: no sizes, one filter (LZMA2, 8 MiB dictionary: 0x16).
    body = bytes([0x00]) + _varint(0x21) + _varint(1) + bytes([0x16])
    size = 1 + len(body) + 4
    size += -size % 4
    block_header = bytes([size // 4 - 1]) + body
    block_header += b"\x00" * (size - 4 - len(block_header))
    block_header += struct.pack("<I", binascii.crc32(block_header))
    chunks = bytearray()
    for i in range(0, len(data), CHUNK):
        part = data[i : i + CHUNK]
        chunks += bytes([0x01 if i == 0 else 0x02]) + struct.pack(">H", len(part) - 1) + part
    chunks += b"\x00"
    unpadded = len(block_header) + len(chunks) + CHECK_SIZES[check]
    block = block_header + bytes(chunks) + _pad4(len(chunks)) + _check(check, data)
    index = b"\x00" + _varint(1) + _varint(unpadded) + _varint(len(data))
    index += _pad4(len(index))
    index += struct.pack("<I", binascii.crc32(index))
    backward = struct.pack("<I", len(index) // 4 - 1) + flags
    footer = struct.pack("<I", binascii.crc32(backward)) + backward + FOOTER_MAGIC
    return header + block + index + footer


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise LZMAError("Corrupt input data")
        b = data[pos]
        pos += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, pos


def _unxz(data: bytes) -> tuple[bytes, int]:
    """The content of the .xz stream at the start of `data`, and its length."""
    if data[:6] != MAGIC:
        raise LZMAError("Input format not supported by decoder")
    check = data[7] & 0x0F
    pos = 12
    out = bytearray()
    while True:
        if pos >= len(data):
            raise LZMAError(ENDED)
        if data[pos] == 0x00:  # the index
            break
        header_size = (data[pos] + 1) * 4
        header = data[pos : pos + header_size]
        if len(header) < header_size:
            raise LZMAError(ENDED)
        if header[1] & 0x03 != 0 or b"\x21" not in header[2:4]:
            raise LZMAError(f"{NO_LIBLZMA}: only LZMA2 blocks with one filter are read")
        pos += header_size
        block_start = len(out)
        compressed_start = pos
        while True:
            if pos >= len(data):
                raise LZMAError(ENDED)
            control = data[pos]
            if control == 0x00:
                pos += 1
                break
            if control not in (0x01, 0x02):
                raise LZMAError(
                    f"{NO_LIBLZMA}: this data is LZMA-compressed, which only liblzma decodes "
                    "(the sandbox reads the stored chunks it writes itself)"
                )
            size = struct.unpack(">H", data[pos + 1 : pos + 3])[0] + 1
            out += data[pos + 3 : pos + 3 + size]
            pos += 3 + size
        pos += -(pos - compressed_start) % 4  # block padding
        if check in CHECK_SIZES:
            size = CHECK_SIZES[check]
            if _check(check, bytes(out[block_start:])) != data[pos : pos + size]:
                raise LZMAError("Corrupt input data")
            pos += size
    # The index (records of two sizes, padded, CRC32), then a 12-byte footer.
    index_start = pos
    records, p = _read_varint(data, pos + 1)
    for _ in range(records * 2):
        _, p = _read_varint(data, p)
    p += -(p - index_start) % 4 + 4
    if p + 12 > len(data):
        raise LZMAError(ENDED)
    if data[p + 10 : p + 12] != FOOTER_MAGIC:
        raise LZMAError("Corrupt input data")
    return bytes(out), p + 12


class LZMACompressor:
    def __init__(self, format=1, check=-1, preset=None, filters=None):
        if format != 1:
            raise LZMAError(f"{NO_LIBLZMA}: only FORMAT_XZ is written")
        if filters is not None and [f.get("id") for f in filters] != [0x21]:
            raise LZMAError(f"{NO_LIBLZMA}: only the LZMA2 filter is written")
        self._check = 4 if check == -1 else check
        if self._check not in CHECK_SIZES:
            raise LZMAError("Unsupported integrity check")
        self._data = bytearray()
        self._done = False

    def compress(self, data) -> bytes:
        if self._done:
            raise ValueError("Compressor has been flushed")
        self._data += data
        return b""

    def flush(self) -> bytes:
        if self._done:
            raise ValueError("Repeated call to flush()")
        self._done = True
        return _xz(bytes(self._data), self._check)


class LZMADecompressor:
    def __init__(self, format=0, memlimit=None, filters=None):
        if format not in (0, 1):
            raise LZMAError(f"{NO_LIBLZMA}: only FORMAT_XZ is read")
        self.check = 16
        self.eof = False
        self.unused_data = b""
        self.needs_input = True
        self._buffer = bytearray()

    def decompress(self, data, max_length=-1) -> bytes:
        if self.eof:
            raise EOFError("Already at end of stream")
        self._buffer += data
        try:
            out, used = _unxz(bytes(self._buffer))
        except (IndexError, struct.error):
            return b""
        except LZMAError as e:
            if str(e) == ENDED:
                return b""
            raise
        self.check = self._buffer[7] & 0x0F
        self.eof = True
        self.needs_input = False
        self.unused_data = bytes(self._buffer[used:])
        return out


def is_check_supported(check_id: int) -> bool:
    return check_id in CHECK_SIZES


def _encode_filter_properties(filter):
    raise LZMAError(f"{NO_LIBLZMA}: raw filter properties are not supported")


def _decode_filter_properties(filter_id, encoded_props):
    raise LZMAError(f"{NO_LIBLZMA}: raw filter properties are not supported")


def module() -> types.ModuleType:
    """This file's ``_lzma``, as a module."""
    m = types.ModuleType("_lzma", __doc__)
    m.__dict__.update(CONSTANTS)
    for value in (LZMAError, LZMACompressor, LZMADecompressor, is_check_supported,
                  _encode_filter_properties, _decode_filter_properties):
        setattr(m, value.__name__, value)
    for cls in (LZMAError, LZMACompressor, LZMADecompressor):
        cls.__module__ = "_lzma"
    return m


def install() -> None:
    try:
        import _lzma  # noqa: F401
        return
    except ImportError:
        pass
    sys.modules["_lzma"] = module()
