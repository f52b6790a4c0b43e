"""Step caching as the local engine uses it: which templates cache, look-ups and new entries.

``code_digests`` runs at submit time in the user's process (the sources are there);
the engine gets the digests with the workflow and does the rest: a key per leaf
step from its resolved inputs, a look-up before it runs, an entry after it succeeds.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
import warnings
from typing import Any

from ..graph.collect import TemplateTable
from ..graph.script_templates import ScriptOPTemplate
from ..graph.template import OPTemplate, caches
from ..python.template import PythonOPTemplate
from ..records import StepRecord
from .code import code_digest
from .content import ContentDigests
from .index import CacheEntry, CacheIndex, live, open_index
from .key import step_key

__all__ = ["StepCache", "caches", "code_digests"]


def _instance_digest(instance: Any) -> str:
    """An OP given as an object (``PythonOPTemplate(MyOP(threshold=3))``): its attributes count too."""
    state = getattr(instance, "__dict__", None)
    if not state:
        return ""
    import cloudpickle

    return "-" + hashlib.sha256(cloudpickle.dumps(dict(sorted(state.items())))).hexdigest()


def code_digests(table: TemplateTable, workflow_cache: bool) -> dict[str, str]:
    """``{template name: code digest}`` for every leaf template that caches."""
    found: dict[str, str] = {}
    for name, template in table:
        if not caches(template, workflow_cache):
            continue
        if isinstance(template, PythonOPTemplate):
            try:
                found[name] = code_digest(template.op_class) + _instance_digest(template.op_instance)
            except Exception as exc:  # never guess a key: the template just runs every time
                warnings.warn(
                    f"template {name!r} will not be cached: its code could not be hashed ({type(exc).__name__}: {exc})",
                    stacklevel=2,
                )
        elif isinstance(template, ScriptOPTemplate):
            found[name] = "script"  # the script itself is one of the template's settings in the key
    return found


def _trees_exist(entry: CacheEntry) -> bool:
    """A local entry whose run was deleted has lost its files: not a hit."""
    from ..engine.local.state_store import io_from_json

    outputs = io_from_json(entry.outputs)
    return all(
        os.path.exists(part.tree.key)
        for ref in outputs.artifacts.values()
        for part in ref.parts
        if part.tree.storage == "local"
    )


class StepCache:
    """The engine's view of the cache for one run."""

    def __init__(self, digests: dict[str, str], store: str) -> None:
        self.digests = digests
        self.store = store
        self.contents = ContentDigests()
        self._index: CacheIndex | None = None

    @property
    def index(self) -> CacheIndex:
        if self._index is None:
            self._index = open_index(self.store)
        return self._index

    def key(self, template_name: str, template: OPTemplate, params: dict[str, str], arts: dict[str, Any]) -> str | None:
        code = self.digests.get(template_name)
        if code is None:
            return None
        return step_key(code, template, params, arts, self.contents)

    def lookup(self, key: str) -> CacheEntry | None:
        """The live entry for ``key``; an index that cannot be read is a miss (the step runs), said in engine.log."""
        try:
            entry = live(self.index, key)
        except Exception as exc:
            print(
                f"step cache {self.store}: cannot read entry {key[:12]}: {type(exc).__name__}: {exc}", file=sys.stderr
            )
            return None
        if entry is not None and not _trees_exist(entry):
            self.index.remove(key)
            return None
        return entry

    def add(self, key: str, rec: StepRecord) -> None:
        """Record a succeeded step; failing to (the store is down) costs only a later re-run."""
        try:
            self._put(key, rec)
        except Exception as exc:
            print(f"step cache {self.store}: cannot add {rec.name!r}: {type(exc).__name__}: {exc}", file=sys.stderr)

    def _put(self, key: str, rec: StepRecord) -> None:
        from ..engine.local.state_store import io_to_json

        self.index.put(
            CacheEntry(
                key=key, workflow_id=rec.workflow_id, step_id=rec.id, step_name=rec.name, template=rec.template,
                outputs=io_to_json(rec.outputs), created=time.time(), log_path=rec.log_path or "",
                workdir=rec.workdir or "",
            )
        )  # fmt: skip
