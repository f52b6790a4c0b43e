"""An Argo step's output artifact for the dashboard: from storage, else from the Argo Server.

Our Argo runs keep their artifacts in the S3-compatible store ``s3_config`` names, so the
dashboard reads them as ``download_artifact`` does, with the user's credentials (they stay
in this process; the browser only ever gets the files). Without configured credentials,
or when the store refuses, the files come from the Argo Server's artifact endpoint
(``GetOutputArtifact``, server/artifacts/artifact_server.go), which streams a node's
artifact as stored: the ``.tgz`` Argo made (unpacked here as storage trees are, its top
directory being the output path's base name) or an ``archive: none`` file; an unarchived
directory (a loop item's output) comes file by file through ``/artifact-files/``
(``GetArtifactFile``), whose listings say what it holds. A run read from the archive
(garbage-collected from the cluster) is read through the same routes by its uid.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .._config import s3_config
from .._transfer import download_artifact
from ..artifacts import ArtifactRef, item_dirs, layout_paths
from ..engine.argo.client import ArgoClient, ArgoError
from ..storage.errors import ObjectNotFound, StorageError
from ..storage.trees import get_tree

__all__ = ["ServerArtifacts", "place_argo_artifact", "storage_configured"]


def storage_configured() -> bool:
    """Whether the user set up storage credentials (keys, or a client such as boto3's chain)."""
    return bool(s3_config["access_key"]) or s3_config["storage_client"] not in (None, "")


def place_argo_artifact(
    client: ArgoClient,
    wf_id: str,
    ref: ArtifactRef,
    owners: dict[str, tuple[str, str]],
    dest: Path,
    uid: str | None = None,
) -> list[str]:
    """Place an output artifact of run ``wf_id`` in ``dest`` as ``download_artifact`` would
    (``ref`` and ``owners`` as ``ArgoRuns.artifact`` gives them); ``uid`` for a run the
    server reads from its archive (``ArgoRuns.archived_uid``)."""
    refused: Exception | None = None
    if storage_configured():
        try:
            return download_artifact(ref, path=dest)
        except (StorageError, OSError) as exc:
            refused = exc
            shutil.rmtree(dest, ignore_errors=True)
    try:
        return _place(ref, dest, ServerArtifacts(client, wf_id, owners, uid))
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
            get_tree(part.tree, root, client=client, sub_path=rel or None)
            out.append(str(root / rel) if rel else str(root))
    return out


class ServerArtifacts:
    """The objects of one run's artifacts, read through the Argo Server (read-only).

    Stands in for a storage client under ``get_tree``: a stored key is a node's artifact,
    fetched whole (``/artifacts/``), or a key under an unarchived one, fetched as one of its
    files (``/artifact-files/``), whose listings give what is under a prefix. The server
    sends no checksum: ``verifies_transfers`` trusts what the HTTP connection delivered.
    """

    verifies_transfers = True

    def __init__(
        self, client: ArgoClient, wf_id: str, owners: dict[str, tuple[str, str]], uid: str | None = None
    ) -> None:
        self.client, self.wf_id, self.owners, self.uid = client, wf_id, owners, uid

    def _owner(self, key: str) -> tuple[str, str, str]:
        """(node id, artifact name, path inside the artifact) of ``key``."""
        parts = key.strip("/").split("/")
        for cut in range(len(parts), 0, -1):
            owner = self.owners.get("/".join(parts[:cut]))
            if owner is not None:
                return owner[0], owner[1], "/".join(parts[cut:])
        raise ObjectNotFound(f"{key!r} is not in an artifact of a node of {self.wf_id!r}")

    def download(self, key: str, path: str) -> None:
        node, artifact, inside = self._owner(key)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            if inside:
                self.client.output_artifact_file(self.wf_id, node, artifact, inside, path, self.uid)
            else:
                self.client.output_artifact(self.wf_id, node, artifact, path, self.uid)
        except ArgoError as exc:
            raise ObjectNotFound(str(exc)) from None

    def list(self, prefix: str, recursive: bool = False) -> list[str]:
        """Every file key under ``prefix`` (recursive either way: ``get_tree`` asks for all)."""
        try:
            node, artifact, inside = self._owner(prefix)
        except ObjectNotFound:
            return []
        base = prefix.strip("/")[: len(prefix.strip("/")) - len(inside)].rstrip("/")
        found: dict[str, None] = {}  # in order, once: a listing names "a/" and "a/b/" both

        def walk(directory: str) -> None:
            try:
                entries = self.client.output_artifact_listing(self.wf_id, node, artifact, directory, self.uid)
            except ArgoError as exc:
                if exc.status == 404:
                    return
                raise ObjectNotFound(str(exc)) from None
            for entry in entries:
                rel = f"{directory}/{entry}" if directory else entry
                if entry.endswith("/"):
                    walk(rel.rstrip("/"))
                else:
                    found[f"{base}/{rel}"] = None

        walk(inside)
        return list(found)

    def upload(self, key: str, path: str) -> None:
        raise StorageError(f"the Argo Server's artifact routes are read-only (cannot store {key!r})")

    def copy(self, src: str, dst: str) -> None:
        raise StorageError(f"the Argo Server's artifact routes are read-only (cannot copy {src!r})")

    def get_md5(self, key: str) -> str:
        raise StorageError(f"the Argo Server gives no checksum of {key!r}")

    def checksum(self, key: str) -> str:
        raise StorageError(f"the Argo Server gives no checksum of {key!r}")
