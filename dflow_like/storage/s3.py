"""``MinioStorageClient``: the S3-compatible store (MinIO, SeaweedFS, Ceph, AWS) via ``minio``.

Atomicity: large files go up as a multipart upload, and S3 makes the object visible
only when ``CompleteMultipartUpload`` succeeds; a small file goes up in one PUT whose
payload hash is signed (SigV4 on http, Content-MD5 on https), so a cut connection is
rejected by the server. Either way an interrupted upload leaves no object, and an
existing object stays whole until the new one replaces it. Both facts are checked
against SeaweedFS in ``tests/storage/test_s3_atomicity.py``.

Integrity: the file's SHA-256 is stored as ``x-amz-meta-sha256`` at upload; every
download hashes the bytes as they stream in and refuses a mismatch (and a body shorter
than its Content-Length) before the file is renamed into place. Large bodies are hashed
on a helper thread while the main one receives and writes; small ones (``fetch``)
are read into memory, checked, and never touch a temp file.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from ._files import atomic_path
from ._hashing import CHUNK, BackgroundDigest, file_digest
from .errors import (
    S3_AUTH_CODES,
    S3_MISSING_CODES,
    S3_TRANSIENT_CODES,
    ChecksumMismatch,
    ErrorTranslation,
    ObjectNotFound,
    StorageError,
    missing_extra,
)

__all__ = ["DEFAULT_PART_SIZE", "IN_MEMORY_LIMIT", "SHA256_META", "MinioStorageClient"]

DEFAULT_PART_SIZE = 16 << 20  # bytes held in memory per in-flight part
SHA256_META = "sha256"
IN_MEMORY_LIMIT = 4 << 20  # ``fetch`` keeps objects up to this size in memory
BACKGROUND_HASH_FROM = 8 << 20  # smaller bodies are hashed inline: a thread costs more


def _import_minio() -> Any:
    try:
        import minio
    except ImportError:
        raise missing_extra("minio") from None
    return minio


class MinioStorageClient(ErrorTranslation):
    """The ``StorageClient`` for one bucket of an S3-compatible server.

    Keys are full object names in ``bucket``. ``prefix`` is not applied to keys: it is
    the namespace new keys are made under (see ``trees.new_key``), like dflow's.
    """

    verifies_transfers = True  # downloads are checked against the stored SHA-256

    def __init__(
        self,
        endpoint: str,
        access_key: str = "",
        secret_key: str = "",
        secure: bool = False,
        bucket: str = "dflow-like",
        region: str = "",
        prefix: str = "",
        part_size: int = DEFAULT_PART_SIZE,
        create_bucket: bool = True,
        retries: int = 3,
        parallel_parts: int = 3,
    ) -> None:
        minio = _import_minio()
        self.endpoint = endpoint
        self.bucket = bucket
        self.prefix = prefix
        self.secure = secure
        self.part_size = part_size
        # Parts sent at once (minio's default); memory is about (parallel_parts + 1) parts.
        self.parallel_parts = parallel_parts
        self.create_bucket = create_bucket
        self._bucket_ready = False
        self._lock = threading.Lock()
        self._client = minio.Minio(
            endpoint,
            access_key=access_key or None,
            secret_key=secret_key or None,
            secure=secure,
            region=region or None,
            http_client=_http_pool(secure, retries),
        )

    def __repr__(self) -> str:
        return f"MinioStorageClient(endpoint={self.endpoint!r}, bucket={self.bucket!r})"

    # -- the protocol -------------------------------------------------------------

    def upload(self, key: str, path: str) -> None:
        digest = file_digest(path)
        self.ensure_bucket()
        with self._errors(key):
            self._client.fput_object(
                self.bucket,
                key,
                path,
                metadata={SHA256_META: digest},
                part_size=self.part_size,
                num_parallel_uploads=self.parallel_parts,
            )

    def download(self, key: str, path: str) -> None:
        with self._errors(key):
            response = self._client.get_object(self.bucket, key)
            try:
                self._receive(key, response, path)
            finally:
                response.close()
                response.release_conn()

    def fetch(self, key: str, spill: Callable[[], str], limit: int = IN_MEMORY_LIMIT) -> bytes | None:
        """Object ``key`` as verified bytes if it has at most ``limit`` bytes.

        A larger object (or one of unknown length) is downloaded, verified, to the
        path ``spill()`` returns, and the result is None. One GET either way: small
        artifacts skip the temp file, its rename and its removal.
        """
        with self._errors(key):
            response = self._client.get_object(self.bucket, key)
            try:
                length = _content_length(response.headers)
                if length is None or length > limit:
                    self._receive(key, response, spill())
                    return None
                expected = _stored_sha256(response.headers)
                data: bytes = response.read()
                actual = hashlib.sha256(data).hexdigest() if expected else ""
                self._check(key, len(data), length, expected, actual)
                return data
            finally:
                response.close()
                response.release_conn()

    def list(self, prefix: str, recursive: bool = False) -> list[str]:
        with self._errors(prefix):
            objects = self._client.list_objects(self.bucket, prefix=prefix, recursive=recursive)
            return sorted(obj.object_name for obj in objects)

    def copy(self, src: str, dst: str) -> None:
        minio = _import_minio()
        self.ensure_bucket()
        with self._errors(src):
            for obj in self._client.list_objects(self.bucket, prefix=src, recursive=True):
                name = obj.object_name
                if name != src and not name.startswith(src.rstrip("/") + "/"):
                    continue
                source = minio.commonconfig.CopySource(self.bucket, name)
                target = dst + name[len(src) :]
                if (obj.size or 0) > 5 << 30:  # single-request copy stops at 5 GiB
                    compose = minio.commonconfig.ComposeSource(self.bucket, name)
                    self._client.compose_object(self.bucket, target, [compose])
                else:
                    self._client.copy_object(self.bucket, target, source)

    def get_md5(self, key: str) -> str:
        with self._errors(key):
            etag = str(self._client.stat_object(self.bucket, key).etag or "").strip('"')
        if len(etag) == 32 and "-" not in etag:
            return etag  # single-part upload: the ETag is the MD5
        return self._stream_digest(key, "md5")

    def checksum(self, key: str) -> str:
        with self._errors(key):
            stat = self._client.stat_object(self.bucket, key)
        stored = _stored_sha256(stat.metadata)
        return stored or self._stream_digest(key, "sha256")

    # -- helpers --------------------------------------------------------------------

    def ensure_bucket(self) -> None:
        """Create the bucket once if it is missing and ``create_bucket`` allows it."""
        if self._bucket_ready:
            return
        with self._lock, self._errors(""):
            if not self._bucket_ready and not self._client.bucket_exists(self.bucket):
                if not self.create_bucket:
                    raise self._error("bucket does not exist", kind=ObjectNotFound)
                self._make_bucket()
            self._bucket_ready = True

    def _make_bucket(self) -> None:
        minio = _import_minio()
        try:
            self._client.make_bucket(self.bucket)
        except minio.error.S3Error as exc:
            if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise

    def _receive(self, key: str, response: Any, path: str) -> None:
        """Stream a GET response to ``path`` atomically, hashing as it arrives."""
        expected = _stored_sha256(response.headers)
        length = _content_length(response.headers)
        with atomic_path(path) as temp, open(temp, "wb") as out:
            size, actual = _drain(response, out.write, bool(expected), length)
            out.close()
            self._check(key, size, length, expected, actual)

    def _check(self, key: str, size: int, length: int | None, expected: str, actual: str) -> None:
        """Refuse a short body, or one whose SHA-256 is not the one stored at upload."""
        if length is not None and length != size:
            raise self._error(f"{key}: got {size} of {length} bytes", transient=True)
        if expected and actual != expected:
            message = f"{key}: SHA-256 of the downloaded bytes differs from the stored one"
            raise self._error(message, True, ChecksumMismatch)

    def _stream_digest(self, key: str, algorithm: str) -> str:
        digest = hashlib.new(algorithm)
        with self._errors(key):
            response = self._client.get_object(self.bucket, key)
            try:
                for chunk in response.stream(CHUNK):
                    digest.update(chunk)
            finally:
                response.close()
                response.release_conn()
        return digest.hexdigest()

    def _translate(self, exc: Exception, key: str) -> StorageError | None:
        import urllib3

        minio = _import_minio()
        if isinstance(exc, minio.error.S3Error):
            code = exc.code or ""
            if code in S3_AUTH_CODES:
                return self._error(f"S3 refused the credentials ({code}); check access_key and secret_key")
            if code in S3_MISSING_CODES:
                what = f"bucket {self.bucket!r}" if code == "NoSuchBucket" else f"key {key!r}"
                return self._error(f"{what} not found", kind=ObjectNotFound)
            return self._error(f"S3 error {code} on {key!r}: {exc.message}", code in S3_TRANSIENT_CODES)
        if isinstance(exc, minio.error.ServerError):
            return self._error(f"S3 server error {exc.status_code} on {key!r}", True)
        if isinstance(exc, (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError)):
            return self._error(f"cannot reach the S3 server ({type(exc).__name__})", True)
        return None


def _content_length(headers: Any) -> int | None:
    value = headers.get("Content-Length")
    return None if value is None else int(value)


def _drain(response: Any, sink: Callable[[bytes], object], hashing: bool, length: int | None) -> tuple[int, str]:
    """Copy a response body to ``sink``; return its size and (if ``hashing``) SHA-256.

    A large body is hashed on a helper thread (``BackgroundDigest``) while this one
    receives and writes, so verification adds little to the wall time.
    """
    digest: Any = None
    with ExitStack() as stack:
        if hashing and (length is None or length >= BACKGROUND_HASH_FROM):
            digest = stack.enter_context(BackgroundDigest())
        elif hashing:
            digest = hashlib.sha256()
        size = 0
        for chunk in response.stream(CHUNK):
            if digest is not None:
                digest.update(chunk)
            sink(chunk)
            size += len(chunk)
        return size, digest.hexdigest() if digest is not None else ""


def _stored_sha256(headers: Any) -> str:
    """The ``x-amz-meta-sha256`` value of a response or stat (header case varies)."""
    if not headers:
        return ""
    for name, value in headers.items():
        if name.lower() in ("x-amz-meta-" + SHA256_META, SHA256_META):
            return str(value)
    return ""


def _http_pool(secure: bool, retries: int) -> Any:
    """A urllib3 pool sized for parallel transfers, with short retries for a dead server."""
    import certifi
    import urllib3

    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=10, read=300),
        maxsize=32,
        cert_reqs="CERT_REQUIRED" if secure else "CERT_NONE",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        retries=urllib3.Retry(total=retries, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
    )
