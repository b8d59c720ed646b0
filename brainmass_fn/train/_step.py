"""The compiled training step and the compiled evaluation of a batch.

Both take the loss function and the optax strategy as (static) arguments and the
trainable part ``diff`` of the model, its frozen rest ``static``, and the whole
dataset plus a vector of sample indices as arrays, so each compiles once per
model structure, dataset shape and batch size and is then reused, across epochs
and across calls to `train` with the same ``loss_fn`` and strategy.

The loss function sees the *resolved* model (every `Param` replaced by its
value) and returns a scalar loss, or ``(loss, metrics)`` with ``metrics`` a dict
of scalars.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array, PyTree

from .._optimise import guarded_update, select
from ..params import resolve
from ._data import take

__all__ = ["split_output", "train_step", "evaluate"]


def split_output(out: Any) -> tuple[Array, dict[str, Array]]:
    """``loss`` or ``(loss, metrics)`` -> ``(loss, metrics)``, checked."""
    if isinstance(out, tuple):
        if len(out) != 2 or not isinstance(out[1], dict):
            raise TypeError(
                "loss_fn must return a scalar loss or a pair (loss, metrics) with metrics a "
                f"dict of scalars; got a tuple of length {len(out)}."
            )
        loss, metrics = out
    else:
        loss, metrics = out, {}
    loss = jnp.asarray(loss)
    if loss.shape != ():
        raise ValueError(f"loss_fn must return a scalar loss, got shape {loss.shape}.")
    metrics = {str(k): jnp.asarray(v) for k, v in metrics.items()}
    for k, v in metrics.items():
        if v.shape != ():
            raise ValueError(f"metric {k!r} from loss_fn must be a scalar, got shape {v.shape}.")
        if k == "loss":
            raise ValueError("loss_fn metrics may not be named 'loss' (that name is the loss).")
    return loss, metrics


def _loss(loss_fn: Callable, diff: PyTree, static: PyTree, batch: tuple) -> tuple:
    return split_output(loss_fn(resolve(eqx.combine(diff, static)), *batch))


@eqx.filter_jit
def train_step(
    loss_fn: Callable,
    strategy: optax.GradientTransformation,
    diff: PyTree,
    static: PyTree,
    opt_state: Any,
    data: tuple[Array, ...],
    index: Array,
) -> tuple[PyTree, Any, Array, dict[str, Array], Array]:
    """One optimiser step on the batch ``data[index]``.

    Returns ``(diff, opt_state, loss, metrics, ok)``: loss and metrics at the
    incoming ``diff``; if the loss or any gradient is not finite the step is
    rejected (``ok`` False) and ``diff`` and ``opt_state`` come back unchanged.
    """
    batch = take(data, index)
    (value, metrics), grads = jax.value_and_grad(
        lambda d: _loss(loss_fn, d, static, batch), has_aux=True
    )(diff)
    ok, stepped, new_state = guarded_update(strategy, value, grads, opt_state, diff)
    return select(ok, stepped, diff), select(ok, new_state, opt_state), value, metrics, ok


@eqx.filter_jit
def evaluate(
    loss_fn: Callable, diff: PyTree, static: PyTree, data: tuple[Array, ...], index: Array
) -> tuple[Array, dict[str, Array]]:
    """Loss and metrics on the batch ``data[index]`` (no gradient)."""
    return _loss(loss_fn, diff, static, take(data, index))
