"""The durable state of one local run: a SQLite file (WAL) any process can read.

The engine is the only writer. Readers (``Workflow(id=...)`` in another process, the
CLI, a notebook view) open their own connections; WAL lets them read while it writes.
Node writes are grouped into one transaction committed every ``COMMIT_INTERVAL``
seconds (and at every workflow-level change), so a 1000-item fan-out costs tens of
commits, not thousands. After a crash, a step whose success was not yet committed
runs again on resume; nothing that depended on it can have run from a later commit.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..._gc import collection_paused
from ...artifacts import ArtifactRef
from ...records import IORecord, ParameterRecord, StepRecord

__all__ = ["StateStore", "child_counts", "has_counters", "io_from_json", "io_to_json", "phase_counts"]

COMMIT_INTERVAL = 0.05
_CHUNK = 500  # SQLite's parameter limit is 999 on old builds

_SCHEMA = """
CREATE TABLE IF NOT EXISTS workflow (
    id TEXT PRIMARY KEY, name TEXT, phase TEXT, created REAL, started REAL, finished REAL,
    engine_pid INTEGER, message TEXT, outputs TEXT, terminate INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS nodes (
    id TEXT PRIMARY KEY, seq INTEGER, parent_id TEXT, name TEXT, template TEXT, type TEXT,
    phase TEXT, key TEXT, start_time REAL, end_time REAL, attempts INTEGER, message TEXT,
    inputs TEXT, outputs TEXT, workdir TEXT, log_path TEXT, pid INTEGER, job_id TEXT, run_start REAL);
CREATE INDEX IF NOT EXISTS nodes_key ON nodes(key);
CREATE INDEX IF NOT EXISTS nodes_parent ON nodes(parent_id, phase);
CREATE INDEX IF NOT EXISTS nodes_phase ON nodes(phase, type);
CREATE INDEX IF NOT EXISTS nodes_name ON nodes(name);
"""

# Counts the views read instead of scanning the run (``view/summary.py``): children by
# phase under each parent, nodes by type and phase in the whole run. Triggers keep them,
# so every write (``save_node``, a retry's ``UPDATE``) changes them in its own transaction
# and they always equal a recount. A partial index finds the first failed pods at once.
_COUNTERS = """
CREATE TABLE IF NOT EXISTS child_counts (
    parent_id TEXT NOT NULL, phase TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (parent_id, phase)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS phase_counts (
    type TEXT NOT NULL, phase TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (type, phase)) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS nodes_count_insert AFTER INSERT ON nodes BEGIN
    INSERT INTO child_counts VALUES (coalesce(new.parent_id, ''), coalesce(new.phase, ''), 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO phase_counts VALUES (coalesce(new.type, ''), coalesce(new.phase, ''), 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS nodes_count_update AFTER UPDATE OF phase, type, parent_id ON nodes
WHEN old.phase IS NOT new.phase OR old.type IS NOT new.type OR old.parent_id IS NOT new.parent_id BEGIN
    UPDATE child_counts SET n = n - 1 WHERE parent_id = coalesce(old.parent_id, '') AND phase = coalesce(old.phase, '');
    INSERT INTO child_counts VALUES (coalesce(new.parent_id, ''), coalesce(new.phase, ''), 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
    UPDATE phase_counts SET n = n - 1 WHERE type = coalesce(old.type, '') AND phase = coalesce(old.phase, '');
    INSERT INTO phase_counts VALUES (coalesce(new.type, ''), coalesce(new.phase, ''), 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS nodes_count_delete AFTER DELETE ON nodes BEGIN
    UPDATE child_counts SET n = n - 1 WHERE parent_id = coalesce(old.parent_id, '') AND phase = coalesce(old.phase, '');
    UPDATE phase_counts SET n = n - 1 WHERE type = coalesce(old.type, '') AND phase = coalesce(old.phase, '');
END;
CREATE INDEX IF NOT EXISTS nodes_failed ON nodes(end_time) WHERE type = 'Pod' AND phase IN ('Failed', 'Error');
"""

# A state file written before the counters: fill them once from the nodes (same transaction).
_BACKFILL = """
INSERT INTO child_counts SELECT coalesce(parent_id, ''), coalesce(phase, ''), COUNT(*) FROM nodes GROUP BY 1, 2;
INSERT INTO phase_counts SELECT coalesce(type, ''), coalesce(phase, ''), COUNT(*) FROM nodes GROUP BY 1, 2;
"""

_NODE_COLUMNS = (
    "id, seq, parent_id, name, template, type, phase, key, start_time, end_time, attempts, "
    "message, inputs, outputs, workdir, log_path, pid, job_id, run_start"
)


def _statements(script: str) -> list[str]:
    """The complete statements of ``script`` (a trigger's body holds semicolons of its own)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return [s for s in statements if s]


def io_to_json(io: IORecord, progress: str | None = None) -> str:
    """``progress`` (a finished pod's "current/total") rides in its outputs' JSON: no schema change."""
    data: dict[str, Any] = {
        "parameters": {n: [p.raw, p.type_name] for n, p in io.parameters.items()},
        "artifacts": {n: a.to_json() for n, a in io.artifacts.items()},
    }
    if progress is not None:
        data["progress"] = progress
    return json.dumps(data, separators=(",", ":"))


def io_from_json(text: str | None) -> IORecord:
    return _io_and_progress(text)[0]


def _io_and_progress(text: str | None) -> tuple[IORecord, str | None]:
    if not text:
        return IORecord(), None
    data = json.loads(text)
    io = IORecord(
        {n: ParameterRecord(n, raw, tname) for n, (raw, tname) in data.get("parameters", {}).items()},
        {n: ArtifactRef.from_json(a) for n, a in data.get("artifacts", {}).items()},
    )
    return io, data.get("progress")


class _StoredIO(IORecord):
    """An ``IORecord`` decoded from its JSON on first use.

    ``query_step()`` of a 100k-item run builds 100k records; decoding their inputs and
    outputs up front was most of its cost, and most callers read a few of them.
    """

    def __init__(self, text: str) -> None:  # no super().__init__: the fields come from the text
        self._text = text

    def __getattr__(self, name: str) -> Any:  # only called while the fields are not set yet
        if name not in ("parameters", "artifacts"):
            raise AttributeError(name)
        decoded = io_from_json(self.__dict__.pop("_text", None))
        self.parameters, self.artifacts = decoded.parameters, decoded.artifacts
        return getattr(self, name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IORecord):
            return NotImplemented
        return (self.parameters, self.artifacts) == (other.parameters, other.artifacts)

    def __repr__(self) -> str:
        return repr(IORecord(self.parameters, self.artifacts))


def _stored_io(text: str | None) -> IORecord:
    return _StoredIO(text) if text else IORecord()


class StateStore:
    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = path
        if readonly:
            self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30, check_same_thread=False)
        else:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))  # private; SQLite gives -wal/-shm its mode
            self.db = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
            with contextlib.suppress(sqlite3.OperationalError):  # a state file from before run_start
                self.db.execute("ALTER TABLE nodes ADD COLUMN run_start REAL")
            self._add_counters()
        self._seq = 0
        self._in_tx = False
        self._commit_scheduled = False
        # Set by the engine once its loop runs (``loop.call_later``): node writes are
        # then grouped into one commit per interval. Readers never need asyncio.
        self.call_later: Callable[[float, Callable[[], None]], object] | None = None

    @classmethod
    def create(cls, path: Path, wf_id: str, name: str, created: float, owner_pid: int) -> None:
        """Make a run's state file whole or not at all (built aside, then renamed in place).

        A reader in another process either finds no run or one with its tables and a
        ``Pending`` row; its ``engine_pid`` is ``owner_pid`` (the submitting process,
        which starts the engine) until the engine's own pid replaces it.
        """
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        store = cls(tmp)
        store.init_workflow(wf_id, name, created)
        store.update_workflow(engine_pid=owner_pid)
        store.close()  # the last connection: SQLite folds the WAL into the file and removes it
        os.replace(tmp, path)

    def close(self) -> None:
        self.commit()
        self.db.close()

    def _add_counters(self) -> None:
        """Create the counters and their triggers; fill them when an older state file lacks them."""
        if self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'nodes_count_insert'").fetchone():
            return
        self.db.execute("BEGIN IMMEDIATE")  # checked again inside: two writers must not fill them twice
        try:
            if not self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'nodes_count_insert'").fetchone():
                for statement in _statements(_COUNTERS + _BACKFILL):
                    self.db.execute(statement)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    # --- writes (engine only) -------------------------------------------------------
    def _defer_commit(self) -> None:
        """Commit soon, through ``call_later`` (the engine's event loop), or now without one."""
        if self._commit_scheduled:
            return
        if self.call_later is None:
            self.commit()
            return
        self._commit_scheduled = True
        self.call_later(COMMIT_INTERVAL, self.commit)

    def begin(self) -> None:
        if not self._in_tx:
            self.db.execute("BEGIN")
            self._in_tx = True

    def commit(self) -> None:
        self._commit_scheduled = False
        if self._in_tx:
            self.db.execute("COMMIT")
            self._in_tx = False

    def init_workflow(self, wf_id: str, name: str, created: float) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO workflow (id, name, phase, created) VALUES (?, ?, 'Pending', ?)",
            (wf_id, name, created),
        )

    def update_workflow(self, **fields: Any) -> None:
        self.commit()
        if "outputs" in fields and not isinstance(fields["outputs"], str):
            fields["outputs"] = json.dumps(fields["outputs"])
        assignments = ", ".join(f"{k} = ?" for k in fields)
        self.db.execute(f"UPDATE workflow SET {assignments}", tuple(fields.values()))

    def save_node(self, rec: StepRecord, pid: int | None = None, job_id: str | None = None) -> None:
        if not self._seq:  # a resumed engine numbers its new nodes after those it found
            self._seq = int(self.db.execute("SELECT coalesce(max(seq), 0) FROM nodes").fetchone()[0])
        self._seq += 1
        self.begin()
        self._defer_commit()
        self.db.execute(
            f"INSERT INTO nodes ({_NODE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT(id) DO UPDATE SET phase=excluded.phase, type=excluded.type, key=excluded.key, "
            "start_time=excluded.start_time, end_time=excluded.end_time, attempts=excluded.attempts, "
            "message=excluded.message, inputs=excluded.inputs, outputs=excluded.outputs, "
            "workdir=excluded.workdir, log_path=excluded.log_path, pid=excluded.pid, job_id=excluded.job_id, "
            "run_start=excluded.run_start",
            (
                rec.id, self._seq, rec.parent_id, rec.name, rec.template, rec.type, rec.phase, rec.key,
                rec.start_time, rec.end_time, rec.attempts, rec.message, io_to_json(rec.inputs),
                io_to_json(rec.outputs, rec.progress), rec.workdir, rec.log_path, pid, job_id or rec.job_id,
                rec.run_start_time,
            ),
        )  # fmt: skip

    # --- reads (any process) --------------------------------------------------------
    def workflow_row(self) -> dict[str, Any] | None:
        cur = self.db.execute(
            "SELECT id, name, phase, created, started, finished, engine_pid, message, outputs, terminate FROM workflow"
        )
        row = cur.fetchone()
        if row is None:
            return None
        keys = [
            "id",
            "name",
            "phase",
            "created",
            "started",
            "finished",
            "engine_pid",
            "message",
            "outputs",
            "terminate",
        ]
        return dict(zip(keys, row))

    def step_summary(self) -> tuple[int, float | None]:
        """(steps, the run's start): nodes but the root, counted by SQLite in an index; no record is read."""
        (count,) = self.db.execute("SELECT COUNT(*) FROM nodes").fetchone()
        root = self.db.execute("SELECT start_time FROM nodes WHERE parent_id IS NULL ORDER BY seq LIMIT 1").fetchone()
        return (int(count) - 1, root[0]) if root else (int(count), None)

    def nodes(self, where: str = "", args: tuple[Any, ...] = ()) -> list[StepRecord]:
        columns = _NODE_COLUMNS if self._has_run_start() else _NODE_COLUMNS.replace("run_start", "NULL")
        sql = f"SELECT {columns} FROM nodes {where} ORDER BY start_time IS NULL, start_time, seq"
        rows = self.db.execute(sql, args).fetchall()
        with collection_paused():  # the records hold no cycles: collecting only rescans them
            return [self._record(row) for row in rows]

    def _record(self, row: tuple[Any, ...]) -> StepRecord:
        wf = self._workflow_id()
        outputs, progress = _io_and_progress(row[13])
        return StepRecord(
            id=row[0], name=row[3], workflow_id=wf, parent_id=row[2], template=row[4] or "", type=row[5],
            phase=row[6], key=row[7], start_time=row[8], end_time=row[9], attempts=row[10] or 0,
            message=row[11] or "", inputs=_stored_io(row[12]), outputs=outputs,
            workdir=row[14], log_path=row[15], job_id=row[17], run_start_time=row[18], progress=progress,
        )  # fmt: skip

    def _has_run_start(self) -> bool:
        """False for a state file written before ``run_start`` (read-only readers cannot add it)."""
        if not hasattr(self, "_run_start"):
            self._run_start = any(row[1] == "run_start" for row in self.db.execute("PRAGMA table_info(nodes)"))
        return self._run_start

    def _workflow_id(self) -> str:
        if not hasattr(self, "_wf_id"):
            row = self.db.execute("SELECT id FROM workflow").fetchone()
            self._wf_id = row[0] if row else ""
        return self._wf_id


# --- the counters, for readers on their own connections (``view/summary.py``) ------------
def has_counters(db: sqlite3.Connection) -> bool:
    """False for a state file from before the counters that no writer has opened since."""
    return db.execute("SELECT 1 FROM sqlite_master WHERE name = 'nodes_count_insert'").fetchone() is not None


def child_counts(db: sqlite3.Connection, parent_ids: list[str]) -> dict[str, dict[str, int]]:
    """Children by phase of each of ``parent_ids`` (the counters; rows read: parents times phases)."""
    found: dict[str, dict[str, int]] = {}
    for start in range(0, len(parent_ids), _CHUNK):
        chunk = parent_ids[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for parent, phase, n in db.execute(
            f"SELECT parent_id, phase, n FROM child_counts WHERE parent_id IN ({marks}) AND n > 0", chunk
        ):
            found.setdefault(str(parent), {})[str(phase)] = int(n)
    return found


def phase_counts(db: sqlite3.Connection) -> dict[tuple[str, str], int]:
    """The run's nodes by ``(type, phase)`` (the counters: a few rows whatever the run's size)."""
    return {(str(t), str(p)): int(n) for t, p, n in db.execute("SELECT type, phase, n FROM phase_counts WHERE n > 0")}
