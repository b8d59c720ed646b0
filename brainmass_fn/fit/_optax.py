"""Gradient descent with any optax `GradientTransformation`.

One jitted step evaluates the objective and its gradient through the simulation
(``jax.value_and_grad``) at the current raw values and applies the optax update.

NaN/inf rejection (backtracking): if the objective or gradient at the current point
is not finite, the point is rejected and replaced by the midpoint between it and the
last accepted point, ``x <- x_ok + (x - x_ok) / 2``; the optimiser state is left as
it was. Repeated rejections halve the step again, so the fit walks back towards the
last good point instead of sticking on a NaN. The best point seen is kept on device.

Compilation: the step is one program per loss function, parameter structure and
optax configuration (`StrategyKey`: ``optax.adam(0.1)`` built anew is the same
strategy), cached by JAX across `fit` calls. The objective at the final iterate is
read from that same program (its gradient is discarded), so a fit compiles, and
traces the loss, once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, PyTree

from .._optimise import guarded_update, select
from ._adapter import AbstractAdapter
from ._cache_key import StrategyKey
from ._objective import objective

__all__ = ["OptaxAdapter"]


class _Carry(eqx.Module):
    diff: PyTree
    opt_state: Any
    last_ok: PyTree
    best_diff: PyTree
    best_loss: Array
    accepted: Array  # steps whose loss and gradient were finite


@eqx.filter_jit
def _step(
    loss: Callable, strategy: StrategyKey, static: PyTree, carry: _Carry
) -> tuple[_Carry, Array]:
    value, grads = jax.value_and_grad(lambda d: objective(loss, d, static))(carry.diff)
    ok, stepped, new_state = guarded_update(strategy.tx, value, grads, carry.opt_state, carry.diff)
    backtracked = jax.tree_util.tree_map(
        lambda x, x_ok: x_ok + 0.5 * (x - x_ok), carry.diff, carry.last_ok
    )
    improved = ok & (value < carry.best_loss)
    new = _Carry(
        diff=select(ok, stepped, backtracked),
        opt_state=select(ok, new_state, carry.opt_state),
        last_ok=select(ok, carry.diff, carry.last_ok),
        best_diff=select(improved, carry.diff, carry.best_diff),
        best_loss=jnp.where(improved, value, carry.best_loss),
        accepted=carry.accepted + ok.astype(carry.accepted.dtype),
    )
    return new, value


class OptaxAdapter(AbstractAdapter):
    """Runs an optax ``GradientTransformation``; one gradient evaluation per step."""

    name = "optax"

    def __init__(self, loss: Callable, strategy: optax.GradientTransformation, static: PyTree):
        self.loss, self.strategy, self.static = loss, strategy, static
        self.key = StrategyKey(strategy)

    def init(self, diff: PyTree) -> _Carry:
        inf = jnp.asarray(jnp.inf, dtype=jnp.result_type(float))
        return _Carry(diff, self.strategy.init(diff), diff, diff, inf, jnp.zeros((), jnp.int32))

    def step(self, carry: _Carry) -> tuple[_Carry, list[float], bool]:
        carry, value = _step(self.loss, self.key, self.static, carry)
        return carry, [float(value)], False

    def finish(self, carry: _Carry) -> tuple[_Carry, list[float]]:
        # the objective at the final iterate, from the compiled step (new state unused)
        _, value = _step(self.loss, self.key, self.static, carry)
        if np.isfinite(float(value)) and float(value) < float(carry.best_loss):
            carry = _Carry(
                carry.diff, carry.opt_state, carry.last_ok, carry.diff, value, carry.accepted
            )
        return carry, [float(value)]

    def n_accepted(self, carry: _Carry) -> int:
        return int(carry.accepted)

    def best(self, carry: _Carry) -> tuple[PyTree, float]:
        return carry.best_diff, float(carry.best_loss)
