"""Artifacts in S3-compatible storage (MinIO, SeaweedFS, AWS S3) instead of local disk.

    DFLOW_LIKE_S3_ENDPOINT=127.0.0.1:8333 DFLOW_LIKE_S3_ACCESS_KEY=... \\
    DFLOW_LIKE_S3_SECRET_KEY=... DFLOW_LIKE_S3_BUCKET_NAME=my-bucket python examples/s3_storage.py

Every ``s3_config`` key is read from a ``DFLOW_LIKE_S3_<KEY>`` environment variable, so
credentials stay out of the program (and out of manifests and logs). With ``debug_s3``
the local engine keeps every artifact in the bucket, as an Argo run would: a structure
is uploaded, relaxed, and the result downloaded back.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ase.build import bulk
from ase.io import read, write

from dflow_like import ArtifactRef, Step, Workflow, download_artifact, s3_config, set_config, upload_artifact
from dflow_like.artifacts import ArtifactPart, StoredTree
from dflow_like.ops import CHEM_IMAGE, Relax
from dflow_like.python import PythonOPTemplate

# What upload_artifact() below returns: the default of build_workflow(), so the workflow
# compiles (e.g. for Argo) without a server.
IN_S3 = ArtifactRef((ArtifactPart(StoredTree("s3", "upload/cu-displaced", "tar"), "cu_displaced.extxyz"),))


def build_workflow(uploaded: ArtifactRef = IN_S3) -> Workflow:
    wf = Workflow(name="s3-storage")
    wf.add(Step("relax", PythonOPTemplate(Relax, image=CHEM_IMAGE), artifacts={"structure": uploaded}))
    return wf


def main() -> None:
    if not os.environ.get("DFLOW_LIKE_S3_ENDPOINT"):
        raise SystemExit("set DFLOW_LIKE_S3_ENDPOINT (and _ACCESS_KEY, _SECRET_KEY, _BUCKET_NAME)")
    set_config(debug_s3=True)  # local engine, artifacts in S3
    print(f"endpoint {s3_config['endpoint']}, bucket {s3_config['bucket_name']!r}")

    with tempfile.TemporaryDirectory() as tmp:
        start = Path(tmp) / "cu_displaced.extxyz"
        atoms = bulk("Cu", "fcc", a=3.59, cubic=True)
        atoms.positions[0] += [0.1, 0.1, 0.0]
        write(start, atoms)
        uploaded = upload_artifact(start)
    print(f"uploaded to s3://{uploaded.parts[0].tree.bucket}/{uploaded.parts[0].tree.key}")

    wf = build_workflow(uploaded)
    wf.submit()
    print(f"workflow {wf.id}: {wf.wait()}")
    out = wf.query_step(name="relax")[0].outputs
    tree = out.artifacts["structure"].parts[0].tree
    print(f"output stored at s3://{tree.bucket}/{tree.key}")
    [path] = download_artifact(out.artifacts["structure"], path="s3-out")
    relaxed = read(path)
    print(
        f"downloaded {path}: {len(relaxed)} atoms, E = {out.parameters['energy'].value:.5f} eV, "
        f"max|F| = {out.parameters['max_force'].value:.4f} eV/Å"
    )


if __name__ == "__main__":
    main()
