"""Fixtures: the stand-in images (made once per session) and an emulated Argo on SeaweedFS."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dflow_like import config
from dflow_like.storage.seaweed import SeaweedFS

from .controller import EmulatedArgo
from .images import Image, make_image
from .s3repo import Repository

CHEM_IMAGE = "dflow-like/chem:py3.11"  # docker/Dockerfile
CHEM_DISTRIBUTIONS = ("numpy", "scipy", "ase", "matplotlib")
S3_SECRET = "dflow-like-s3"


@pytest.fixture(scope="session")
def images() -> Iterator[dict[str, Image]]:
    base = Path(tempfile.mkdtemp(prefix="argo-exec-images-", dir="/var/tmp" if Path("/var/tmp").is_dir() else None))
    try:
        bare = make_image("python:3.11", base)
        chem = make_image(CHEM_IMAGE, base, CHEM_DISTRIBUTIONS)
        yield {"python:3.11": bare, CHEM_IMAGE: chem}
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def argo(s3_settings: SeaweedFS, images: dict[str, Image], tmp_path: Path) -> EmulatedArgo:
    """An emulated Argo whose default artifact repository is the test bucket."""
    server = s3_settings
    repo = Repository(server.endpoint, server.bucket, server.access_key, server.secret_key)
    secrets = {S3_SECRET: {"accesskey": server.access_key, "secretkey": server.secret_key}}
    config["mode"] = "argo"
    return EmulatedArgo(tmp_path / "argo", repo, images, secrets)
