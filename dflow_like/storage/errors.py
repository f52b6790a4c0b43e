"""Storage errors: one type the engines catch, with a flag saying whether a retry can help."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = [
    "ArchiveLimitError",
    "ChecksumMismatch",
    "CorruptArchiveError",
    "ErrorTranslation",
    "MissingDependency",
    "ObjectNotFound",
    "StorageError",
    "UnsafeArchiveError",
    "check_bucket_name",
]


# S3 error codes, shared by the minio and boto3 clients.
S3_AUTH_CODES = frozenset(
    {
        "AccessDenied",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "InvalidToken",
        "ExpiredToken",
        "AuthorizationHeaderMalformed",
        "InvalidClientTokenId",
    }
)
S3_TRANSIENT_CODES = frozenset({"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout"})
S3_MISSING_CODES = frozenset({"NoSuchKey", "NoSuchBucket", "NoSuchUpload", "404", "NotFound"})


class StorageError(Exception):
    """A storage operation failed.

    ``transient`` is True when the same call may succeed later (server down, timeout,
    5xx), so an engine can treat it like an OP's ``TransientError``. Messages name the
    endpoint and bucket but never a secret.
    """

    def __init__(self, message: str, *, endpoint: str = "", bucket: str = "", transient: bool = False) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.bucket = bucket
        self.transient = transient


class ObjectNotFound(StorageError, FileNotFoundError):
    """The key (or bucket) does not exist; also a ``FileNotFoundError`` for callers."""


class ChecksumMismatch(StorageError):
    """The bytes that arrived differ from the bytes that were stored (retrying may help)."""


class UnsafeArchiveError(StorageError):
    """A tar member would land outside the extraction directory."""


class ArchiveLimitError(UnsafeArchiveError):
    """An archive has more members or bytes than the configured limits (a tar bomb?)."""


class CorruptArchiveError(StorageError):
    """An archive is truncated or is not a (compressed) tar at all."""


class MissingDependency(StorageError, ImportError):
    """An optional S3 library is not installed."""


def missing_extra(module: str) -> MissingDependency:
    """The error raised when ``minio``/``boto3`` is absent: says how to install it."""
    return MissingDependency(f'the {module!r} package is needed for S3 storage: pip install "dflow-like[s3]"')


_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def check_bucket_name(bucket: str) -> None:
    """Refuse a bucket name S3 would refuse, naming the rule (before any request is made)."""
    if not isinstance(bucket, str) or not _BUCKET.match(bucket) or ".." in bucket:
        raise ValueError(
            f"S3 bucket name {bucket!r}: expected 3-63 characters of lowercase letters, digits, '.' "
            "and '-', starting and ending with a letter or digit (set s3_config['bucket_name'])"
        )


class ErrorTranslation:
    """Turns a client library's failures into ``StorageError``s naming endpoint and bucket.

    A client sets ``endpoint`` and ``bucket`` and implements ``_translate`` (its
    library's exceptions → a ``StorageError``, or ``None`` to let one pass).
    """

    endpoint: str
    bucket: str

    def _error(self, message: str, transient: bool = False, kind: type[StorageError] = StorageError) -> StorageError:
        return kind(
            f"{message} (endpoint {self.endpoint}, bucket {self.bucket!r})",
            endpoint=self.endpoint,
            bucket=self.bucket,
            transient=transient,
        )

    @contextmanager
    def _errors(self, key: str) -> Iterator[None]:
        """Translate failures inside the block (secret-free messages)."""
        try:
            yield
        except StorageError:
            raise
        except Exception as exc:
            translated = self._translate(exc, key)
            if translated is None:
                raise
            raise translated from None

    def _translate(self, exc: Exception, key: str) -> StorageError | None:
        raise NotImplementedError
