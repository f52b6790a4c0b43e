"""Artifacts: files in from your disk, between steps, and back out.

    python examples/artifacts.py

Your own structure file is uploaded with ``upload_artifact``; a step relaxes it and
passes the relaxed file on to a step that writes a report; the report (and the whole
list of structures) comes back with ``download_artifact``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TypedDict

from ase.build import bulk
from ase.io import read, write

from dflow_like import ArtifactRef, Step, Workflow, download_artifact, upload_artifact
from dflow_like.artifacts import ArtifactPart, StoredTree
from dflow_like.ops import CHEM_IMAGE, Relax
from dflow_like.python import OP, Artifact, PythonOPTemplate


class Report(TypedDict):
    report: Artifact(Path)  # type: ignore[valid-type]
    frames: Artifact(list[Path])  # type: ignore[valid-type]


@OP.function
def compare(before: Artifact(Path), after: Artifact(Path)) -> Report:  # type: ignore[valid-type]
    """Write how far each atom moved; return the report and both frames as a list artifact."""
    a, b = read(before), read(after)
    moved = ((b.positions - a.positions) ** 2).sum(axis=1) ** 0.5
    lines = [f"atom {i:2d} {s}: moved {d:.3f} Å" for i, (s, d) in enumerate(zip(a.symbols, moved))]
    Path("report.txt").write_text("\n".join(lines) + "\n")
    frames = [Path("frames/before.extxyz"), Path("frames/after.extxyz")]
    frames[0].parent.mkdir(exist_ok=True)
    write(frames[0], a)
    write(frames[1], b)
    return {"report": Path("report.txt"), "frames": frames}


# What upload_artifact() returns when artifacts go to S3 (as on Argo): the default of
# build_workflow(), so the workflow compiles without uploading anything.
IN_S3 = ArtifactRef((ArtifactPart(StoredTree("s3", "upload/my-cu", "tar"), "my_cu.extxyz"),))


def build_workflow(uploaded: ArtifactRef = IN_S3) -> Workflow:
    relax = Step(
        "relax",
        PythonOPTemplate(Relax, image=CHEM_IMAGE),
        artifacts={"structure": uploaded},
        parameters={"fmax": 0.001},
    )
    report = Step(
        "compare",
        PythonOPTemplate(compare, image=CHEM_IMAGE),
        artifacts={"before": uploaded, "after": relax.outputs.artifacts["structure"]},
    )
    wf = Workflow(name="artifacts")
    wf.add(relax)
    wf.add(report)
    return wf


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        # A user's file: a Cu cell with one atom pushed off its site.
        mine = Path(tmp) / "my_cu.extxyz"
        atoms = bulk("Cu", "fcc", a=3.59, cubic=True)
        atoms.positions[1] += [0.15, -0.1, 0.05]
        write(mine, atoms)
        uploaded = upload_artifact(mine)  # stored now; the local file may go away

    wf = build_workflow(uploaded)
    wf.submit()
    print(f"workflow {wf.id}: {wf.wait()}")

    outputs = wf.query_step(name="compare")[0].outputs.artifacts
    [path] = download_artifact(outputs["report"], path="artifacts-out")
    frames = download_artifact(outputs["frames"], path="artifacts-out")
    print(f"downloaded {path} and {len(frames)} frames: {', '.join(sorted(frames))}")
    print(Path(path).read_text(), end="")


if __name__ == "__main__":
    main()
