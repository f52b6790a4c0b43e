"""What the README and the examples' README name exists: files, and the commands of ``dflow-like``.

A user follows these texts literally; a path that moved (tests now mirror the package) or a
command that was renamed sends them nowhere.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from dflow_like.cli.main import _parser

ROOT = Path(__file__).resolve().parents[1]
TOP = ("tests", "dflow_like", "bench", "examples", "docs", "ops", "docker", "tutorials", ".ci")
TEXTS = ["README.md", "examples/README.md", "dflow_like/engine/argo/schemas/README.md"]


def _paths(text: str) -> set[str]:
    found = re.findall(rf"(?<![\w/.])((?:{'|'.join(re.escape(t) for t in TOP)})/[\w./-]*\w)", text)
    return {p for p in found if "NAME" not in p}  # examples/NAME.py stands for any example


@pytest.mark.parametrize("doc", TEXTS)
def test_every_path_a_readme_names_exists(doc: str) -> None:
    missing = sorted(p for p in _paths((ROOT / doc).read_text()) if not (ROOT / p).exists())
    assert not missing, f"{doc} names paths that do not exist: {missing}"


def test_the_readme_lists_every_command_and_only_real_ones() -> None:
    text = (ROOT / "README.md").read_text()
    block = text.split("## Command line", 1)[1].split("```")[1]
    listed = {line.split()[1] for line in block.splitlines() if line.startswith("dflow-like ")}
    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert listed == set(sub.choices)


def test_the_readme_development_commands_are_the_ones_ci_runs() -> None:
    """``ruff format --check .`` would also format the README's own code (ruff reads Markdown)."""
    development = (ROOT / "README.md").read_text().split("## Development", 1)[1]
    ci = (ROOT / ".ci" / "run").read_text()
    for command in re.findall(r"`(ruff [^`]+)`", development):
        assert command in ci, f"README says `{command}`; .ci/run does not run it"
