"""``MinioStorageClient``: the S3-compatible store (MinIO, SeaweedFS, Ceph, AWS) via ``minio``.

Atomicity: large files go up as a multipart upload, and S3 makes the object visible
only when ``CompleteMultipartUpload`` succeeds; a small file goes up in one PUT whose
payload hash is signed (SigV4 on http, Content-MD5 on https), so a cut connection is
rejected by the server. Either way an interrupted upload leaves no object, and an
existing object stays whole until the new one replaces it. Both facts are checked
against SeaweedFS in ``tests/storage/test_s3_failures.py``.

Integrity: the file's CRC32C (see ``_hashing``; one streaming pass at several GB/s)
is stored as ``x-amz-meta-crc32c``; every download checksums the bytes as they
stream in and refuses a mismatch (and a body shorter than its Content-Length) before
the file is renamed into place. Objects written before that carry a plain SHA-256 as
``x-amz-meta-sha256``, which is still checked. Small bodies (``fetch``) are read
into memory, checked, and never touch a temp file.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from typing import Any, NamedTuple

from ._files import atomic_path
from ._hashing import CHUNK, Crc32c, Hasher, bytes_checksum, content_checksum
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

__all__ = ["CRC32C_META", "DEFAULT_PART_SIZE", "IN_MEMORY_LIMIT", "LEGACY_SHA256_META", "MinioStorageClient"]

DEFAULT_PART_SIZE = 16 << 20  # bytes held in memory per in-flight part
CRC32C_META = "crc32c"  # user metadata holding the content's CRC32C (written and read)
LEGACY_SHA256_META = "sha256"  # older objects: a plain SHA-256 (read only)
IN_MEMORY_LIMIT = 4 << 20  # ``fetch`` keeps objects up to this size in memory


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

    verifies_transfers = True  # downloads are checked against the CRC32C stored at upload

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
        check_bucket_name(bucket)
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
        digest = content_checksum(path)
        self.ensure_bucket()
        with self._errors(key):
            self._client.fput_object(
                self.bucket,
                key,
                path,
                metadata={CRC32C_META: digest},
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
                expected = stored_hash(response.headers)
                data: bytes = response.read()
                actual = expected.of_bytes(data) if expected else ""
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

    def remove(self, key: str) -> None:
        """Delete object ``key`` (absent: nothing to do). Not in dflow's protocol: the step cache uses it."""
        with self._errors(key):
            self._client.remove_object(self.bucket, key)

    def get_md5(self, key: str) -> str:
        with self._errors(key):
            etag = str(self._client.stat_object(self.bucket, key).etag or "").strip('"')
        if len(etag) == 32 and "-" not in etag:
            return etag  # single-part upload: the ETag is the MD5
        return self._stream_digest(key, hashlib.md5())

    def checksum(self, key: str) -> str:
        with self._errors(key):
            stat = self._client.stat_object(self.bucket, key)
        stored = stored_hash(stat.metadata)
        if stored and not stored.legacy:
            return stored.value
        return self._stream_digest(key, Crc32c())  # no CRC32C stored (none, or a plain SHA-256)

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
        """Stream a GET response to ``path`` atomically, checksumming it as it arrives."""
        expected = stored_hash(response.headers)
        length = _content_length(response.headers)
        with atomic_path(path) as temp, open(temp, "wb") as out:
            size, actual = _drain(response, out.write, expected)
            out.close()
            self._check(key, size, length, expected, actual)

    def _check(self, key: str, size: int, length: int | None, expected: StoredHash | None, actual: str) -> None:
        """Refuse a short body, or one whose checksum is not the one stored at upload."""
        if length is not None and length != size:
            raise self._error(f"{key}: got {size} of {length} bytes", transient=True)
        if expected and actual != expected.value:
            raise self._error(f"{key}: {expected.mismatch}", True, ChecksumMismatch)

    def _stream_digest(self, key: str, digest: Hasher) -> str:
        """Digest of the object's bytes, streamed (for objects without a usable stored checksum)."""
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
        if isinstance(exc, urllib3.exceptions.MaxRetryError) and isinstance(
            exc.reason, urllib3.exceptions.ResponseError
        ):  # the server answered, every time with an error: not a connection problem
            return self._error(
                f"the S3 server kept failing on {key!r} ({exc.reason}): a server-side error, "
                "such as a corrupted object or a checksum mismatch on the server",
                True,
            )
        if isinstance(exc, (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError)):
            return self._error(f"cannot reach the S3 server ({type(exc).__name__})", True)
        return None


def _content_length(headers: Any) -> int | None:
    value = headers.get("Content-Length")
    return None if value is None else int(value)


def _drain(response: Any, sink: Callable[[bytes], object], expected: StoredHash | None) -> tuple[int, str]:
    """Copy a response body to ``sink``; return its size and (if ``expected``) its checksum.

    The checksum is of ``expected``'s kind, computed inline: CRC32C adds ~20 ms of CPU
    to a 200 MB download; a helper thread doubled that and saved no wall time.
    """
    digest = expected.hasher() if expected else None
    size = 0
    for chunk in response.stream(CHUNK):
        if digest is not None:
            digest.update(chunk)
        sink(chunk)
        size += len(chunk)
    return size, digest.hexdigest() if digest is not None else ""


class StoredHash(NamedTuple):
    """The checksum an object's metadata carries, and how to recompute it from its bytes."""

    value: str
    legacy: bool  # a plain SHA-256 (``LEGACY_SHA256_META``), not the CRC32C

    def hasher(self) -> Hasher:
        return hashlib.sha256() if self.legacy else Crc32c()

    def of_bytes(self, data: bytes) -> str:
        return hashlib.sha256(data).hexdigest() if self.legacy else bytes_checksum(data)

    @property
    def mismatch(self) -> str:
        """What differed, for the error message."""
        kind = "SHA-256" if self.legacy else "CRC32C"
        return f"{kind} of the downloaded bytes differs from the one stored at upload"


def stored_hash(metadata: Any) -> StoredHash | None:
    """The checksum in an object's metadata, the CRC32C first; None if it has none.

    Takes response headers or stat metadata (``x-amz-meta-`` names, any case) and
    boto3's ``Metadata`` (bare names). Hex values are compared in lower case.
    """
    found: dict[str, str] = {}
    for name, value in (metadata or {}).items():
        found[str(name).lower().removeprefix("x-amz-meta-")] = str(value).strip().lower()
    if found.get(CRC32C_META):
        return StoredHash(found[CRC32C_META], legacy=False)
    if found.get(LEGACY_SHA256_META):
        return StoredHash(found[LEGACY_SHA256_META], legacy=True)
    return None


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
