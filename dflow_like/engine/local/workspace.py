"""Where a local run keeps its files: one directory per workflow under the home."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["Workspace"]


class Workspace:
    """``<home>/workflows/<id>/``: ``state.db``, ``workflow.pkl``, ``engine.log``, ``steps/``."""

    def __init__(self, home: Path, wf_id: str) -> None:
        self.home = home
        self.id = wf_id
        self.root = home / "workflows" / wf_id

    @property
    def db_path(self) -> Path:
        return self.root / "state.db"

    @property
    def payload_path(self) -> Path:
        return self.root / "workflow.pkl"

    @property
    def engine_log(self) -> Path:
        return self.root / "engine.log"

    def attempt_dir(self, node_id: str, attempt: int) -> Path:
        return self.root / "steps" / node_id / str(attempt)

    def create(self) -> None:
        """Make the run's directory, private to the user (0700), as are the home and its ``workflows``.

        A home made before (say, 0755 by an older version) is tightened: runs hold the
        user's code and data.
        """
        for directory in (self.home, self.home / "workflows"):
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = directory.stat()
            if info.st_mode & 0o077 and info.st_uid == os.getuid():
                directory.chmod(0o700)
        self.root.mkdir(mode=0o700)

    def exists(self) -> bool:
        return self.db_path.exists()

    @staticmethod
    def all_ids(home: Path) -> list[str]:
        base = home / "workflows"
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if (p / "state.db").exists())
