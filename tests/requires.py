"""Tests that need a tool skip without it, except under ``CI=true``.

``.ci/run`` installs every tool and extra the suite needs, so under CI a missing one is a
broken setup, not a reason to skip: the test fails, naming what is missing. A skipped test
counted as passing would hide exactly that.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def unavailable(what: str) -> NoReturn:
    """Skip for ``what`` is missing; under CI fail instead (also at module level)."""
    if in_ci():
        pytest.fail(f"{what} (CI=true: this test must run, not skip; .ci/run installs it)", pytrace=False)
    pytest.skip(what, allow_module_level=True)


def import_or_fail(module: str) -> ModuleType:
    """``pytest.importorskip`` that fails under CI: ``module`` comes with the [test] extra."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        unavailable(f"{module} is not installed (pip install -e '.[test]'): {exc}")
