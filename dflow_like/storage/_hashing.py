"""Checksums for verifying transfers: CRC32C of the whole content, in one streaming pass.

The integrity checksum is CRC32C (the Castagnoli CRC of RFC 3720: polynomial
0x1EDC6F41, bit-reflected, initial value and final XOR 0xFFFFFFFF; the checksum S3
and GCS use for transfer integrity) of the object's whole content, written as the
32-bit value in 8 lowercase hex digits, most significant first (big-endian): e.g.
``e3069283`` for ``b"123456789"``, ``00000000`` for empty content. ``google-crc32c``
computes it with the CPU's CRC instructions at several GB/s, so one sequential pass
costs a transfer little and needs neither blocks nor threads.

``google_crc32c`` takes only ``bytes`` (its C argument parsing refuses memoryviews
and bytearrays), so files are read with ``read(CHUNK)``: the kernel copies each chunk
straight into a fresh ``bytes``, exactly as ``readinto`` would into a reused buffer,
and no further copy is made.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Protocol

import google_crc32c

__all__ = ["CHUNK", "Crc32c", "Hasher", "bytes_checksum", "content_checksum", "file_digest"]

CHUNK = 1 << 20  # 1 MiB: big enough for throughput (google-crc32c drops the GIL from here), small for memory


class Hasher(Protocol):
    """What a streaming digest offers (``hashlib`` objects and ``Crc32c``)."""

    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


class Crc32c:
    """Streaming CRC32C: ``update`` with chunks of any size, ``hexdigest`` at any point."""

    __slots__ = ("_crc",)

    def __init__(self) -> None:
        self._crc = 0

    def update(self, data: bytes, /) -> None:
        self._crc = int(google_crc32c.extend(self._crc, data))

    def hexdigest(self) -> str:
        return f"{self._crc:08x}"


def content_checksum(path: str | Path) -> str:
    """CRC32C of a file's content (hex), streamed in chunks."""
    crc = 0
    with open(path, "rb", buffering=0) as handle:
        while chunk := handle.read(CHUNK):
            crc = google_crc32c.extend(crc, chunk)
    return f"{crc:08x}"


def bytes_checksum(data: bytes) -> str:
    """CRC32C of in-memory bytes (hex)."""
    return f"{google_crc32c.value(data):08x}"


def file_digest(path: str | Path, algorithm: str) -> str:
    """Hex digest of a file's content with a ``hashlib`` algorithm (MD5 for ``get_md5``; legacy SHA-256)."""
    digest = hashlib.new(algorithm)
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        while n := handle.readinto(buffer):
            digest.update(view[:n])
    return digest.hexdigest()
