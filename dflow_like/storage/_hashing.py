"""Streaming digests (one pass, bounded memory), optionally on a helper thread."""

from __future__ import annotations

import hashlib
import queue
import threading
from pathlib import Path
from types import TracebackType

__all__ = ["CHUNK", "BackgroundDigest", "file_digest"]

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


class BackgroundDigest:
    """A digest computed on a helper thread, so hashing overlaps the caller's I/O.

    ``update`` only queues the chunk (``bytes``: immutable, so sharing it is safe);
    hashlib releases the GIL while it hashes, so on a second core the digest costs
    the transfer almost nothing. At most ``depth`` chunks wait, which bounds memory.
    Use as a context manager (the thread always ends), or call ``hexdigest``.
    """

    def __init__(self, algorithm: str = "sha256", depth: int = 4) -> None:
        self._digest = hashlib.new(algorithm)
        self._queue: queue.Queue[bytes | None] = queue.Queue(depth)
        self._thread = threading.Thread(target=self._run, name="dflow-like-digest", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            self._digest.update(chunk)

    def update(self, chunk: bytes) -> None:
        self._queue.put(chunk)

    def close(self) -> None:
        """Hash what is queued and stop the thread (idempotent)."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def hexdigest(self) -> str:
        self.close()
        return self._digest.hexdigest()

    def __enter__(self) -> BackgroundDigest:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
