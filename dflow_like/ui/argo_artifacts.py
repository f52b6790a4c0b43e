"""An Argo step's output artifact for the dashboard: from storage, else from the Argo Server.

Our Argo runs keep their artifacts in the S3-compatible store ``s3_config`` names, so the
dashboard reads them as ``download_artifact`` does, with the user's credentials (they stay
in this process; the browser only ever gets the files). Without configured credentials,
or when the store refuses, the files come from the Argo Server's artifact endpoint
(``GetOutputArtifact``, server/artifacts/artifact_server.go), which streams a node's
artifact as stored: the ``.tgz`` Argo made (unpacked here as storage trees are, its top
directory being the output path's base name) or an ``archive: none`` file. A non-archived
*directory* is only served file by file there (``/artifact-files/``), so that case needs
the store.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .._config import s3_config
from ..artifacts import ArtifactRef, item_dirs, layout_paths
from ..engine.argo.client import ArgoClient, ArgoError
from ..storage.errors import ObjectNotFound, StorageError
from ..storage.trees import get_tree
from ..transfer import download_artifact

__all__ = ["ServerArtifacts", "place_argo_artifact", "storage_configured"]


def storage_configured() -> bool:
    """Whether the user set up storage credentials (keys, or a client such as boto3's chain)."""
    return bool(s3_config["access_key"]) or s3_config["storage_client"] not in (None, "")


def place_argo_artifact(
    client: ArgoClient, wf_id: str, ref: ArtifactRef, owners: dict[str, tuple[str, str]], dest: Path
) -> list[str]:
    """Place an output artifact of run ``wf_id`` in ``dest`` as ``download_artifact`` would
    (``ref`` and ``owners`` as ``ArgoRuns.artifact`` gives them)."""
    refused: Exception | None = None
    if storage_configured():
        try:
            return download_artifact(ref, path=dest)
        except (StorageError, OSError) as exc:
            refused = exc
            shutil.rmtree(dest, ignore_errors=True)
    try:
        return _place(ref, dest, ServerArtifacts(client, wf_id, owners))
    except StorageError as exc:
        why = f"storage refused it ({refused}); " if refused else "no storage credentials are set (s3_config); "
        raise StorageError(f"artifact {ref.name!r} of {wf_id}: {why}the Argo Server: {exc}") from None


def _place(ref: ArtifactRef, dest: Path, client: ServerArtifacts) -> list[str]:
    """``download_artifact``'s placement (items, layouts), reading through ``client``."""
    dirs = item_dirs(ref)
    dest.mkdir(parents=True, exist_ok=True)
    out: list[str] = []
    for index, part in enumerate(ref.parts):
        root = dest / dirs[index] if dirs else dest
        for rel in layout_paths(part.layout):
            get_tree(part.tree, root, client=client, sub_path=rel or None)  # type: ignore[arg-type]
            out.append(str(root / rel) if rel else str(root))
    return out


class ServerArtifacts:
    """The objects of one run's artifacts, read through the Argo Server (read-only).

    Stands in for a storage client under ``get_tree``: each stored key is one node's
    artifact, fetched whole from ``/artifacts/...``. The server sends no checksum, so
    ``verifies_transfers`` says: trust the transfer as the HTTP connection delivered it.
    """

    verifies_transfers = True

    def __init__(self, client: ArgoClient, wf_id: str, owners: dict[str, tuple[str, str]]) -> None:
        self.client, self.wf_id, self.owners = client, wf_id, owners

    def download(self, key: str, path: str) -> None:
        owner = self.owners.get(key)
        if owner is None:
            raise ObjectNotFound(
                f"{key!r} is not one node's whole artifact; the Argo Server serves it only file by file"
            )
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.client.output_artifact(self.wf_id, owner[0], owner[1], path)
        except ArgoError as exc:
            raise ObjectNotFound(str(exc)) from None

    def list(self, prefix: str, recursive: bool = False) -> list[str]:
        return [prefix] if prefix in self.owners else []
