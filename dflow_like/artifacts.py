"""How a stored artifact is named, independent of the engine that made it.

An artifact is one or more stored directory trees ("parts") plus a *layout* per part
saying which paths inside the tree the OP returned (one path, a list or a dict). A
sliced step's gathered output has one part per item, in item order, so that a
downstream ``Artifact(List[Path])`` sees every item's paths in order without the
engine copying files into one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

__all__ = ["ArtifactPart", "ArtifactRef", "Layout", "StoredTree", "layout_paths"]

# A layout is a relative path, a list of layouts, a dict of layouts, or None for
# "the tree itself" (an uploaded directory, or a part whose structure is unknown).
Layout = Union[str, list[Any], dict[str, Any], None]  # noqa: UP007 - a runtime alias


@dataclass(frozen=True)
class StoredTree:
    """One directory tree in a store.

    ``storage`` is ``"local"`` (``key`` is an absolute directory path) or ``"s3"``
    (``key`` is an object key in ``bucket``: with ``archive="tar"`` one tar object,
    with ``archive=None`` a prefix under which each file is an object).
    """

    storage: str
    key: str
    archive: str | None = None
    bucket: str = ""
    root: str = ""  # a tar's top directory that holds the tree (Argo tars a path under its base name)

    def to_json(self) -> dict[str, Any]:
        data = {
            "storage": self.storage,
            "key": self.key,
            "archive": self.archive,
            "bucket": self.bucket,
        }
        if self.root:
            data["root"] = self.root
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StoredTree:
        return cls(data["storage"], data["key"], data.get("archive"), data.get("bucket", ""), data.get("root", ""))


@dataclass(frozen=True)
class ArtifactPart:
    tree: StoredTree
    layout: Layout = None


@dataclass(frozen=True)
class ArtifactRef:
    """A stored artifact: what ``download_artifact`` and step arguments accept."""

    parts: tuple[ArtifactPart, ...]
    gathered: bool = False  # True: one part per slice item, seen as one list
    name: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def local_path(self) -> str | None:
        """The directory of a single local part (dflow's ``local_path``)."""
        if len(self.parts) == 1 and self.parts[0].tree.storage == "local":
            return self.parts[0].tree.key
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "parts": [{"tree": p.tree.to_json(), "layout": p.layout} for p in self.parts],
            "gathered": self.gathered,
            "name": self.name,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ArtifactRef:
        parts = tuple(ArtifactPart(StoredTree.from_json(p["tree"]), p.get("layout")) for p in data["parts"])
        return cls(parts, bool(data.get("gathered", False)), str(data.get("name", "")))

    def __repr__(self) -> str:
        keys = ", ".join(p.tree.key for p in self.parts[:3])
        more = f", … {len(self.parts)} parts" if len(self.parts) > 3 else ""
        return f"ArtifactRef({self.name or 'artifact'}: {keys}{more})"


def layout_paths(layout: Layout) -> list[str]:
    """Every relative path a layout names, depth first, in order (``None`` → ``[""]``)."""
    if layout is None:
        return [""]
    if isinstance(layout, str):
        return [layout]
    if isinstance(layout, dict):
        return [p for value in layout.values() for p in layout_paths(value)]
    return [p for value in layout for p in layout_paths(value)]
