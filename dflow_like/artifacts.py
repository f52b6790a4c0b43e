"""How a stored artifact is named, independent of the engine that made it.

An artifact is one or more stored directory trees ("parts") plus a *layout* per part
saying which paths inside the tree the OP returned (one path, a list or a dict). A
sliced step's gathered output has one part per item, in item order, so that a
downstream ``Artifact(List[Path])`` sees every item's paths in order without the
engine copying files into one place.

Placing a gathered artifact in one directory (a download, or a downstream step's
input) follows dflow: every item's paths merged into the directory (dflow saves all
items under one key), unless two items name the same path or the step asked
``Slices(create_dir=True)``; then each item's files go under ``<item position>/``
(dflow's ``slice_to_dir`` layout). See :func:`item_dirs`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

__all__ = ["ArtifactPart", "ArtifactRef", "Layout", "StoredTree", "item_dirs", "layout_paths"]

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
    """A stored artifact: what ``download_artifact`` and step arguments accept.

    A gathered artifact (a fan-out's output) has one part per item that produced it.
    ``positions`` is the item index of each part when some items left nothing (they
    failed, and ``continue_on_num_success``/``_ratio``/``_failed`` let the step go on);
    ``None`` means parts ``0, 1, ...`` are items ``0, 1, ...``. ``item_dirs`` is
    ``Slices(create_dir=True)``: always place each item under ``<position>/``.
    """

    parts: tuple[ArtifactPart, ...]
    gathered: bool = False  # True: one part per slice item, seen as one list
    name: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    positions: tuple[int, ...] | None = None
    item_dirs: bool = False

    def item_positions(self) -> list[int]:
        """The item index of each part (``0, 1, ...`` unless some items left no output)."""
        return list(self.positions) if self.positions is not None else list(range(len(self.parts)))

    @property
    def local_path(self) -> str | None:
        """The directory of a single local part (dflow's ``local_path``)."""
        if len(self.parts) == 1 and self.parts[0].tree.storage == "local":
            return self.parts[0].tree.key
        return None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "parts": [{"tree": p.tree.to_json(), "layout": p.layout} for p in self.parts],
            "gathered": self.gathered,
            "name": self.name,
        }
        if self.positions is not None:  # only when set: older records and hashes stay as they were
            data["positions"] = list(self.positions)
        if self.item_dirs:
            data["item_dirs"] = True
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ArtifactRef:
        parts = tuple(ArtifactPart(StoredTree.from_json(p["tree"]), p.get("layout")) for p in data["parts"])
        positions = data.get("positions")
        return cls(
            parts,
            bool(data.get("gathered", False)),
            str(data.get("name", "")),
            positions=tuple(int(p) for p in positions) if positions is not None else None,
            item_dirs=bool(data.get("item_dirs", False)),
        )

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


def item_dirs(ref: ArtifactRef) -> list[str] | None:
    """The sub-directory of each part when ``ref`` is placed in one directory, or ``None`` (merged).

    Merged is dflow's default: its sliced steps save every item's files under one key
    (dflow ``step.py``, ``merge_output_artifact``: ``S3Artifact(key=".../<name>")``),
    so a download holds them side by side. Where that would lose files (two items
    naming the same path, or one item's path inside another's) each item goes under
    ``<position>/``, the layout dflow gives with ``Slices(create_dir=True)``
    (``python/utils.py``: ``handle_output_artifact`` → ``copy_results(slice_dir=
    slice_to_dir(slices))``), which also forces it here.
    """
    if len(ref.parts) == 0 or (len(ref.parts) == 1 and not ref.item_dirs):
        return None
    if ref.item_dirs or _overlaps(ref.parts):
        return [str(p) for p in ref.item_positions()]
    return None


def _overlaps(parts: tuple[ArtifactPart, ...]) -> bool:
    """Whether merging the parts into one directory would put two files in one place."""
    seen: set[str] = set()
    ancestors: set[str] = set()
    for part in parts:
        for path in layout_paths(part.layout):
            clean = path.strip("/")
            if clean == "" or clean in seen or clean in ancestors:
                return True
            pieces = clean.split("/")
            parents = ["/".join(pieces[:i]) for i in range(1, len(pieces))]
            if any(parent in seen for parent in parents):
                return True
            seen.add(clean)
            ancestors.update(parents)
    return False
