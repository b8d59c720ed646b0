"""What `train` returns, and the early-stopping rule it follows."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from jaxtyping import PyTree

from ..plot import plot_loss

__all__ = ["EarlyStopping", "TrainResult"]


@dataclasses.dataclass(frozen=True)
class EarlyStopping:
    """Stop when the monitored quantity has not improved for ``patience`` epochs.

    Attributes:
        patience: epochs without improvement before stopping (>= 1).
        monitor: ``"loss"`` or the name of a metric returned by the loss function,
            read on the validation set when there is one, else on the training epoch.
        mode: ``"min"`` (lower is better, e.g. a loss) or ``"max"`` (e.g. accuracy).
        min_delta: an improvement must beat the best value by more than this.

    The same quantity picks the best model that `train` returns, with or without
    early stopping.
    """

    patience: int = 10
    monitor: str = "loss"
    mode: str = "min"
    min_delta: float = 0.0

    def __post_init__(self):
        if not (isinstance(self.patience, int) and self.patience >= 1):
            raise ValueError(f"EarlyStopping patience must be an int >= 1, got {self.patience!r}.")
        if self.mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping mode must be 'min' or 'max', got {self.mode!r}.")
        if self.min_delta < 0:
            raise ValueError(f"EarlyStopping min_delta must be >= 0, got {self.min_delta}.")

    def improved(self, value: float, best: float) -> bool:
        """True if ``value`` beats ``best`` by more than ``min_delta``."""
        if not np.isfinite(value):
            return False
        if not np.isfinite(best):
            return True
        if self.mode == "min":
            return value < best - self.min_delta
        return value > best + self.min_delta

    @property
    def worst(self) -> float:
        return np.inf if self.mode == "min" else -np.inf


@dataclasses.dataclass(frozen=True)
class TrainResult:
    """What `train` produced.

    Attributes:
        model: the best model seen (by the monitored quantity, on the validation set
            when one is given), with the same structure as the input model.
        final_model: the model after the last completed epoch.
        history: per-epoch arrays: ``"train_loss"`` and ``"train_<metric>"`` (means over
            the epoch's batches, measured during the epoch), ``"val_loss"`` and
            ``"val_<metric>"`` (at the end of each epoch), ``"skipped_steps"`` (steps
            rejected for a non-finite loss or gradient) and ``"epoch_time"`` (s).
        best_epoch: 1-based epoch of ``model`` (0 = the initial model).
        best_score: the monitored value at ``best_epoch``.
        epochs_run: number of completed epochs (including resumed ones).
        wall_time: seconds spent in this call, compilation included.
        status: ``"completed"``, ``"early_stopped"``, ``"interrupted"`` (Ctrl-C) or
            ``"failed"`` (no step accepted, or the monitored value never finite).
        monitor: the name of the monitored history entry, e.g. ``"val_loss"``.
    """

    model: PyTree
    final_model: PyTree
    history: dict[str, np.ndarray]
    best_epoch: int
    best_score: float
    epochs_run: int
    wall_time: float
    status: str = "completed"
    monitor: str = "train_loss"

    def plot(self, ax: Any = None, *, key: str = "loss") -> Any:
        """Train and validation ``key`` against epoch (`plot.plot_loss`; needs
        matplotlib); returns the axes."""
        splits = [s for s in ("train", "val") if f"{s}_{key}" in self.history]
        if not splits:
            raise ValueError(
                f"key {key!r} is not in the history; plot one of 'loss' or the metrics "
                f"named in {sorted(self.history)}."
            )
        for split in splits:
            ax = plot_loss(self.history[f"{split}_{key}"], ax=ax, label=split, best=False,
                           xlabel="epoch", ylabel=key)  # fmt: skip
        return ax

    def __repr__(self) -> str:
        last = {k: float(v[-1]) for k, v in self.history.items() if len(v) and k != "epoch_time"}
        shown = ", ".join(f"{k}={v:.4g}" for k, v in last.items())
        return (
            f"TrainResult({self.status}, epochs_run={self.epochs_run}, best_epoch="
            f"{self.best_epoch}, {self.monitor}={self.best_score:.4g}, wall_time="
            f"{self.wall_time:.1f} s, last: {shown})"
        )
