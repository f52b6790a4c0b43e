"""Argo's S3 artifact driver and archive handling, as the executor (``argoexec``) applies them.

Rules followed (argoproj/argo-workflows, read at v4.1.2 ``f016ad89``; unchanged in
substance since v3.5):

- location: ``ArtifactLocation.Relocate`` (pkg/apis/workflow/v1alpha1/workflow_types.go)
  keeps an artifact's own location only when it is *full* (``S3Artifact.HasLocation``:
  endpoint, bucket and key); otherwise everything but the key comes from the template's
  archive location, i.e. the artifact repository (``podBuilder.addArchiveLocation``,
  workflow/controller/workflowpod.go). A ``{key, bucket}`` block therefore reads the
  repository's bucket.
- load: ``loadS3Artifact`` (workflow/artifacts/s3/s3.go) gets the key as one object, and on
  ``NoSuchKey`` as a "directory" (every object under ``key/``); then
  ``WorkflowExecutor.unarchiveArtifact`` (workflow/executor/executor.go) untars gzip'd
  tarballs (auto-detected unless ``archive`` says otherwise) through ``unpack``: when the
  tarball holds a single top-level entry, *that entry* is renamed onto the artifact path.
- save: ``WorkflowExecutor.stageArchiveFile`` tars+gzips the path (``archive.TarGzToWriter``,
  util/archive/archive.go: entries named under the path's base name) unless
  ``archive: none``, in which case a directory is uploaded object by object
  (``s3client.PutDirectory``) and a file as one object.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minio import Minio
from minio.error import S3Error

__all__ = ["ArtifactNotFound", "Repository", "Secrets", "load_artifact", "save_artifact"]

Secrets = dict[str, dict[str, str]]  # Kubernetes Secrets: name -> key -> value


class ArtifactNotFound(FileNotFoundError):
    """Argo's ``CodeNotFound``: an optional artifact is then skipped."""


@dataclass(frozen=True)
class Repository:
    """The namespace's default artifact repository (``artifactRepository.s3``)."""

    endpoint: str
    bucket: str
    access_key: str
    secret_key: str
    insecure: bool = True


def _client(art: dict[str, Any], repo: Repository, secrets: Secrets) -> tuple[Minio, str, str]:
    s3 = dict(art.get("s3") or {})
    key = str(s3.get("key", ""))
    full = bool(s3.get("endpoint") and s3.get("bucket") and key)  # S3Artifact.HasLocation
    if not full:  # ArtifactLocation.Relocate: the repository's location, our key
        return Minio(repo.endpoint, repo.access_key, repo.secret_key, secure=not repo.insecure), repo.bucket, key

    def secret(ref: dict[str, Any] | None) -> str:
        if not ref:
            return ""
        try:
            return secrets[ref["name"]][ref["key"]]
        except KeyError:
            raise RuntimeError(f"secret {ref.get('name')!r} has no key {ref.get('key')!r}") from None

    client = Minio(
        str(s3["endpoint"]), secret(s3.get("accessKeySecret")), secret(s3.get("secretKeySecret")),
        secure=not s3.get("insecure", False), region=s3.get("region") or None,
    )  # fmt: skip
    return client, str(s3["bucket"]), key


def _is_tarball(path: Path) -> bool:
    """``isTarball``: a gzip stream whose first tar header reads."""
    try:
        with gzip.open(path) as fh, tarfile.open(fileobj=io.BytesIO(fh.read()), mode="r:") as tar:
            return tar.next() is not None
    except (OSError, tarfile.TarError, EOFError):
        return False


def _unpack(tarball: Path, dest: Path) -> None:
    """``untar`` + ``unpack``: extract beside ``dest``; one top-level entry is renamed onto it."""
    tmp = Path(str(dest) + ".tmpdir")
    tmp.mkdir(parents=True)
    with tarfile.open(tarball, "r:gz") as tar:
        tar.extractall(tmp, filter="data")
    entries = list(tmp.iterdir())
    if len(entries) == 1:
        entries[0].rename(dest)
        tmp.rmdir()
    else:
        tmp.rename(dest)


def load_artifact(art: dict[str, Any], dest: Path, repo: Repository, secrets: Secrets) -> None:
    """Place the artifact at ``dest`` as ``loadArtifact`` does."""
    client, bucket, key = _client(art, repo, secrets)
    tmp = Path(str(dest) + ".tmp")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    try:
        client.fget_object(bucket, key, str(tmp))
    except S3Error as exc:
        if exc.code != "NoSuchKey":
            raise
        prefix = key.rstrip("/") + "/"
        objects = [o for o in client.list_objects(bucket, prefix=prefix, recursive=True) if not o.is_dir]
        if not objects:
            raise ArtifactNotFound(f"s3://{bucket}/{key}: no such key or directory") from None
        for obj in objects:
            name = str(obj.object_name)
            client.fget_object(bucket, name, str(tmp / name[len(prefix) :]))
    archive = art.get("archive") or {}
    if "none" in archive or tmp.is_dir():
        tmp.rename(dest)
    elif "tar" in archive or _is_tarball(tmp):
        _unpack(tmp, dest)
        tmp.unlink()
    else:
        tmp.rename(dest)


def _tar_gz(source: Path, target: Path) -> None:
    """``TarGzToWriter``: a directory's entries under its base name; a file as its base name."""
    with tarfile.open(target, "w:gz") as tar:
        tar.add(source, arcname=source.name)


def save_artifact(
    art: dict[str, Any], source: Path, repo: Repository, secrets: Secrets, scratch: Path
) -> dict[str, Any]:
    """Upload ``source`` as ``saveArtifact`` does; returns the artifact as the node records it."""
    client, bucket, key = _client(art, repo, secrets)
    archive = art.get("archive") or {}
    if "none" in archive:
        if source.is_dir():
            for root, _, files in os.walk(source):
                for file in files:
                    path = Path(root, file)
                    client.fput_object(bucket, f"{key}/{path.relative_to(source).as_posix()}", str(path))
        else:
            client.fput_object(bucket, key, str(source))
    else:
        scratch.mkdir(parents=True, exist_ok=True)
        tarball = scratch / f"{art['name']}.tgz"
        _tar_gz(source, tarball)
        client.fput_object(bucket, key, str(tarball))
        tarball.unlink()
    recorded = {k: v for k, v in art.items() if k != "optional"}
    recorded["s3"] = {**(art.get("s3") or {}), "key": key}
    return recorded


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
