"""Monitors: reduce a finely sampled trace to what an instrument would record.

Traces are ``(time, *nodes)``; times in ms. Both functions are pure and
differentiable (linear in the trace).
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from ..units import to_canonical

__all__ = ["subsample", "temporal_average"]


def _ratio(dt: Any, period: Any) -> int:
    dt = float(to_canonical(dt, "ms", "dt"))
    period = float(to_canonical(period, "ms", "period"))
    if not dt > 0 or not period > 0:
        raise ValueError(f"dt and period must be > 0 ms, got dt={dt}, period={period}.")
    k = int(round(period / dt))
    if k < 1 or abs(k * dt - period) > 1e-6 * period:
        raise ValueError(
            f"period ({period} ms) must be a whole multiple of dt ({dt} ms); choose "
            "period = k * dt."
        )
    return k


def subsample(
    x: Float[ArrayLike, " time *nodes"], dt: float | Any, period: float | Any
) -> Float[Array, " samples *nodes"]:
    """Keep every ``period / dt``-th sample: samples ``0, k, 2k, ...`` with
    ``k = period / dt``, i.e. times ``t0, t0 + period, ...`` on the trace's grid (for a
    `brainmass_fn.simulate` trajectory starting at ``t0``)."""
    k = _ratio(dt, period)
    x = jnp.asarray(x)
    return x[::k]


def temporal_average(
    x: Float[ArrayLike, " time *nodes"], dt: float | Any, period: float | Any
) -> Float[Array, " samples *nodes"]:
    """Mean over consecutive, non-overlapping blocks of ``period / dt`` samples (TVB's
    ``TemporalAverage``); a trailing partial block is dropped."""
    k = _ratio(dt, period)
    x = jnp.asarray(x)
    n = x.shape[0] // k
    if n < 1:
        raise ValueError(f"the trace has {x.shape[0]} samples, fewer than one period ({k}).")
    return jnp.mean(x[: n * k].reshape((n, k, *x.shape[1:])), axis=1)
