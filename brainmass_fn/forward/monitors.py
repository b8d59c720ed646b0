"""Monitors: reduce a finely sampled trace to what an instrument would record.

Traces are ``(time, *nodes)``; times in ms. Both functions are pure and
differentiable (linear in the trace).
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from .._timegrid import whole_multiple
from ..units import TimeLike, to_canonical

__all__ = ["subsample", "temporal_average"]


def _ratio(dt: Any, period: Any) -> int:
    dt = float(to_canonical(dt, "ms", "dt"))
    return whole_multiple(float(to_canonical(period, "ms", "period")), dt, "period")


def subsample(
    x: Float[ArrayLike, " time *nodes"], dt: TimeLike, period: TimeLike
) -> Float[Array, " samples *nodes"]:
    """Keep every ``period / dt``-th sample: samples ``0, k, 2k, ...`` with
    ``k = period / dt``, i.e. times ``t0, t0 + period, ...`` on the trace's grid (for a
    `brainmass_fn.simulate` trajectory starting at ``t0``)."""
    k = _ratio(dt, period)
    x = jnp.asarray(x)
    return x[::k]


def temporal_average(
    x: Float[ArrayLike, " time *nodes"], dt: TimeLike, period: TimeLike
) -> Float[Array, " samples *nodes"]:
    """Mean over consecutive, non-overlapping blocks of ``period / dt`` samples (TVB's
    ``TemporalAverage``); a trailing partial block is dropped."""
    k = _ratio(dt, period)
    x = jnp.asarray(x)
    n = x.shape[0] // k
    if n < 1:
        raise ValueError(f"the trace has {x.shape[0]} samples, fewer than one period ({k}).")
    return jnp.mean(x[: n * k].reshape((n, k, *x.shape[1:])), axis=1)
