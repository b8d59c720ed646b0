"""What a loss may return: a scalar, or residuals for a least-squares solver.

A loss is a pure function of the *resolved* params. It returns either

- a scalar ``L`` (shape ``()``): minimised as is by optax, optimistix minimisers
  and nevergrad; or
- an array of residuals ``r`` (any shape, at least one axis): only for least-squares
  solvers (e.g. ``optimistix.LevenbergMarquardt``), which minimise ``sum(r**2)``.

Anything else is an error when the loss is first traced, before any step: an array
given to a scalar strategy (a score of shape ``(1,)`` would otherwise be squared, and
a score meant to reach 1 driven to 0), ``None`` (a loss that forgot ``return``) or a
tuple.

A non-finite objective (NaN or inf) is always read as ``+inf``, i.e. as the worst
possible value, never as a number to follow.
"""

from __future__ import annotations

from collections.abc import Callable

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, PyTree

from ..params import resolve

__all__ = ["objective", "residuals"]


def residuals(loss: Callable[[PyTree], Array], diff: PyTree, static: PyTree) -> Array:
    """The loss output at the raw values ``diff`` (a scalar or residual array)."""
    out = loss(resolve(eqx.combine(diff, static)))
    if out is None:
        raise TypeError(
            "loss returned None; it must return a scalar loss (or, for a least-squares "
            "solver, an array of residuals). Did the function forget `return`?"
        )
    if isinstance(out, (tuple, list, dict)):
        raise TypeError(
            f"loss returned a {type(out).__name__}; fit needs one array: a scalar loss "
            "(or residuals for a least-squares solver). Compute extra outputs outside fit."
        )
    return jnp.asarray(out)


def objective(loss: Callable[[PyTree], Array], diff: PyTree, static: PyTree) -> Array:
    """The scalar loss; an array output is an error (only least-squares takes residuals)."""
    out = residuals(loss, diff, static)
    if out.ndim != 0:
        raise ValueError(
            f"loss returned an array of shape {out.shape}, but this strategy minimises a "
            "scalar. Return a scalar (e.g. jnp.sum(r**2) for residuals r, or r[0] for a "
            "one-element score), or pass the residual array to a least-squares solver "
            "such as optimistix.LevenbergMarquardt, which minimises sum(r**2)."
        )
    return out
