"""What a loss may return, and the small tree helpers every strategy shares.

A loss is a pure function of the *resolved* params. It returns either

- a scalar ``L``: minimised as is; or
- an array of residuals ``r`` (any shape): read as the least-squares objective
  ``L = sum(r**2)``. Least-squares solvers (e.g. ``optimistix.LevenbergMarquardt``)
  need this form; every other strategy accepts both and minimises ``sum(r**2)``.

A non-finite objective (NaN or inf) is always read as ``+inf``, i.e. as the worst
possible value, never as a number to follow.
"""

from __future__ import annotations

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, PyTree

from ..params import resolve

__all__ = ["all_finite", "objective", "residuals", "select"]


def residuals(loss: Callable[[PyTree], Array], diff: PyTree, static: PyTree) -> Array:
    """The loss output at the raw values ``diff`` (a scalar or residual array)."""
    return jnp.asarray(loss(resolve(eqx.combine(diff, static))))


def objective(loss: Callable[[PyTree], Array], diff: PyTree, static: PyTree) -> Array:
    """Scalar objective: the loss itself, or ``sum(r**2)`` for residual arrays."""
    out = residuals(loss, diff, static)
    return out if out.ndim == 0 else jnp.sum(out**2)


def all_finite(tree: PyTree) -> Array:
    """True if every array leaf of ``tree`` is finite."""
    leaves = [jnp.all(jnp.isfinite(x)) for x in jax.tree_util.tree_leaves(tree) if eqx.is_array(x)]
    return jnp.all(jnp.stack(leaves)) if leaves else jnp.asarray(True)


def select(pred: Array, new: PyTree, old: PyTree) -> PyTree:
    """``new`` where ``pred`` else ``old``, leaf by leaf (non-array leaves from ``new``)."""
    return jax.tree_util.tree_map(
        lambda a, b: jnp.where(pred, a, b) if eqx.is_array(a) else a, new, old
    )
