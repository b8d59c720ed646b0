"""Checkpoints of a training run: a directory with one state file and one JSON.

``<dir>/state-<epoch>.eqx`` holds the arrays (trainable part of the model,
optimiser state, best model so far) written by `equinox.tree_serialise_leaves`;
``<dir>/meta.json`` holds the epoch count, the key, the batch size, the history and
the best-so-far bookkeeping, and names the state file it belongs to. The state file
is written first and ``meta.json`` is replaced atomically after it, so a crash at
any moment leaves a consistent pair behind.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import equinox as eqx
import numpy as np
from jaxtyping import PyTree

__all__ = ["save_checkpoint", "load_checkpoint"]

_META = "meta.json"


def save_checkpoint(directory: str | os.PathLike, arrays: PyTree, meta: dict[str, Any]) -> None:
    """Write ``arrays`` (a pytree) and ``meta`` (JSON-able) for epoch ``meta["epoch"]``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    name = f"state-{int(meta['epoch'])}.eqx"
    tmp = directory / (name + ".tmp")
    eqx.tree_serialise_leaves(tmp, arrays)
    os.replace(tmp, directory / name)
    meta = {**meta, "state_file": name}
    tmp_meta = directory / (_META + ".tmp")
    tmp_meta.write_text(json.dumps(meta, indent=1))
    os.replace(tmp_meta, directory / _META)
    for old in directory.glob("state-*.eqx"):
        if old.name != name:
            old.unlink(missing_ok=True)


_KEYS = ("epoch", "best_epoch", "bad_epochs", "best_score", "history", "state_file")


def _read_meta(directory: Path) -> dict[str, Any]:
    meta_path = directory / _META
    try:
        meta = json.loads(meta_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(
            f"checkpoint {str(meta_path)!r} is not valid JSON ({err}); it may be truncated. "
            "Restore it, or pass a new checkpoint directory to start afresh."
        ) from None
    missing = [k for k in _KEYS if not isinstance(meta, dict) or k not in meta]
    if missing:
        raise ValueError(
            f"checkpoint {str(meta_path)!r} lacks {missing}; it is damaged or was not "
            "written by brainmass_fn.train. Pass a new checkpoint directory to start afresh."
        )
    return meta


def load_checkpoint(
    directory: str | os.PathLike, like: PyTree
) -> tuple[PyTree, dict[str, Any]] | None:
    """``(arrays, meta)`` from ``directory``, with ``like`` as the structure; None if it
    holds no checkpoint. State files without ``meta.json``, a damaged ``meta.json`` or
    a missing state file are errors (a fresh start would overwrite them)."""
    directory = Path(directory)
    meta_path = directory / _META
    if not meta_path.exists():
        states = sorted(p.name for p in directory.glob("state-*.eqx"))
        if states:
            raise ValueError(
                f"checkpoint directory {str(directory)!r} holds {states} but no {_META}, "
                "so the run cannot be resumed (the epoch count and history are lost). "
                "Restore it, or pass a new checkpoint directory to start afresh."
            )
        return None
    meta = _read_meta(directory)
    name = str(meta["state_file"])
    if Path(name).name != name or not name.startswith("state-"):
        raise ValueError(
            f"checkpoint {str(meta_path)!r} names the state file {name!r}, which is not a "
            "file of this directory; it was not written by brainmass_fn.train."
        )
    state = directory / name
    if not state.is_file():
        raise ValueError(
            f"checkpoint {str(meta_path)!r} names the state file {meta['state_file']!r}, "
            "which is missing. Restore it, or pass a new checkpoint directory."
        )
    try:
        arrays = eqx.tree_deserialise_leaves(state, like)
    except (ValueError, RuntimeError, OSError) as err:
        raise ValueError(
            f"checkpoint {directory} does not match this model or optimiser ({err}); "
            "pass the same model and strategy it was written with, or a new checkpoint "
            "directory."
        ) from err
    return arrays, meta


def history_to_json(history: dict[str, list[float]]) -> dict[str, list[float | None]]:
    """Histories with NaN/inf as JSON null."""
    return {k: [float(x) if np.isfinite(x) else None for x in v] for k, v in history.items()}


def history_from_json(history: dict[str, list[float | None]]) -> dict[str, list[float]]:
    return {k: [np.nan if x is None else float(x) for x in v] for k, v in history.items()}
