"""Artifact storage: a local directory by default, S3-compatible stores when configured.

The S3 clients live in ``s3`` (minio) and ``aws`` (boto3) and import their library
only when built, so this package imports without the ``s3`` extra.
"""

from ._protocol import StorageClient
from .errors import (
    ArchiveLimitError,
    ChecksumMismatch,
    CorruptArchiveError,
    MissingDependency,
    ObjectNotFound,
    StorageError,
    UnsafeArchiveError,
)
from .factory import get_storage_client
from .local import LocalStorageClient
from .trees import client_for_tree, get_tree, get_trees, new_key, put_tree

__all__ = [
    "ArchiveLimitError",
    "ChecksumMismatch",
    "CorruptArchiveError",
    "LocalStorageClient",
    "MissingDependency",
    "ObjectNotFound",
    "StorageClient",
    "StorageError",
    "UnsafeArchiveError",
    "client_for_tree",
    "get_storage_client",
    "get_tree",
    "get_trees",
    "new_key",
    "put_tree",
]


def __getattr__(name: str) -> object:
    """``MinioStorageClient`` / ``Boto3StorageClient`` on first use (optional extra)."""
    if name == "MinioStorageClient":
        from .s3 import MinioStorageClient

        return MinioStorageClient
    if name == "Boto3StorageClient":
        from .aws import Boto3StorageClient

        return Boto3StorageClient
    raise AttributeError(name)
