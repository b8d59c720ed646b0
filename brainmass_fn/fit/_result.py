"""The outcome of a fit."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from jaxtyping import Array, PyTree

from ..params import param_values

__all__ = ["FitResult"]


@dataclasses.dataclass(frozen=True)
class FitResult:
    """What `fit` found.

    Attributes:
        params: the best parameters seen, with the same structure as the input
            (`Param` leaves stay `Param`; read plain values with ``values``).
        best_loss: the loss at ``params``.
        losses: the loss at every evaluation, in order (NaN/inf kept as seen).
        n_evals: number of loss evaluations (simulations) made.
        wall_time: seconds spent, compilation included.
        status: ``"completed"``, ``"interrupted"`` (KeyboardInterrupt) or ``"stopped"``.
        strategy: a short name of the search strategy.
    """

    params: PyTree
    best_loss: float
    losses: np.ndarray
    n_evals: int
    wall_time: float
    status: str = "completed"
    strategy: str = ""

    @property
    def values(self) -> dict[str, Array]:
        """Best parameter values by dotted name, e.g. ``{"a": 1.5}``."""
        return param_values(self.params)

    def plot(self, ax: Any = None, *, log: bool = True) -> Any:
        """Loss against evaluation number (needs matplotlib); returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.5))
        ax.plot(np.arange(len(self.losses)), self.losses, lw=1.2)
        if log and np.all(self.losses[np.isfinite(self.losses)] > 0):
            ax.set_yscale("log")
        ax.set_xlabel("evaluation")
        ax.set_ylabel("loss")
        ax.set_title(f"{self.strategy} fit: best loss {self.best_loss:.3g}")
        return ax

    def __repr__(self) -> str:
        vals = ", ".join(f"{k}={np.asarray(v).round(6).tolist()}" for k, v in self.values.items())
        return (
            f"FitResult({self.status}, best_loss={self.best_loss:.4g}, n_evals={self.n_evals}, "
            f"wall_time={self.wall_time:.2f} s, {vals})"
        )
