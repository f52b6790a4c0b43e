"""Step-by-step comparison of two runs of one workflow: phases, output parameters, artifact files."""

from __future__ import annotations

import hashlib
import math
import re
from pathlib import Path
from typing import Any

from dflow_like import Workflow, download_artifact
from dflow_like.engine.argo.compile.thresholds import CHECK_TEMPLATE
from dflow_like.records import StepRecord

__all__ = ["differences", "leaves"]

LEAF_TYPES = ("Pod", "Retry", "Skipped")


def leaves(wf: Workflow) -> dict[str, StepRecord]:
    """``display name → record`` of the steps that ran an OP (or were skipped; not Argo's
    success-threshold checks, which the local engine does not need); a retried
    step is its ``Retry`` node (its attempts are counted there), not each attempt's pod."""
    out: dict[str, StepRecord] = {}
    records = wf.query_step()
    retries = {r.id for r in records if r.type == "Retry"}
    for record in records:
        if record.parent_id in retries:
            continue
        if record.type in LEAF_TYPES and not record.name.startswith("dflow-") and record.template != CHECK_TEMPLATE:
            out.setdefault(record.name, record)
    return out


def _files(ref: Any, dest: Path) -> dict[str, bytes]:
    download_artifact(ref, path=str(dest))
    return {
        str(p.relative_to(dest)): p.read_bytes()
        for p in sorted(dest.rglob("*"))
        if p.is_file() and p.name != ".dflow_like.json"
    }


def _number(token: str) -> float | None:
    try:
        return float(token)
    except ValueError:
        return None


def _same_content(a: bytes, b: bytes) -> bool:
    """Byte-equal, or text whose tokens agree with numbers to 1e-7 relative."""
    if a == b:
        return True
    try:
        ta, tb = re.split(r'[\s="]+', a.decode()), re.split(r'[\s="]+', b.decode())
    except UnicodeDecodeError:
        return False
    if len(ta) != len(tb):
        return False
    for x, y in zip(ta, tb):
        if x == y:
            continue
        nx, ny = _number(x), _number(y)
        if nx is None or ny is None or not math.isclose(nx, ny, rel_tol=1e-7, abs_tol=1e-9):
            return False
    return True


def _digest(files: dict[str, bytes]) -> dict[str, str]:
    return {k: hashlib.sha256(v).hexdigest()[:12] for k, v in files.items()}


def _same(a: Any, b: Any) -> bool:
    """Equal, floats to 1e-9 relative (BLAS threading may change the last bits)."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def differences(local: Workflow, remote: Workflow, scratch: Path, skip_params: tuple[str, ...] = ()) -> list[str]:
    """What differs, step by step (empty when the runs agree)."""
    a, b = leaves(local), leaves(remote)
    problems: list[str] = []
    if set(a) != set(b):
        problems.append(f"steps differ: local only {sorted(set(a) - set(b))}, argo only {sorted(set(b) - set(a))}")
    for name in sorted(set(a) & set(b)):
        ra, rb = a[name], b[name]
        if ra.attempts != rb.attempts:
            problems.append(f"{name}: {ra.attempts} attempts locally, {rb.attempts} on argo")
        if ra.phase != rb.phase:
            problems.append(f"{name}: phase {ra.phase} locally, {rb.phase} on argo ({rb.message})")
            continue
        if ra.phase != "Succeeded":
            continue
        pa, pb = ra.outputs.parameters, rb.outputs.parameters
        for pname in sorted(set(pa) | set(pb)):
            if pname in skip_params:
                continue
            va = pa[pname].value if pname in pa else "<missing>"
            vb = pb[pname].value if pname in pb else "<missing>"
            if not _same(va, vb):
                problems.append(f"{name}: parameter {pname}: {va!r} locally, {vb!r} on argo")
        aa, ab = ra.outputs.artifacts, rb.outputs.artifacts
        if set(aa) != set(ab):
            problems.append(f"{name}: artifacts {sorted(aa)} locally, {sorted(ab)} on argo")
        for aname in sorted(set(aa) & set(ab)):
            fa = _files(aa[aname], scratch / "local" / name / aname)
            fb = _files(ab[aname], scratch / "argo" / name / aname)
            if fa.keys() != fb.keys() or not fa or not all(_same_content(fa[k], fb[k]) for k in fa):
                problems.append(
                    f"{name}: artifact {aname}: files {_digest(fa)} locally ({aa[aname]}), "
                    f"{_digest(fb)} on argo ({ab[aname]})"
                )
    return problems
