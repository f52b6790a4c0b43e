"""Where cache entries live: a SQLite file in the home (local runs) or objects in the artifact store.

An entry maps a cache key to the step that produced the outputs (its run, id and
name) and those outputs as stored (artifacts by reference). Runs whose artifacts go
to S3 (``config["debug_s3"]``, Slurm jobs on other machines) keep their entries
in the same store, under ``<s3 prefix>dflow-like-cache/``, so every machine that
reads the store shares them. Entries older than ``config["cache_max_age"]`` (Argo's
``memoize.maxAge`` form: ``"720h"``, ``"30m"``, ``"90s"``; ``""`` never expires) are
ignored and removed when met.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from .._config import config, home_dir, s3_config

__all__ = ["CacheEntry", "CacheIndex", "LocalIndex", "S3Index", "clear", "live", "max_age_seconds", "open_index"]

S3_FOLDER = "dflow-like-cache/"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$")


def max_age_seconds(text: str | None = None) -> float | None:
    """``config["cache_max_age"]`` in seconds; None when entries never expire."""
    raw = str(config["cache_max_age"] if text is None else text)
    if not raw.strip():
        return None
    match = _DURATION.match(raw)
    if match is None:
        raise ValueError(f"config['cache_max_age']: expected a duration like '720h', '30m' or '90s', got {raw!r}")
    return float(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2) or "s"]


@dataclass
class CacheEntry:
    key: str
    workflow_id: str
    step_id: str
    step_name: str
    template: str
    outputs: str  # the step's outputs as the state store writes them (io_to_json)
    created: float
    log_path: str = ""
    workdir: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> CacheEntry:
        return cls(**json.loads(text))


class CacheIndex(Protocol):
    where: str

    def get(self, key: str) -> CacheEntry | None: ...

    def put(self, entry: CacheEntry) -> None: ...

    def entries(self) -> list[CacheEntry]: ...

    def remove(self, key: str) -> None: ...


def _expired(entry: CacheEntry, max_age: float | None) -> bool:
    return max_age is not None and time.time() - entry.created > max_age


class LocalIndex:
    """``<home>/cache/index.db``: one row per key; the engine writes, the CLI reads and clears."""

    def __init__(self, home: Path | None = None) -> None:
        folder = (home or home_dir()) / "cache"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.where = str(folder / "index.db")
        self.db = sqlite3.connect(self.where, timeout=30, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, entry TEXT, created REAL)")

    def get(self, key: str) -> CacheEntry | None:
        row = self.db.execute("SELECT entry FROM entries WHERE key = ?", (key,)).fetchone()
        return CacheEntry.from_json(row[0]) if row else None

    def put(self, entry: CacheEntry) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO entries (key, entry, created) VALUES (?, ?, ?)",
            (entry.key, entry.to_json(), entry.created),
        )

    def entries(self) -> list[CacheEntry]:
        return [CacheEntry.from_json(r[0]) for r in self.db.execute("SELECT entry FROM entries ORDER BY created")]

    def remove(self, key: str) -> None:
        self.db.execute("DELETE FROM entries WHERE key = ?", (key,))

    def close(self) -> None:
        self.db.close()


class S3Index:
    """One small JSON object per key in the artifact store, shared by every machine using it."""

    def __init__(self) -> None:
        from ..storage import get_storage_client

        self.client = get_storage_client()
        self.folder = f"{s3_config['prefix'] or ''}{S3_FOLDER}"
        self.where = f"s3://{s3_config['bucket_name']}/{self.folder}"

    def _object(self, key: str) -> str:
        return f"{self.folder}{key}.json"

    def get(self, key: str) -> CacheEntry | None:
        import tempfile

        with tempfile.TemporaryDirectory() as scratch:
            target = f"{scratch}/entry.json"
            from ..storage.errors import ObjectNotFound

            try:
                self.client.download(self._object(key), target)
            except (ObjectNotFound, FileNotFoundError):  # a miss (a store that is down raises)
                return None
            return CacheEntry.from_json(Path(target).read_text())

    def put(self, entry: CacheEntry) -> None:
        import tempfile

        with tempfile.TemporaryDirectory() as scratch:
            source = Path(scratch) / "entry.json"
            source.write_text(entry.to_json())
            self.client.upload(self._object(entry.key), str(source))

    def entries(self) -> list[CacheEntry]:
        from ..storage.errors import ObjectNotFound

        found = []
        try:
            names = self.client.list(self.folder, recursive=True)
        except ObjectNotFound:  # no bucket yet: nothing was ever cached there
            return []
        for name in names:
            entry = self.get(Path(name).name.removesuffix(".json"))
            if entry is not None:
                found.append(entry)
        return sorted(found, key=lambda e: e.created)

    def remove(self, key: str) -> None:
        remove = getattr(self.client, "remove", None)
        if remove is None:
            raise RuntimeError(f"the storage client {self.client!r} cannot remove objects: clear {self.where} by hand")
        remove(self._object(key))


def open_index(store: str | None = None) -> CacheIndex:
    """The index for runs storing artifacts in ``store`` ("local" or "s3"; default: as configured)."""
    chosen = store or ("s3" if config["debug_s3"] else "local")
    return S3Index() if chosen == "s3" else LocalIndex()


def live(index: CacheIndex, key: str) -> CacheEntry | None:
    """The entry for ``key`` unless it has expired (then it is removed)."""
    entry = index.get(key)
    if entry is not None and _expired(entry, max_age_seconds()):
        index.remove(key)
        return None
    return entry


def clear(index: CacheIndex, expired_only: bool = False) -> int:
    max_age = max_age_seconds()
    count = 0
    for entry in index.entries():
        if not expired_only or _expired(entry, max_age):
            index.remove(entry.key)
            count += 1
    return count
