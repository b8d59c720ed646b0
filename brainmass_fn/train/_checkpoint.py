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


def load_checkpoint(
    directory: str | os.PathLike, like: PyTree
) -> tuple[PyTree, dict[str, Any]] | None:
    """``(arrays, meta)`` from ``directory``, with ``like`` as the structure; None if empty."""
    directory = Path(directory)
    meta_path = directory / _META
    if not meta_path.exists():
        return None
    meta = json.loads(meta_path.read_text())
    try:
        arrays = eqx.tree_deserialise_leaves(directory / meta["state_file"], like)
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
