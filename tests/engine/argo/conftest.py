from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dflow_like.engine.argo.schema import schema_dir

from .argo_double import ArgoDouble, running_double


@pytest.fixture
def double() -> Iterator[ArgoDouble]:
    with running_double() as server:
        yield server


@pytest.fixture
def schemas() -> Path:
    """The official schemas shipped in the package (or ``$DFLOW_LIKE_ARGO_SCHEMA_DIR``)."""
    path = schema_dir()
    assert any(path.glob("argo-v*.schema.json*")), f"Argo schemas not found in {path}"
    return path
