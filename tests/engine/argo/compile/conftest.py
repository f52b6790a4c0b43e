from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.engine.argo.argo_double import ArgoDouble, running_double


@pytest.fixture
def double() -> Iterator[ArgoDouble]:
    with running_double() as server:
        yield server
