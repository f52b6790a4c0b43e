"""Streaming file digests (one pass, bounded memory)."""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["CHUNK", "file_digest"]

CHUNK = 1 << 20  # 1 MiB: big enough for throughput, small enough to bound memory


def file_digest(path: str | Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file's content, read in chunks."""
    digest = hashlib.new(algorithm)
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        while n := handle.readinto(buffer):
            digest.update(view[:n])
    return digest.hexdigest()
