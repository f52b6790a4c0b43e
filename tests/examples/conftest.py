"""Run example programs and notebooks the way a user does: a fresh process, home and cwd."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
TUTORIALS = ROOT / "tutorials"


@dataclass
class Run:
    """A finished example: what it printed and the directory it ran in."""

    returncode: int
    stdout: str
    stderr: str
    cwd: Path
    seconds: float

    def check(self) -> str:
        assert self.returncode == 0, f"exit {self.returncode}\n{self.stdout}\n{self.stderr}"
        return self.stdout


def example_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DFLOW_LIKE_")}
    env["DFLOW_LIKE_HOME"] = str(home)
    env["MPLBACKEND"] = "Agg"
    return env


def start_example(name: str, base: Path) -> tuple[subprocess.Popen[str], Path]:
    """Start ``examples/NAME.py`` in ``base/NAME`` (its cwd) with ``base/NAME-home``."""
    cwd = base / name
    cwd.mkdir(parents=True)
    proc = subprocess.Popen(
        [sys.executable, str(EXAMPLES / f"{name}.py")],
        cwd=cwd,
        env=example_env(base / f"{name}-home"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return proc, cwd


@pytest.fixture(scope="session")
def example_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("examples")
