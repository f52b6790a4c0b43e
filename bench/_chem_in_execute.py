"""A chemistry OP that imports ``ase.build``, ``scipy.optimize`` and matplotlib inside
``execute`` (bench/realistic.py): nothing of them is loaded when its module is."""

from __future__ import annotations

from dflow_like.python import OP


@OP.function
def in_execute(x: float) -> {"y": float, "atoms": int}:  # type: ignore[valid-type]  # noqa: F821
    import ase.build
    import matplotlib
    import scipy.optimize

    atoms = ase.build.bulk("Cu", "fcc", a=3.6)
    root = scipy.optimize.brentq(lambda t: t - x, x - 1.0, x + 1.0)
    matplotlib.use("Agg")
    return {"y": float(root), "atoms": len(atoms)}
