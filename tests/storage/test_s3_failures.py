"""Server stopped mid-transfer, and interrupted uploads never leave a complete-looking object."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from minio import Minio
from minio.error import S3Error

from dflow_like.storage import StorageError, get_storage_client, get_tree, new_key, put_tree
from dflow_like.storage.s3 import MinioStorageClient
from dflow_like.storage.seaweed import SeaweedFS
from tests.polling import poll

pytestmark = pytest.mark.s3


def _raw(server: SeaweedFS) -> Minio:
    return Minio(server.endpoint, server.access_key, server.secret_key, secure=False)


def _exists(server: SeaweedFS, key: str) -> bool:
    try:
        _raw(server).stat_object(server.bucket, key)
    except S3Error as exc:
        assert exc.code == "NoSuchKey"
        return False
    return True


def _big_file(path: Path, mib: int) -> Path:
    with open(path, "wb") as out:
        for _ in range(mib):
            out.write(os.urandom(1 << 20))
    return path


def test_server_stopped_mid_upload_then_retry(s3_settings: SeaweedFS, tmp_path: Path) -> None:
    src = _big_file(tmp_path / "big.bin", 160)
    client = get_storage_client()
    assert isinstance(client, MinioStorageClient)
    client.ensure_bucket()
    key = new_key("big.tgz")
    errors: list[BaseException] = []

    def upload() -> None:
        try:
            put_tree(client, src, key, archive="tar")
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=upload)
    worker.start()
    poll(lambda: _upload_in_progress(s3_settings, key) or not worker.is_alive(), "the first parts on the server")
    assert worker.is_alive(), errors
    s3_settings.stop()
    worker.join(120)
    assert errors and isinstance(errors[0], StorageError), errors
    assert errors[0].transient is True
    assert s3_settings.endpoint in str(errors[0])
    s3_settings.start()
    assert not _exists(s3_settings, key)  # nothing half-visible survived the crash
    tree = put_tree(client, src, key, archive="tar")  # the retry
    get_tree(tree, tmp_path / "back")
    assert (tmp_path / "back" / "big.bin").read_bytes() == src.read_bytes()


def test_server_down_is_transient(s3_settings: SeaweedFS, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    client = get_storage_client()
    tree = put_tree(client, tmp_path / "f", new_key("f"), archive=None)
    s3_settings.stop()
    try:
        with pytest.raises(StorageError) as info:
            get_tree(tree, tmp_path / "dst")
        assert info.value.transient is True
        assert s3_settings.endpoint in str(info.value)
    finally:
        s3_settings.start()
    get_tree(tree, tmp_path / "dst")
    assert (tmp_path / "dst" / "f").read_text() == "x"


def _upload_in_progress(server: SeaweedFS, key: str) -> bool:
    """Whether the server holds an unfinished multipart upload of ``key`` (S3 ListMultipartUploads)."""
    import boto3
    from botocore.config import Config

    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://{server.endpoint}",
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}),
    )
    uploads = s3.list_multipart_uploads(Bucket=server.bucket, Prefix=key).get("Uploads", [])
    return any(u.get("Key") == key for u in uploads)


def test_killed_multipart_upload_leaves_no_object(s3_settings: SeaweedFS, tmp_path: Path) -> None:
    src = _big_file(tmp_path / "big.bin", 240)
    get_storage_client().ensure_bucket()  # type: ignore[attr-defined]
    key = new_key("killed")
    script = (
        "import sys; from dflow_like.storage.s3 import MinioStorageClient as C; a = sys.argv; "
        "C(a[1], a[2], a[3], bucket=a[4]).upload(a[5], a[6])"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    args = [s3_settings.endpoint, s3_settings.access_key, s3_settings.secret_key]
    child = subprocess.Popen([sys.executable, "-c", script, *args, s3_settings.bucket, key, str(src)], env=env)
    # kill it once parts are on the server, not before the upload began
    poll(lambda: _upload_in_progress(s3_settings, key) or child.poll() is not None, "the first parts on the server")
    assert child.poll() is None, "upload finished before it could be interrupted"
    child.kill()
    child.wait()
    assert not _exists(s3_settings, key)
    assert key not in get_storage_client().list(key.rsplit("/", 1)[0] + "/", recursive=True)


def test_truncated_single_put_leaves_no_object(s3_settings: SeaweedFS) -> None:
    """A PUT cut short (connection dropped mid-body) must not create the object."""
    get_storage_client().ensure_bucket()  # type: ignore[attr-defined]  # also when this test runs alone
    key = new_key("truncated")
    url = _raw(s3_settings).presigned_put_object(s3_settings.bucket, key, expires=timedelta(minutes=5))
    path = url.split(s3_settings.endpoint, 1)[1]
    conn = http.client.HTTPConnection(s3_settings.endpoint, timeout=10)
    conn.putrequest("PUT", path)
    conn.putheader("Content-Length", str(1 << 20))
    conn.endheaders()
    conn.send(b"x" * (1 << 19))
    sock = conn.sock
    assert sock is not None
    sock.shutdown(socket.SHUT_WR)  # the body ends early: the server reads EOF where it expected more
    reply = sock.recv(1 << 16)  # its answer (or its close) says it is done with the request: no sleep
    sock.close()
    assert not reply.startswith(b"HTTP/1.1 2"), reply  # SeaweedFS answers 499; the whole body gets 200
    assert not _exists(s3_settings, key)
