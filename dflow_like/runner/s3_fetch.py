"""Read stored trees from S3 inside an Argo pod with the standard library only.

A pod of a stock image has none of our storage dependencies (minio, google_crc32c), and
the bundle ships pure Python only. A reused step (``submit(reuse_step=...)``) must fetch
its recorded outputs again; this module does the two S3 calls that needs (``GET`` and
``ListObjectsV2``, signed with AWS Signature V4) from the ``DFLOW_LIKE_S3_*`` settings
the pod gets from a Kubernetes Secret by reference.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import io
import os
import tarfile
import tempfile
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

__all__ = ["S3Settings", "fetch_tree"]

_EMPTY = hashlib.sha256(b"").hexdigest()
_FILTER: dict[str, Any] = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}


class S3Settings:
    """Endpoint, keys and default bucket from the pod's ``DFLOW_LIKE_S3_*`` environment."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        env = dict(os.environ if env is None else env)
        missing = [k for k in ("ENDPOINT", "ACCESS_KEY", "SECRET_KEY") if not env.get(f"DFLOW_LIKE_S3_{k}")]
        if missing:
            raise RuntimeError(
                "a reused step must fetch its stored outputs, but the pod has no "
                + ", ".join(f"DFLOW_LIKE_S3_{k}" for k in missing)
                + " (set s3_config['secret_name'] so pods get S3 credentials from a Secret)"
            )
        self.endpoint = env["DFLOW_LIKE_S3_ENDPOINT"]
        self.access_key = env["DFLOW_LIKE_S3_ACCESS_KEY"]
        self.secret_key = env["DFLOW_LIKE_S3_SECRET_KEY"]
        self.bucket = env.get("DFLOW_LIKE_S3_BUCKET_NAME", "")
        self.secure = env.get("DFLOW_LIKE_S3_SECURE", "true").lower() not in ("false", "0", "no")
        self.region = env.get("DFLOW_LIKE_S3_REGION") or "us-east-1"


def _signed(s3: S3Settings, bucket: str, key: str, query: dict[str, str]) -> urllib.request.Request:
    now = datetime.datetime.now(datetime.timezone.utc)
    stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    path = "/" + urllib.parse.quote(f"{bucket}/{key}" if key else bucket, safe="/-_.~")
    canonical_query = "&".join(
        f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}" for k, v in sorted(query.items())
    )
    headers = {"host": s3.endpoint, "x-amz-content-sha256": _EMPTY, "x-amz-date": stamp}
    signed = ";".join(sorted(headers))
    canonical = "\n".join(
        ["GET", path, canonical_query, *(f"{k}:{headers[k]}" for k in sorted(headers)), "", signed, _EMPTY]
    )
    scope = f"{day}/{s3.region}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key_bytes = ("AWS4" + s3.secret_key).encode()
    for part in (day, s3.region, "s3", "aws4_request"):
        key_bytes = hmac.new(key_bytes, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key_bytes, to_sign.encode(), hashlib.sha256).hexdigest()
    url = f"{'https' if s3.secure else 'http'}://{s3.endpoint}{path}" + (f"?{canonical_query}" if query else "")
    request = urllib.request.Request(url, method="GET")
    request.add_header("x-amz-content-sha256", _EMPTY)
    request.add_header("x-amz-date", stamp)
    request.add_header(
        "Authorization",
        f"AWS4-HMAC-SHA256 Credential={s3.access_key}/{scope}, SignedHeaders={signed}, Signature={signature}",
    )
    return request


def _get(s3: S3Settings, bucket: str, key: str) -> bytes:
    with urllib.request.urlopen(_signed(s3, bucket, key, {}), timeout=60) as response:
        return bytes(response.read())


def _list(s3: S3Settings, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    token = ""
    while True:
        query = {"list-type": "2", "prefix": prefix}
        if token:
            query["continuation-token"] = token
        with urllib.request.urlopen(_signed(s3, bucket, "", query), timeout=60) as response:
            root = ET.fromstring(response.read())
        ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
        keys += [str(e.text) for e in root.iter(f"{ns}Key")]
        token = next((str(e.text) for e in root.iter(f"{ns}NextContinuationToken")), "")
        if not token:
            return keys


def _inside(path: Path, root: Path) -> bool:
    return os.path.realpath(path).startswith(os.path.realpath(root) + os.sep)


def fetch_tree(tree: dict[str, Any], dest: Path, s3: S3Settings) -> None:
    """Place stored tree ``tree`` (``StoredTree.to_json()``) at ``dest``."""
    bucket = tree.get("bucket") or s3.bucket
    key = str(tree["key"])
    dest.mkdir(parents=True, exist_ok=True)
    if tree.get("archive") == "tar":
        root = str(tree.get("root") or "")
        with tempfile.TemporaryDirectory(dir=dest, prefix=".fetch-") as tmp:
            with tarfile.open(fileobj=io.BytesIO(_get(s3, bucket, key)), mode="r:*") as tar:
                tar.extractall(tmp, **_FILTER)
            source = Path(tmp, root) if root else Path(tmp)
            for entry in source.iterdir():
                entry.rename(dest / entry.name)
        return
    prefix = key.rstrip("/") + "/"
    for name in _list(s3, bucket, prefix):
        target = dest / name[len(prefix) :]
        if not _inside(target, dest):
            raise ValueError(f"object {name!r} would land outside {dest}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_get(s3, bucket, name))
