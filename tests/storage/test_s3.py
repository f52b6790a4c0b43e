"""The S3 clients against a real SeaweedFS server (no mocks)."""

from __future__ import annotations

import hashlib
import io
import subprocess
import uuid
from pathlib import Path

import pytest
from minio import Minio

from dflow_like._config import s3_config
from dflow_like.artifacts import StoredTree
from dflow_like.storage import (
    ChecksumMismatch,
    ObjectNotFound,
    StorageClient,
    StorageError,
    get_storage_client,
    get_tree,
    new_key,
    put_tree,
)
from dflow_like.storage.aws import Boto3StorageClient
from dflow_like.storage.s3 import CRC32C_META, LEGACY_SHA256_META, MinioStorageClient, StoredHash, stored_hash
from dflow_like.storage.seaweed import SeaweedFS
from tests.storage._trees import make_tree, same_files
from tests.storage.test_hashing import reference

pytestmark = pytest.mark.s3


@pytest.fixture(params=["minio", "boto3"])
def client(request: pytest.FixtureRequest, s3_settings: SeaweedFS) -> StorageClient:
    s3_config["storage_client"] = request.param
    return get_storage_client()


def _raw(server: SeaweedFS) -> Minio:
    return Minio(server.endpoint, server.access_key, server.secret_key, secure=False)


def test_factory_picks_client(s3_settings: SeaweedFS) -> None:
    assert isinstance(get_storage_client(), MinioStorageClient)
    s3_config["storage_client"] = "boto3"
    assert isinstance(get_storage_client("other-bucket"), Boto3StorageClient)
    plugin = MinioStorageClient(s3_settings.endpoint, bucket="plugin")
    s3_config["storage_client"] = plugin
    assert get_storage_client() is plugin
    s3_config["storage_client"] = "nope"
    with pytest.raises(ValueError, match="nope"):
        get_storage_client()


def test_protocol_operations(client: StorageClient, tmp_path: Path) -> None:
    base = new_key("ops")
    src = tmp_path / "f.txt"
    src.write_text("hello")
    client.upload(f"{base}/a/f.txt", str(src))
    client.upload(f"{base}/b.txt", str(src))
    assert client.list(f"{base}/") == [f"{base}/a/", f"{base}/b.txt"]
    assert client.list(f"{base}/", recursive=True) == [f"{base}/a/f.txt", f"{base}/b.txt"]
    client.copy(f"{base}/a", f"{base}/c")
    client.download(f"{base}/c/f.txt", str(tmp_path / "out" / "g.txt"))
    assert (tmp_path / "out" / "g.txt").read_text() == "hello"
    assert client.get_md5(f"{base}/b.txt") == "5d41402abc4b2a76b9719d911017c592"
    assert client.checksum(f"{base}/c/f.txt") == reference(b"hello") == "9a71bb4c"
    with pytest.raises(ObjectNotFound):
        client.download(f"{base}/missing", str(tmp_path / "x"))
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("archive", ["tar", None])
def test_tree_round_trip_layouts(client: StorageClient, tmp_path: Path, archive: str | None) -> None:
    src = tmp_path / "src"
    src.mkdir()
    layouts = make_tree(src)
    key = new_key("tree.tgz" if archive else "tree")
    tree = put_tree(client, src, key, archive=archive)
    assert tree == StoredTree("s3", key, archive, s3_config["bucket_name"])
    get_tree(tree, tmp_path / "all")  # client chosen from s3_config
    for layout in layouts.values():
        same_files(src, tmp_path / "all", layout)
    for name, layout in layouts.items():
        for rel in [layout] if isinstance(layout, str) else []:
            got = get_tree(tree, tmp_path / name, client=client, sub_path=rel)
            assert got == tmp_path / name / rel
            same_files(src, tmp_path / name, rel)
    assert not (tmp_path / "file" / "dir").exists()


def test_single_file_tree(client: StorageClient, tmp_path: Path) -> None:
    src = tmp_path / "model.pb"
    src.write_bytes(b"weights")
    tree = put_tree(client, src, new_key("model"), archive=None)
    get_tree(tree, tmp_path / "dst", client=client)
    assert (tmp_path / "dst" / "model.pb").read_bytes() == b"weights"


def test_argo_style_artifacts(s3_settings: SeaweedFS, tmp_path: Path) -> None:
    """Argo stores a ``.tgz`` whose top entry is the output's name, or one raw object."""
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "r.txt").write_text("argo")
    subprocess.run(["tar", "-czf", "a.tgz", "out"], cwd=tmp_path, check=True)
    raw = _raw(s3_settings)
    client = get_storage_client()
    assert isinstance(client, MinioStorageClient)
    client.ensure_bucket()
    bucket = s3_settings.bucket
    raw.fput_object(bucket, "wf/pod/out.tgz", str(tmp_path / "a.tgz"))  # no sha256 metadata
    raw.put_object(bucket, "wf/pod/plain.txt", io.BytesIO(b"raw"), 3)
    get_tree(StoredTree("s3", "wf/pod/out.tgz", "tar", bucket), tmp_path / "t")
    assert (tmp_path / "t" / "out" / "r.txt").read_text() == "argo"
    get_tree(StoredTree("s3", "wf/pod/plain.txt", None, bucket), tmp_path / "n")
    assert (tmp_path / "n" / "plain.txt").read_text() == "raw"


def test_missing_bucket_is_created(s3_settings: SeaweedFS, tmp_path: Path) -> None:
    src = tmp_path / "f.txt"
    src.write_text("x")
    for kind in ("minio", "boto3"):
        bucket = f"fresh-{kind}-{uuid.uuid4().hex[:8]}"
        s3_config["storage_client"] = kind
        client = get_storage_client(bucket)
        assert not _raw(s3_settings).bucket_exists(bucket)
        tree = put_tree(client, src, "k", archive="tar")
        assert tree.bucket == bucket and _raw(s3_settings).bucket_exists(bucket)
        get_tree(tree, tmp_path / kind)
        assert (tmp_path / kind / "f.txt").read_text() == "x"


def test_missing_bucket_not_created_when_forbidden(s3_settings: SeaweedFS, tmp_path: Path) -> None:
    client = MinioStorageClient(
        s3_settings.endpoint,
        s3_settings.access_key,
        s3_settings.secret_key,
        bucket="never-made",
        create_bucket=False,
    )
    (tmp_path / "f").write_text("x")
    with pytest.raises(ObjectNotFound, match="never-made"):
        client.upload("k", str(tmp_path / "f"))
    with pytest.raises(ObjectNotFound, match="never-made"):
        client.download("k", str(tmp_path / "g"))


@pytest.mark.parametrize("kind", ["minio", "boto3"])
def test_wrong_credentials(s3_settings: SeaweedFS, tmp_path: Path, kind: str) -> None:
    secret = "wrong-secret-Zq81"
    s3_config.update(storage_client=kind, secret_key=secret)
    client = get_storage_client()
    (tmp_path / "f").write_text("x")
    with pytest.raises(StorageError) as info:
        put_tree(client, tmp_path / "f", "k", archive=None)
    text = f"{info.value} {info.value!r} {info.value.args} {client!r}"
    assert s3_settings.endpoint in str(info.value)
    assert s3_settings.bucket in str(info.value)
    assert "credentials" in str(info.value)
    assert secret not in text and s3_settings.secret_key not in text
    assert info.value.transient is False
    assert secret not in repr(s3_config)


def test_checksum_mismatch_detected(client: StorageClient, s3_settings: SeaweedFS, tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("good")
    key = new_key("f.txt")
    client.upload(key, str(tmp_path / "f.txt"))
    stored = client.checksum(key)
    assert stored == reference(b"good")
    # Corrupt the object behind the client's back, keeping the old checksum as metadata.
    metadata: dict[str, str | list[str] | tuple[str]] = {CRC32C_META: stored}
    _raw(s3_settings).put_object(s3_settings.bucket, key, io.BytesIO(b"evil"), 4, metadata=metadata)
    message = "CRC32C of the downloaded bytes differs from the one stored at upload"
    with pytest.raises(ChecksumMismatch, match=message) as info:
        client.download(key, str(tmp_path / "got.txt"))
    assert info.value.transient
    assert not (tmp_path / "got.txt").exists()
    if isinstance(client, MinioStorageClient):
        with pytest.raises(ChecksumMismatch, match=message):
            client.fetch(key, lambda: str(tmp_path / "spill"))
        assert not (tmp_path / "spill").exists()


@pytest.mark.parametrize("size", [5, 20 << 20])  # one PUT, and a multipart upload (16 MiB parts)
def test_upload_stores_the_crc32c(client: StorageClient, s3_settings: SeaweedFS, tmp_path: Path, size: int) -> None:
    data = (bytes(range(256)) * (size // 256 + 1))[:size]
    (tmp_path / "f").write_bytes(data)
    key = new_key("f")
    client.upload(key, str(tmp_path / "f"))
    stat = _raw(s3_settings).stat_object(s3_settings.bucket, key)
    metadata = {name.lower(): value for name, value in (stat.metadata or {}).items()}
    assert metadata.get(f"x-amz-meta-{CRC32C_META}") == reference(data)
    assert f"x-amz-meta-{LEGACY_SHA256_META}" not in metadata  # only the CRC32C is written
    assert [name for name in metadata if name.startswith("x-amz-meta-")] == [f"x-amz-meta-{CRC32C_META}"]
    assert client.checksum(key) == reference(data)
    client.download(key, str(tmp_path / "back"))
    assert (tmp_path / "back").read_bytes() == data


@pytest.mark.parametrize("size", [5, 12 << 20])  # fetched into memory, and spilled to a file
def test_legacy_sha256_metadata_still_verifies(
    client: StorageClient, s3_settings: SeaweedFS, tmp_path: Path, size: int
) -> None:
    """Objects written before the CRC32C carry a plain SHA-256 as ``sha256``."""
    data = (b"legacy" * (size // 6 + 1))[:size]
    key = new_key("old")
    raw = _raw(s3_settings)
    sha = hashlib.sha256(data).hexdigest()
    raw.put_object(s3_settings.bucket, key, io.BytesIO(data), size, metadata={LEGACY_SHA256_META: sha})
    client.download(key, str(tmp_path / "got"))
    assert (tmp_path / "got").read_bytes() == data
    assert client.checksum(key) == reference(data)  # always the CRC32C (streamed here)
    if isinstance(client, MinioStorageClient):
        assert client.fetch(key, lambda: str(tmp_path / "spill")) == (data if size <= 4 << 20 else None)
    wrong = hashlib.sha256(b"other").hexdigest()
    raw.put_object(s3_settings.bucket, key, io.BytesIO(data), size, metadata={LEGACY_SHA256_META: wrong})
    with pytest.raises(ChecksumMismatch, match="SHA-256 of the downloaded bytes differs"):
        client.download(key, str(tmp_path / "bad"))
    if isinstance(client, MinioStorageClient):
        with pytest.raises(ChecksumMismatch):
            client.fetch(key, lambda: str(tmp_path / "spill2"))
    assert not (tmp_path / "bad").exists()


def test_stored_hash_reads_every_metadata_spelling() -> None:
    crc, sha = "0872AE21", "ab" * 32
    assert stored_hash({"X-Amz-Meta-Crc32c": crc}) == StoredHash("0872ae21", legacy=False)  # headers
    assert stored_hash({"crc32c": crc, "sha256": sha}) == StoredHash("0872ae21", legacy=False)  # boto3
    assert stored_hash({"x-amz-meta-sha256": sha}) == StoredHash(sha, legacy=True)
    assert stored_hash({"x-amz-meta-content-sha256-4m": sha}) is None  # the unreleased block hash: gone
    assert stored_hash(None) is None


def test_checksum_without_metadata_streams_the_crc32c(
    client: StorageClient, s3_settings: SeaweedFS, tmp_path: Path
) -> None:
    data = bytes(range(251)) * ((9 << 20) // 251)  # several chunks, the last one partial
    key = new_key("bare")
    _raw(s3_settings).put_object(s3_settings.bucket, key, io.BytesIO(data), len(data))
    assert client.checksum(key) == reference(data)


def test_tampered_archive_is_refused_and_nothing_is_unpacked(s3_settings: SeaweedFS, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    make_tree(src)
    tree = put_tree(get_storage_client(), str(src), new_key("tree"), archive="tar")
    raw = _raw(s3_settings)
    stat = raw.stat_object(s3_settings.bucket, tree.key)
    digest = (stat.metadata or {}).get(f"x-amz-meta-{CRC32C_META}", "")
    good = raw.get_object(s3_settings.bucket, tree.key).read()
    assert digest == reference(good)
    bad = good[:-16] + bytes(16)
    metadata: dict[str, str | list[str] | tuple[str]] = {CRC32C_META: digest}
    raw.put_object(s3_settings.bucket, tree.key, io.BytesIO(bad), len(bad), metadata=metadata)
    with pytest.raises(ChecksumMismatch):
        get_tree(tree, str(tmp_path / "dest"))
    assert not (tmp_path / "dest").exists() or not any((tmp_path / "dest").iterdir())


def test_large_download_is_verified_and_replaces_an_existing_file(s3_settings: SeaweedFS, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * (48 * 1024))  # 12 MiB: streamed to a file, not fetched
    client = get_storage_client()
    key = new_key("big.bin")
    client.upload(key, str(big))
    target = tmp_path / "got.bin"
    target.write_text("old content")
    client.download(key, str(target))
    assert target.read_bytes() == big.read_bytes()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []
    _raw(s3_settings).put_object(
        s3_settings.bucket,
        key,
        io.BytesIO(bytes(len(big.read_bytes()))),
        big.stat().st_size,
        metadata={CRC32C_META: client.checksum(key)},
    )
    with pytest.raises(ChecksumMismatch):
        client.download(key, str(target))
    assert target.read_bytes() == big.read_bytes()  # the verified file is kept
