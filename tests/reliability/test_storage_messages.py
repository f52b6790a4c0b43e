"""Item 11 (storage): an S3 server that answers every request with an error is not
"unreachable" (the message says server error and names the key), and a bucket name S3
would refuse is a clear error before any request."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from dflow_like.storage.aws import Boto3StorageClient
from dflow_like.storage.errors import StorageError
from dflow_like.storage.s3 import MinioStorageClient


class _Failing(http.server.BaseHTTPRequestHandler):
    """Answers 500 InternalError, as a server does for an object it cannot read back."""

    def _fail(self) -> None:
        body = b"<?xml version='1.0'?><Error><Code>InternalError</Code><Message>bad checksum</Message></Error>"
        self.send_response(500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_HEAD = do_PUT = _fail

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def failing_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_server_errors_on_an_object_are_not_reported_as_unreachable(failing_server: str, tmp_path: Path) -> None:
    client = MinioStorageClient(failing_server, "key", "secret", bucket="runs", retries=1)
    with pytest.raises(StorageError) as caught:
        client.download("wf/step/out.tgz", str(tmp_path / "out.tgz"))
    message = str(caught.value)
    assert "cannot reach" not in message
    assert "'wf/step/out.tgz'" in message and "server-side error" in message and "500" in message


@pytest.mark.parametrize("bucket", ["ab", "Upper", "-dash", "a" * 64, "two..dots"])
@pytest.mark.parametrize("client", [MinioStorageClient, Boto3StorageClient])
def test_a_bucket_name_s3_refuses_is_a_clear_error(bucket: str, client: type) -> None:
    with pytest.raises(ValueError, match="3-63 characters") as caught:
        client("127.0.0.1:9", bucket=bucket)
    assert repr(bucket) in str(caught.value) and "bucket_name" in str(caught.value)
