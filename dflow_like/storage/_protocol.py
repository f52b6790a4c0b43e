"""The storage seam: one small interface, one implementation per backend.

Keys are ``/``-separated object names (no leading slash). The method names follow
dflow's ``StorageClient`` so a dflow plugin class drops in via
``s3_config["storage_client"]``; ``checksum`` is ours (dflow's is ``get_md5``).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["StorageClient"]


@runtime_checkable
class StorageClient(Protocol):
    """Upload, download, list, copy and checksum objects in one bucket/root."""

    def upload(self, key: str, path: str) -> None:
        """Store the local file ``path`` as object ``key`` (streamed; never half-visible)."""

    def download(self, key: str, path: str) -> None:
        """Write object ``key`` to the local file ``path`` (streamed), creating parents."""

    def list(self, prefix: str, recursive: bool = False) -> list[str]:
        """Keys under ``prefix`` (with ``recursive=False``, one level, like ``ls``)."""
        ...

    def copy(self, src: str, dst: str) -> None:
        """Server-side copy of every object under ``src`` to the same names under ``dst``."""

    def get_md5(self, key: str) -> str:
        """Hex MD5 of object ``key``'s content (dflow's name)."""
        ...

    def checksum(self, key: str) -> str:
        """CRC32C of object ``key``'s content, used to verify transfers.

        8 lowercase hex digits of the 32-bit value, big-endian (``e3069283`` for
        ``b"123456789"``; the definition is in ``_hashing``). A client that returns a
        plain hex SHA-256 (the older definition) is still accepted by ``trees``.
        """
        ...
