"""The guarded optax update: a step with a NaN or inf loss or gradient is rejected.

Used inside the jitted steps of `fit` (optax) and `train`; what replaces a rejected
step is the caller's choice (`fit` backtracks, `train` stays put).
"""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array, Bool, PyTree

__all__ = ["all_finite", "guarded_update", "select"]


def all_finite(tree: PyTree) -> Bool[Array, ""]:
    """True if every array leaf of ``tree`` is finite."""
    leaves = [jnp.all(jnp.isfinite(x)) for x in jax.tree_util.tree_leaves(tree) if eqx.is_array(x)]
    return jnp.all(jnp.stack(leaves)) if leaves else jnp.asarray(True)


def select(pred: Array, new: PyTree, old: PyTree) -> PyTree:
    """``new`` where ``pred`` else ``old``, leaf by leaf (non-array leaves from ``new``)."""
    return jax.tree_util.tree_map(
        lambda a, b: jnp.where(pred, a, b) if eqx.is_array(a) else a, new, old
    )


def guarded_update(
    tx: optax.GradientTransformation, value: Array, grads: PyTree, opt_state: Any, diff: PyTree
) -> tuple[Bool[Array, ""], PyTree, Any]:
    """``(ok, stepped, new_state)``: the optax step from ``diff`` and whether it may be
    taken (``value`` and every gradient finite). The caller picks what a rejected step
    leaves (``select(ok, stepped, ...)``)."""
    ok = jnp.isfinite(value) & all_finite(grads)
    updates, new_state = tx.update(grads, opt_state, diff)
    return ok, eqx.apply_updates(diff, updates), new_state
