"""Move whole directory trees in and out of a store: the unit an artifact is made of.

``archive="tar"`` stores a tree as one ``.tgz`` object (one request however many
files); ``archive=None`` stores one object per file under a prefix and moves the
files on a thread pool. Every transfer is verified: a client that checks what it
moves (``verifies_transfers``, e.g. ``MinioStorageClient``: CRC32C stored at upload,
compared at download) is trusted; for any other client the local file's CRC32C is
compared with ``client.checksum(key)`` after each upload and download.

A ``tar`` tree is fetched with the client's ``fetch`` when it has one: a small
archive arrives in memory, verified, and is unpacked from there (no temp directory,
temp file, rename or removal per artifact, which dominated many small downloads).
``get_trees`` uses one client (one connection pool) per store for all its trees.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import ExitStack
from functools import partial
from pathlib import Path

from .._config import s3_config
from ..artifacts import StoredTree
from ._hashing import content_checksum, file_digest
from ._protocol import StorageClient
from .archive import pack, unpack
from .errors import ChecksumMismatch, ObjectNotFound, UnsafeArchiveError
from .factory import get_storage_client
from .local import LocalStorageClient

__all__ = ["DEFAULT_WORKERS", "client_for_tree", "get_tree", "get_trees", "new_key", "put_tree"]

DEFAULT_WORKERS = 8  # enough to hide request latency; more only adds GIL contention


def new_key(name: str = "artifact") -> str:
    """A fresh object key under ``s3_config["prefix"]`` (dflow's ``upload/<uuid>/`` form)."""
    return f"{s3_config['prefix']}upload/{uuid.uuid4().hex}/{name}"


def client_for_tree(tree: StoredTree) -> StorageClient:
    """The client that reads ``tree``: its directory, or the configured S3 store."""
    if tree.storage == "local":
        return LocalStorageClient(tree.key)
    return get_storage_client(bucket=tree.bucket or None)


def put_tree(
    client: StorageClient,
    local_dir: str | os.PathLike[str],
    key: str,
    archive: str | None = "tar",
    workers: int = DEFAULT_WORKERS,
) -> StoredTree:
    """Store the directory (or single file) ``local_dir`` under ``key``.

    A ``LocalStorageClient`` gives a ``"local"`` tree (a plain directory, never an
    archive); any other client an ``"s3"`` tree in its bucket.
    """
    source = Path(local_dir)
    if isinstance(client, LocalStorageClient):
        _put_files(client, source, key, workers)
        return StoredTree("local", str(client.path(key)), None)
    bucket = str(getattr(client, "bucket", "") or s3_config["bucket_name"])
    if archive is None:
        _put_files(client, source, key, workers)
        return StoredTree("s3", key, None, bucket)
    if archive != "tar":
        raise ValueError(f"archive must be 'tar' or None, not {archive!r}")
    with tempfile.TemporaryDirectory(prefix="dflow-like-") as scratch:
        tarball = os.path.join(scratch, "tree.tgz")
        pack(source, tarball)
        _upload(client, key, tarball)
    return StoredTree("s3", key, "tar", bucket)


def get_tree(
    tree: StoredTree,
    local_dir: str | os.PathLike[str],
    client: StorageClient | None = None,
    sub_path: str | None = None,
    workers: int = DEFAULT_WORKERS,
) -> Path:
    """Fetch ``tree`` (or only its relative ``sub_path``) into ``local_dir``.

    Returns the local path of what was asked for. Reads gzip or plain tar objects
    (Argo's ``.tgz`` artifacts too) and Argo's ``archive: none`` single-file objects.
    """
    client = client or client_for_tree(tree)
    target = Path(local_dir)
    sub = (sub_path or "").strip("/")
    if tree.archive == "tar" and tree.root:
        _get_under_root(client, tree, target, sub)
    elif tree.archive == "tar":
        with ExitStack() as scratch:
            tarball = _fetch(client, tree.key, scratch)
            unpack(io.BytesIO(tarball) if isinstance(tarball, bytes) else tarball, target, sub or None, name=tree.key)
    else:
        root = "" if tree.storage == "local" else tree.key
        _get_files(client, root, target, sub, workers)
    return target / sub if sub else target


def _get_under_root(client: StorageClient, tree: StoredTree, target: Path, sub: str) -> None:
    """A tar whose tree sits under one top directory ``tree.root``: place ``root/sub`` as ``sub``."""
    inner = f"{tree.root}/{sub}" if sub else tree.root
    target.mkdir(parents=True, exist_ok=True)
    with ExitStack() as scratch:
        tarball = _fetch(client, tree.key, scratch)
        tmp = Path(scratch.enter_context(tempfile.TemporaryDirectory(dir=target, prefix=".unpack-")))
        unpack(io.BytesIO(tarball) if isinstance(tarball, bytes) else tarball, tmp, inner)
        found, place = tmp / inner, target / sub if sub else target
        if found.is_dir():
            shutil.copytree(found, place, dirs_exist_ok=True, symlinks=True)
        elif found.exists():
            place.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(found), str(place))


def get_trees(
    items: Sequence[tuple[StoredTree, str | os.PathLike[str]]],
    client: StorageClient | None = None,
    sub_path: str | None = None,
    workers: int = DEFAULT_WORKERS,
) -> list[Path]:
    """``get_tree`` for many (tree, local_dir) pairs at once, e.g. a gathered slice output.

    The trees transfer in parallel; the result lists local paths in the given order.
    """
    results: list[Path] = [Path()] * len(items)
    clients: dict[tuple[str, str | None], StorageClient] = {}
    if client is None:  # one client (one connection pool) per store, not one per tree
        for tree, _ in items:
            if tree.storage != "local" and (tree.storage, tree.bucket) not in clients:
                clients[tree.storage, tree.bucket] = client_for_tree(tree)

    def fetch(index: int) -> None:
        tree, local_dir = items[index]
        own = client or clients.get((tree.storage, tree.bucket))
        results[index] = get_tree(tree, local_dir, own, sub_path, workers=1)

    _parallel([partial(fetch, i) for i in range(len(items))], workers)
    return results


def _put_files(client: StorageClient, source: Path, key: str, workers: int) -> None:
    if source.is_file():
        files = [(source.name, source)]
    else:
        files = [(p.relative_to(source).as_posix(), p) for p in source.rglob("*") if p.is_file()]
    base = key.rstrip("/")
    jobs = [partial(_upload, client, _join(base, rel), str(path)) for rel, path in files]
    _parallel(jobs, workers)


def _get_files(client: StorageClient, root: str, target: Path, sub: str, workers: int) -> None:
    wanted = _join(root.rstrip("/"), sub)
    if isinstance(client, LocalStorageClient) and not client.path(wanted).exists():
        raise ObjectNotFound(f"no {wanted or 'directory'!r} in {client.root}")
    keys = [k for k in client.list(wanted, recursive=True) if _under(k, wanted)]
    if not keys and root:  # Argo's ``archive: none``: the key is one file, not a prefix
        keys = [wanted]
    strip = root.rstrip("/") + "/" if root else ""
    target.mkdir(parents=True, exist_ok=True)
    jobs = [partial(_download, client, key, _destination(target, key, _relative(key, strip))) for key in keys]
    _parallel(jobs, workers)


def _destination(target: Path, key: str, relative: str) -> str:
    """Where object ``key`` lands under ``target``; a key that would climb out is refused.

    Object keys are free text: ``run/../../.bashrc`` or ``run//etc/x`` must not be
    written outside the download folder (checked before anything is fetched).
    """
    parts = relative.split("/")
    if ".." in parts or relative.startswith("/") or os.path.isabs(relative):
        raise UnsafeArchiveError(f"refusing object {key!r}: it would be written outside {str(target)!r}")
    destination = target / relative
    root = target.resolve()
    parent = Path(os.path.realpath(destination.parent))
    if parent != root and root not in parent.parents:
        raise UnsafeArchiveError(f"refusing object {key!r}: it lands outside {str(target)!r} through a link")
    return str(destination)


def _upload(client: StorageClient, key: str, path: str) -> None:
    client.upload(key, path)
    if not getattr(client, "verifies_transfers", False):
        _verify(client, key, path, "upload")


def _fetch(client: StorageClient, key: str, scratch: ExitStack) -> bytes | str:
    """Object ``key``, verified: its bytes if small enough, else a temp file's path.

    Uses the client's ``fetch`` (one GET, no temp file for a small object) when it
    has one and verifies what it moves; otherwise downloads to a temp file.
    """
    spilled: list[str] = []

    def spill() -> str:
        directory = scratch.enter_context(tempfile.TemporaryDirectory(prefix="dflow-like-"))
        spilled.append(os.path.join(directory, "tree.tgz"))
        return spilled[-1]

    fetch = getattr(client, "fetch", None)
    if fetch is not None and getattr(client, "verifies_transfers", False):
        data: bytes | None = fetch(key, spill)
        if data is not None:
            return data
        return spilled[-1]
    path = spill()
    _download(client, key, path)
    return path


def _download(client: StorageClient, key: str, path: str) -> None:
    client.download(key, path)
    if not getattr(client, "verifies_transfers", False):
        _verify(client, key, path, "download")


def _verify(client: StorageClient, key: str, path: str, what: str) -> None:
    """Compare the local file with ``client.checksum(key)``.

    A plugin client may still return a plain SHA-256 (the protocol's older
    definition), so that is tried before calling the copies different.
    """
    remote = client.checksum(key).strip().lower()
    if content_checksum(path) != remote and file_digest(path, "sha256") != remote:
        message = f"{what} of {key!r}: CRC32C of the local file differs from the stored object's"
        raise ChecksumMismatch(message, transient=True)


def _parallel(jobs: Iterable[Callable[[], None]], workers: int) -> None:
    """Run jobs on a thread pool; the first failure cancels the rest and is raised."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(job) for job in jobs]
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        for future in pending:
            future.cancel()
        for future in done:
            future.result()


def _relative(key: str, strip: str) -> str:
    """Where ``key`` lands under the target: its path in the tree, or its base name."""
    return key[len(strip) :] if key.startswith(strip) else key.rsplit("/", 1)[-1]


def _join(base: str, rel: str) -> str:
    return f"{base}/{rel}" if base and rel else base or rel


def _under(key: str, prefix: str) -> bool:
    return not prefix or key == prefix or key.startswith(prefix.rstrip("/") + "/")
