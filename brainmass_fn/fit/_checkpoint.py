"""Checkpoint files: the search state plus a JSON sidecar, written atomically.

``path`` holds the strategy's carry (array leaves via
``equinox.tree_serialise_leaves`` for optax/optimistix; the pickled optimiser for
nevergrad). ``path + ".json"`` holds the step count, the loss history, the number of
evaluations and the wall time so far. Both are written to temporary files and moved
into place, so an interrupted save never leaves a half-written checkpoint.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ._adapter import AbstractAdapter

__all__ = ["FORMAT", "load_checkpoint", "save_checkpoint"]

FORMAT = "brainmass_fn.fit/1"


def _sidecar(path: str) -> str:
    return os.fspath(path) + ".json"


def save_checkpoint(
    path: str,
    adapter: AbstractAdapter,
    carry: Any,
    *,
    step: int,
    losses: list[float],
    wall_time: float,
) -> None:
    """Write ``carry`` and its bookkeeping to ``path`` and ``path.json``."""
    path = os.fspath(path)
    adapter.save(carry, path + ".tmp")
    meta = {
        "format": FORMAT,
        "strategy": adapter.name,
        "step": step,
        "losses": [float(x) for x in losses],
        "wall_time": wall_time,
    }
    with open(_sidecar(path) + ".tmp", "w") as f:
        json.dump(meta, f)
    os.replace(path + ".tmp", path)
    os.replace(_sidecar(path) + ".tmp", _sidecar(path))


def load_checkpoint(
    path: str, adapter: AbstractAdapter, diff: Any
) -> tuple[Any, int, list[float], float] | None:
    """``(carry, step, losses, wall_time)`` from ``path``, or None if there is none."""
    path = os.fspath(path)
    if not (os.path.exists(path) and os.path.exists(_sidecar(path))):
        return None
    with open(_sidecar(path)) as f:
        meta = json.load(f)
    if meta.get("format") != FORMAT:
        raise ValueError(f"checkpoint {path!r} is not a brainmass_fn fit checkpoint.")
    if meta["strategy"] != adapter.name:
        raise ValueError(
            f"checkpoint {path!r} was written by strategy {meta['strategy']!r}, but this "
            f"fit uses {adapter.name!r}; resume with the same strategy, or pass "
            "resume=False (or another checkpoint path) to start afresh."
        )
    try:
        carry = adapter.load(path, diff)
    except Exception as err:  # a different parameter structure or optimiser
        raise ValueError(
            f"checkpoint {path!r} does not match these params/strategy ({err}); resume "
            "with the same params and strategy, or pass resume=False to start afresh."
        ) from err
    return carry, int(meta["step"]), list(meta["losses"]), float(meta["wall_time"])
