"""``fit(loss, params, strategy)``: one stateless call for every search strategy."""

from __future__ import annotations

import time
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, PyTree
from tqdm.auto import tqdm

from ..params import trainable
from ._gradient import gradient_step, loss_only
from ._result import FitResult

__all__ = ["fit"]


def _strategy_name(strategy: object) -> str:
    if isinstance(strategy, optax.GradientTransformation):
        return "optax"
    return type(strategy).__name__


def fit(
    loss: Callable[[PyTree], Array],
    params: PyTree,
    strategy: optax.GradientTransformation,
    *,
    steps: int = 100,
    progress: bool = True,
) -> FitResult:
    """Minimise ``loss(params)`` over the trainable leaves of ``params``.

    Args:
        loss: a pure function of the *resolved* params (every `Param` replaced by
            its value) returning a scalar; it may simulate, apply forward models and
            compare with data.
        params: any pytree (a model, a network, a dict). Leaves wrapped in `Param`
            are fitted (through their bound transforms); with no `Param` at all,
            every floating-point array leaf is fitted.
        strategy: an optax ``GradientTransformation`` (e.g. ``optax.adam(0.1)``);
            gradients come from ``jax.value_and_grad`` through the simulation.
        steps: number of optimiser steps.
        progress: show a progress bar with the current loss (when on a terminal).

    Returns:
        A `FitResult` with the best parameters seen. The step is compiled once and
        reused for every step (and for later fits with the same ``loss`` function
        and parameter structure). A step whose loss or gradient is NaN/inf is
        rejected; Ctrl-C returns the best result so far.
    """
    if not isinstance(strategy, optax.GradientTransformation):
        raise TypeError(
            f"strategy must be an optax GradientTransformation (e.g. optax.adam(1e-2)), "
            f"got {type(strategy).__name__}."
        )
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}.")
    spec = trainable(params)
    diff, static = eqx.partition(params, spec)
    if not any(eqx.is_array(x) for x in jax.tree_util.tree_leaves(diff)):
        raise ValueError(
            "params has nothing to fit: wrap the values to fit in Param(...) (or pass "
            "floating-point arrays)."
        )
    opt_state = strategy.init(diff)
    best_diff, best_loss = diff, jnp.asarray(jnp.inf)
    losses: list[float] = []
    status = "completed"
    start = time.perf_counter()
    bar = tqdm(total=steps, desc="fit", disable=None if progress else True, leave=False)
    try:
        for _ in range(steps):
            diff, opt_state, best_diff, best_loss, value = gradient_step(
                loss, strategy, diff, static, opt_state, best_diff, best_loss
            )
            losses.append(float(value))
            bar.set_postfix(loss=f"{losses[-1]:.4g}", best=f"{float(best_loss):.4g}")
            bar.update()
        final = float(loss_only(loss, diff, static))
        losses.append(final)
        if np.isfinite(final) and final < float(best_loss):
            best_diff, best_loss = diff, jnp.asarray(final)
    except KeyboardInterrupt:
        status = "interrupted"
    finally:
        bar.close()
    return FitResult(
        params=eqx.combine(best_diff, static),
        best_loss=float(best_loss),
        losses=np.asarray(losses),
        n_evals=len(losses),
        wall_time=time.perf_counter() - start,
        status=status,
        strategy=_strategy_name(strategy),
    )
