"""Build the configured ``StorageClient`` from ``s3_config``.

``s3_config["storage_client"]``:
- ``None``, ``""`` or ``"minio"``: ``MinioStorageClient`` (the default);
- ``"boto3"`` or ``"aws"``: ``Boto3StorageClient`` (AWS credential chain when the keys
  are empty);
- any object with the protocol's methods (a dflow-style plugin instance): used as is;
- a class: instantiated with no arguments, like dflow does with its plugin classes.
"""

from __future__ import annotations

from typing import Any

from .._config import s3_config
from ._protocol import StorageClient

__all__ = ["get_storage_client"]

_MINIO_NAMES = {"", "minio"}
_BOTO3_NAMES = {"boto3", "aws"}


def get_storage_client(bucket: str | None = None) -> StorageClient:
    """A new client for ``bucket`` (default ``s3_config["bucket_name"]``); no network yet."""
    choice: Any = s3_config["storage_client"]
    if isinstance(choice, type):
        choice = choice()
    if choice is not None and not isinstance(choice, str):
        if not isinstance(choice, StorageClient):
            raise TypeError(f"s3_config['storage_client'] is not a StorageClient: {choice!r}")
        return choice
    name = (choice or "").lower()
    settings = _settings(bucket)
    if name in _MINIO_NAMES:
        from .s3 import MinioStorageClient

        return MinioStorageClient(**settings)
    if name in _BOTO3_NAMES:
        from .aws import Boto3StorageClient

        return Boto3StorageClient(**settings)
    raise ValueError(f"s3_config['storage_client'] = {choice!r}: expected 'minio', 'boto3' or a client object")


def _settings(bucket: str | None) -> dict[str, Any]:
    return {
        "endpoint": str(s3_config["endpoint"]),
        "access_key": str(s3_config["access_key"] or ""),
        "secret_key": str(s3_config["secret_key"] or ""),
        "secure": bool(s3_config["secure"]),
        "bucket": bucket or str(s3_config["bucket_name"]),
        "region": str(s3_config["region"] or ""),
        "prefix": str(s3_config["prefix"] or ""),
    }
