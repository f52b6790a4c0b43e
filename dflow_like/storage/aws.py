"""``Boto3StorageClient``: S3 through boto3, for the AWS credential chain.

With empty ``access_key``/``secret_key`` boto3 finds credentials itself (environment,
``~/.aws`` profiles, SSO, instance and container roles). A custom ``endpoint`` is
addressed path-style, which S3-compatible servers need. Same atomicity and integrity
rules as ``MinioStorageClient``: multipart completion makes large objects appear at
once, and the CRC32C stored as ``x-amz-meta-crc32c`` (or an older object's plain
``x-amz-meta-sha256``) is checked on every download.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ._files import atomic_path
from ._hashing import CHUNK, Crc32c, Hasher, content_checksum
from .errors import (
    S3_AUTH_CODES,
    S3_MISSING_CODES,
    S3_TRANSIENT_CODES,
    ChecksumMismatch,
    ErrorTranslation,
    ObjectNotFound,
    StorageError,
    check_bucket_name,
    missing_extra,
)
from .s3 import CRC32C_META, DEFAULT_PART_SIZE, stored_hash

__all__ = ["Boto3StorageClient"]

_Keys = list[str]


def _import_boto3() -> tuple[Any, Any]:
    try:
        import boto3
        import botocore
    except ImportError:
        raise missing_extra("boto3") from None
    return boto3, botocore


class Boto3StorageClient(ErrorTranslation):
    """The ``StorageClient`` for one bucket, via boto3 (keys are full object names)."""

    verifies_transfers = True

    def __init__(
        self,
        endpoint: str = "",
        access_key: str = "",
        secret_key: str = "",
        secure: bool = True,
        bucket: str = "dflow-like",
        region: str = "",
        prefix: str = "",
        part_size: int = DEFAULT_PART_SIZE,
        create_bucket: bool = True,
        retries: int = 3,
    ) -> None:
        check_bucket_name(bucket)
        boto3, _ = _import_boto3()
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        self.endpoint = endpoint or "s3.amazonaws.com"
        self.bucket = bucket
        self.prefix = prefix
        self.region = region
        self.create_bucket = create_bucket
        self._bucket_ready = False
        scheme = "https" if secure else "http"
        config = Config(
            s3={"addressing_style": "path"} if endpoint else {},
            retries={"max_attempts": retries, "mode": "standard"},
            max_pool_connections=32,
        )
        self._s3 = boto3.session.Session().client(
            "s3",
            endpoint_url=f"{scheme}://{endpoint}" if endpoint else None,
            aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None,
            region_name=region or None,
            config=config,
        )
        self._transfer = TransferConfig(multipart_threshold=part_size, multipart_chunksize=part_size, max_concurrency=4)

    def __repr__(self) -> str:
        return f"Boto3StorageClient(endpoint={self.endpoint!r}, bucket={self.bucket!r})"

    def upload(self, key: str, path: str) -> None:
        digest = content_checksum(path)
        self.ensure_bucket()
        with self._errors(key):
            self._s3.upload_file(
                path,
                self.bucket,
                key,
                ExtraArgs={"Metadata": {CRC32C_META: digest}},
                Config=self._transfer,
            )

    def download(self, key: str, path: str) -> None:
        with self._errors(key):
            response = self._s3.get_object(Bucket=self.bucket, Key=key)
            body = response["Body"]
            try:
                self._receive(key, response, body, path)
            finally:
                body.close()

    def list(self, prefix: str, recursive: bool = False) -> _Keys:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        if not recursive:
            kwargs["Delimiter"] = "/"
        keys: _Keys = []
        with self._errors(prefix):
            for page in self._s3.get_paginator("list_objects_v2").paginate(**kwargs):
                keys += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
                keys += [o["Key"] for o in page.get("Contents", [])]
        return sorted(keys)

    def copy(self, src: str, dst: str) -> None:
        self.ensure_bucket()
        with self._errors(src):
            for name in self.list(src, recursive=True):
                if name == src or name.startswith(src.rstrip("/") + "/"):
                    source = {"Bucket": self.bucket, "Key": name}
                    self._s3.copy(source, self.bucket, dst + name[len(src) :])

    def get_md5(self, key: str) -> str:
        with self._errors(key):
            etag = str(self._s3.head_object(Bucket=self.bucket, Key=key)["ETag"]).strip('"')
        if len(etag) == 32 and "-" not in etag:
            return etag
        return self._stream_digest(key, hashlib.md5())

    def checksum(self, key: str) -> str:
        with self._errors(key):
            head = self._s3.head_object(Bucket=self.bucket, Key=key)
        stored = stored_hash(head.get("Metadata"))
        if stored and not stored.legacy:
            return stored.value
        return self._stream_digest(key, Crc32c())  # no CRC32C stored (none, or a plain SHA-256)

    def ensure_bucket(self) -> None:
        """Create the bucket once if it is missing and ``create_bucket`` allows it."""
        if self._bucket_ready:
            return
        with self._errors(""):
            try:
                self._s3.head_bucket(Bucket=self.bucket)
            except StorageError:
                raise
            except Exception as exc:
                if _code(exc) not in S3_MISSING_CODES or not self.create_bucket:
                    raise
                self._make_bucket()
        self._bucket_ready = True

    def _make_bucket(self) -> None:
        kwargs: dict[str, Any] = {"Bucket": self.bucket}
        if self.region and self.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            self._s3.create_bucket(**kwargs)
        except Exception as exc:
            if _code(exc) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise

    def _receive(self, key: str, response: Any, body: Any, path: str) -> None:
        expected = stored_hash(response.get("Metadata"))
        length = response.get("ContentLength")
        digest = expected.hasher() if expected else None
        size = 0
        with atomic_path(path) as temp, open(temp, "wb") as out:
            for chunk in body.iter_chunks(CHUNK):
                if digest is not None:
                    digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            out.close()
            if length is not None and int(length) != size:
                raise self._error(f"{key}: got {size} of {length} bytes", True)
            if expected and digest is not None and digest.hexdigest() != expected.value:
                raise self._error(f"{key}: {expected.mismatch}", True, ChecksumMismatch)

    def _stream_digest(self, key: str, digest: Hasher) -> str:
        """Digest of the object's bytes, streamed (for objects without a usable stored checksum)."""
        with self._errors(key):
            body = self._s3.get_object(Bucket=self.bucket, Key=key)["Body"]
            try:
                for chunk in body.iter_chunks(CHUNK):
                    digest.update(chunk)
            finally:
                body.close()
        return digest.hexdigest()

    def _translate(self, exc: Exception, key: str) -> StorageError | None:
        _, botocore = _import_boto3()
        import boto3.exceptions

        errors = botocore.exceptions
        if isinstance(exc, boto3.exceptions.S3UploadFailedError):
            cause = exc.__context__
            if isinstance(cause, Exception):
                return self._translate(cause, key) or self._error(f"upload of {key!r} failed")
            return self._error(f"upload of {key!r} failed: {exc}", True)
        if isinstance(exc, errors.ClientError):
            code = _code(exc)
            if code in S3_AUTH_CODES or code == "403":
                return self._error(f"S3 refused the credentials ({code}); check access_key and secret_key")
            if code in S3_MISSING_CODES:
                what = f"bucket {self.bucket!r}" if code == "NoSuchBucket" else f"key {key!r}"
                return self._error(f"{what} not found", kind=ObjectNotFound)
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            transient = code in S3_TRANSIENT_CODES or int(status or 0) >= 500
            return self._error(f"S3 error {code} on {key!r}", transient)
        if isinstance(exc, errors.NoCredentialsError):
            return self._error("no AWS credentials found (keys, environment, profile or role)")
        if isinstance(exc, (errors.ConnectionError, errors.HTTPClientError)):
            return self._error(f"cannot reach the S3 server ({type(exc).__name__})", True)
        return None


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))
