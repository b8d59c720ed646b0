"""The outcome of a fit."""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import numpy as np
from jaxtyping import Array, PyTree

from ..params import _path_name, is_param, param_values
from ..plot import plot_loss
from ..units import ureg

__all__ = ["FitResult", "param_units"]


def _child(node: Any, key: Any) -> Any:
    if isinstance(key, jax.tree_util.GetAttrKey):
        return getattr(node, key.name)
    if isinstance(key, jax.tree_util.DictKey):
        return node[key.key]
    if isinstance(key, jax.tree_util.SequenceKey):
        return node[key.idx]
    return None


def _field_unit(parent: Any, key: Any) -> str | None:
    if not (dataclasses.is_dataclass(parent) and isinstance(key, jax.tree_util.GetAttrKey)):
        return None
    for f in dataclasses.fields(parent):
        if f.name == key.name:
            return f.metadata.get("unit")
    return None


def param_units(tree: PyTree) -> dict[str, str]:
    """Unit of each `Param` by dotted name, where known.

    A `Param` that is a field declared with ``canonical_field`` has that field's
    canonical unit (``"ms"``, ``"1/ms"``, ``"mm/ms"``, ...); a free `Param` given as
    a pint quantity keeps the unit it was given in. Others are left out.
    """
    out = {}
    for path, leaf in jax.tree_util.tree_flatten_with_path(tree, is_leaf=is_param)[0]:
        if not is_param(leaf):
            continue
        unit = leaf.unit
        if unit is None and path:
            parent = tree
            for key in path[:-1]:
                parent = _child(parent, key)
            unit = _field_unit(parent, path[-1])
        if unit is not None:
            out[_path_name(path)] = unit
    return out


@dataclasses.dataclass(frozen=True)
class FitResult:
    """What `fit` found.

    Attributes:
        params: the best parameters seen, with the same structure as the input
            (`Param` leaves stay `Param`; read plain values with ``values``, values
            with units with ``quantities``).
        best_loss: the objective at ``params``.
        losses: the objective at every evaluation, in order: one per optax or
            optimistix step (its trial point) plus the final iterate, one per
            candidate for nevergrad. Non-finite values are kept as seen.
        n_evals: number of loss evaluations (simulations) made; a value-and-gradient
            evaluation counts as one.
        wall_time: seconds spent, compilation included (summed over resumed runs).
        status: ``"completed"``, ``"converged"`` (the solver's own tolerances were
            met), ``"stopped"`` (the callback asked), ``"interrupted"`` (Ctrl-C), or
            ``"failed"`` (no finite loss, or no step accepted: ``params`` are the
            initial ones; a warning says why).
        strategy: a short name of the search strategy.
        steps: steps (iterations, generations) made.
    """

    params: PyTree
    best_loss: float
    losses: np.ndarray
    n_evals: int
    wall_time: float
    status: str = "completed"
    strategy: str = ""
    steps: int = 0

    @property
    def values(self) -> dict[str, Array]:
        """Best parameter values by dotted name, e.g. ``{"a": 1.5}`` (canonical units)."""
        return param_values(self.params)

    @property
    def units(self) -> dict[str, str]:
        """Canonical unit of each fitted parameter, where known (e.g. ``{"w": "1/ms"}``)."""
        return param_units(self.params)

    @property
    def quantities(self) -> dict[str, Any]:
        """Best values as pint quantities where the unit is known, else plain arrays."""
        units = self.units
        return {
            k: ureg.Quantity(np.asarray(v), units[k]) if k in units else v
            for k, v in self.values.items()
        }

    def plot(self, ax: Any = None, *, log: bool = True) -> Any:
        """Loss against evaluation, with the running best (`plot.plot_loss`; needs
        matplotlib)."""
        title = f"{self.strategy} fit: best loss {self.best_loss:.3g}"
        return plot_loss(self.losses, ax=ax, log=log, xlabel="loss evaluation", title=title)

    def __repr__(self) -> str:
        def fmt(v: Any) -> str:
            return f"{np.asarray(v).round(6).tolist()}"

        units = self.units
        vals = ", ".join(
            f"{k}={fmt(v)}" + (f" {units[k]}" if k in units else "") for k, v in self.values.items()
        )
        return (
            f"FitResult({self.status}, {self.strategy}, best_loss={self.best_loss:.4g}, "
            f"n_evals={self.n_evals}, wall_time={self.wall_time:.2f} s, {vals})"
        )
