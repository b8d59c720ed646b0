"""Checkpoint files: the search state plus a JSON sidecar, written atomically.

``path`` holds the strategy's carry: array leaves via
``equinox.tree_serialise_leaves`` for optax/optimistix, and for nevergrad an ``.npz``
of the candidates asked and the losses told, from which the optimiser is rebuilt by
replaying them (see `brainmass_fn.fit._nevergrad`). ``path + ".json"`` holds the step
count, the loss history and the wall time so far. Both are written to temporary files
and moved into place, so an interrupted save never leaves a half-written checkpoint.

Trust: a checkpoint holds only numbers (arrays and JSON); loading one never unpickles
or runs code, so a checkpoint from elsewhere can at worst fail to load or resume a
fit at wrong values.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ._adapter import AbstractAdapter

__all__ = ["FORMAT", "load_checkpoint", "save_checkpoint"]

FORMAT = "brainmass_fn.fit/1"


def _sidecar(path: str | os.PathLike[str]) -> str:
    return os.fspath(path) + ".json"


def save_checkpoint(
    path: str | os.PathLike[str],
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


def _read_sidecar(path: str) -> dict[str, Any]:
    sidecar = _sidecar(path)
    try:
        with open(sidecar) as f:
            meta = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(
            f"checkpoint sidecar {sidecar!r} is not valid JSON ({err}); it may be truncated. "
            f"Restore it, or delete {path!r} and its sidecar to start afresh (resume=False)."
        ) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(
            f"checkpoint {path!r} is not a brainmass_fn fit checkpoint (its sidecar "
            f"{sidecar!r} lacks format {FORMAT!r})."
        )
    fields = {"strategy": str, "step": int, "losses": list, "wall_time": (int, float)}
    for key, kind in fields.items():
        if not isinstance(meta.get(key), kind):
            raise ValueError(
                f"checkpoint sidecar {sidecar!r} has no valid {key!r} entry; it is damaged. "
                f"Delete {path!r} and its sidecar to start afresh (resume=False)."
            )
    return meta


def load_checkpoint(
    path: str | os.PathLike[str], adapter: AbstractAdapter, diff: Any
) -> tuple[Any, int, list[float], float] | None:
    """``(carry, step, losses, wall_time)`` from ``path``; None if neither ``path`` nor
    its sidecar exists (a first run). One without the other is an error: resuming
    would start over and overwrite the half that is left."""
    path = os.fspath(path)
    has_state, has_sidecar = os.path.exists(path), os.path.exists(_sidecar(path))
    if not (has_state or has_sidecar):
        return None
    if not has_sidecar:
        raise ValueError(
            f"resume=True: checkpoint {path!r} exists but its sidecar {_sidecar(path)!r} "
            "(step count and loss history) is missing, so it cannot be resumed. Restore "
            "the sidecar, or delete the checkpoint (or pass resume=False) to start afresh."
        )
    if not has_state:
        raise ValueError(
            f"resume=True: the sidecar {_sidecar(path)!r} exists but the checkpoint "
            f"{path!r} itself is missing. Restore it, or delete the sidecar (or pass "
            "resume=False) to start afresh."
        )
    meta = _read_sidecar(path)
    if meta["strategy"] != adapter.name:
        raise ValueError(
            f"checkpoint {path!r} was written by strategy {meta['strategy']!r}, but this "
            f"fit uses {adapter.name!r}; resume with the same strategy, or pass "
            "resume=False (or another checkpoint path) to start afresh."
        )
    try:
        carry = adapter.load(path, diff, meta)
    except Exception as err:  # a different parameter structure or optimiser
        raise ValueError(
            f"checkpoint {path!r} does not match these params/strategy ({err}); resume "
            "with the same params and strategy, or pass resume=False to start afresh."
        ) from err
    return carry, int(meta["step"]), list(meta["losses"]), float(meta["wall_time"])
