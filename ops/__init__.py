"""Reusable computational-chemistry OPs on ASE (EMT: no external binaries needed).

Structures travel between steps as extxyz artifacts, numbers as parameters. A typical
chain: ``BuildBulk`` → ``ScaleLattice`` → ``SinglePoint`` (fanned out with ``Slices``)
→ ``FitEOS`` → ``PlotEOS``; ``Rattle`` and ``Relax`` for geometry optimisation.
"""

from ._atoms import CALCULATORS, get_calculator, read_structure, write_structure
from .build import BuildBulk
from .energy import SinglePoint
from .eos import EOS_NAMES, EOSFit, FitEOS, fit_eos
from .plot import PlotEOS
from .relax import Rattle, Relax
from .scale import ScaleLattice

CHEM_IMAGE = "dflow-like/chem:py3.11"
"""The image these OPs need on Argo: ``python:3.11`` plus numpy, scipy, ASE, matplotlib
(built from ``docker/chem/Dockerfile`` in the repository)."""

__all__ = [
    "CALCULATORS",
    "CHEM_IMAGE",
    "EOS_NAMES",
    "BuildBulk",
    "EOSFit",
    "FitEOS",
    "PlotEOS",
    "Rattle",
    "Relax",
    "ScaleLattice",
    "SinglePoint",
    "fit_eos",
    "get_calculator",
    "read_structure",
    "write_structure",
]
