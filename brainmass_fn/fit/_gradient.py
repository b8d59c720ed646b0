"""Gradient-based fitting with an optax `GradientTransformation`.

One jitted step evaluates ``loss`` and its gradient through the simulation
(``jax.value_and_grad``), applies the optax update to the unconstrained raw values
of the trainable parameters, and keeps the best parameters seen, all on device.
A step whose loss or gradient is not finite is rejected: parameters and optimiser
state stay as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array, PyTree

from ..params import resolve

__all__ = ["gradient_step", "loss_only"]


def _total(loss: Callable[[PyTree], Array], diff: PyTree, static: PyTree) -> Array:
    return loss(resolve(eqx.combine(diff, static)))


def _all_finite(tree: PyTree) -> Array:
    leaves = [jnp.all(jnp.isfinite(x)) for x in jax.tree_util.tree_leaves(tree) if eqx.is_array(x)]
    return jnp.all(jnp.stack(leaves)) if leaves else jnp.asarray(True)


def _select(pred: Array, new: PyTree, old: PyTree) -> PyTree:
    return jax.tree_util.tree_map(
        lambda a, b: jnp.where(pred, a, b) if eqx.is_array(a) else a, new, old
    )


@eqx.filter_jit
def gradient_step(
    loss: Callable[[PyTree], Array],
    strategy: optax.GradientTransformation,
    diff: PyTree,
    static: PyTree,
    opt_state: Any,
    best_diff: PyTree,
    best_loss: Array,
) -> tuple[PyTree, Any, PyTree, Array, Array]:
    """One optimiser step; returns ``(diff, opt_state, best_diff, best_loss, loss)``.

    ``loss`` is the value at the incoming ``diff`` (before the update).
    """
    value, grads = jax.value_and_grad(lambda d: _total(loss, d, static))(diff)
    ok = jnp.isfinite(value) & _all_finite(grads)
    updates, new_state = strategy.update(grads, opt_state, diff)
    new_diff = eqx.apply_updates(diff, updates)
    improved = ok & (value < best_loss)
    return (
        _select(ok, new_diff, diff),
        _select(ok, new_state, opt_state),
        _select(improved, diff, best_diff),
        jnp.where(improved, value, best_loss),
        value,
    )


@eqx.filter_jit
def loss_only(loss: Callable[[PyTree], Array], diff: PyTree, static: PyTree) -> Array:
    """The loss at ``diff`` (no gradient)."""
    return _total(loss, diff, static)
