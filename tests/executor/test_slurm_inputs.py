"""``stage_inputs``: what a job on a cluster without this machine's files is told to read."""

from __future__ import annotations

from pathlib import Path

from dflow_like.artifacts import ArtifactPart, ArtifactRef, StoredTree
from dflow_like.executor.slurm.inputs import STAGED_INPUTS, stage_inputs
from dflow_like.runner.files import materialize


def _there(path: str) -> str:
    return "/cluster" + path


def test_local_parts_are_copied_into_the_attempt_and_named_by_their_cluster_path(tmp_path: Path) -> None:
    upstream = tmp_path / "store"
    (upstream / "sub").mkdir(parents=True)
    (upstream / "a.txt").write_text("a")
    (upstream / "sub" / "b.txt").write_text("b")
    (upstream / "unrelated.txt").write_text("not part of the layout")
    s3 = ArtifactPart(StoredTree("s3", "runs/x/out", "tar", "bucket"), "c.txt")
    ref = ArtifactRef(
        (ArtifactPart(StoredTree("local", str(upstream)), ["a.txt", "sub/b.txt"]), s3),
        gathered=True,
        name="files",
        positions=(0, 2),
        item_dirs=True,
    )
    attempt = tmp_path / "attempt"
    claim = {"pvc": "/claims/x"}

    staged = stage_inputs(attempt, {"files": ref.to_json(), "absent": None, "claim": claim}, _there)

    assert staged["absent"] is None and staged["claim"] == claim  # not stored artifacts: as they were
    moved = ArtifactRef.from_json(staged["files"])
    copy = attempt / STAGED_INPUTS / "files" / "0"
    assert moved == ArtifactRef(
        (ArtifactPart(StoredTree("local", _there(str(copy))), ["a.txt", "sub/b.txt"]), s3),
        gathered=True,
        name="files",
        positions=(0, 2),
        item_dirs=True,
    )  # only the local part's key changed; the S3 part is downloaded by the job
    assert sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*.txt")) == ["a.txt", "sub/b.txt"]
    (copy / "a.txt").write_text("changed by the step")
    assert (upstream / "a.txt").read_text() == "a"  # a copy, not a link


def test_the_runner_places_a_staged_copy_as_it_placed_the_original(tmp_path: Path) -> None:
    upload = tmp_path / "upload"
    (upload / "dir").mkdir(parents=True)
    (upload / "dir" / "x.txt").write_text("x")
    ref = ArtifactRef((ArtifactPart(StoredTree("local", str(upload)), None),), name="upload")
    staged = stage_inputs(tmp_path / "attempt", {"data": ref.to_json()}, lambda p: p)  # a cluster seeing this path

    materialize(ref, tmp_path / "from-original")
    materialize(ArtifactRef.from_json(staged["data"]), tmp_path / "from-copy")
    assert (tmp_path / "from-copy" / "dir" / "x.txt").read_text() == "x"
    assert sorted(p.relative_to(tmp_path / "from-copy") for p in (tmp_path / "from-copy").rglob("*")) == sorted(
        p.relative_to(tmp_path / "from-original") for p in (tmp_path / "from-original").rglob("*")
    )
