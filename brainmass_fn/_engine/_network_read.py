"""A `Network`'s delayed read in the engine's layout: its plan and its tap weights.

The `Network` holds the physics (weights, lengths, speed, the delay convention); this
module turns it into what the blocked read needs for one ``dt``: the static plan
(`build_plan`) and the traced per-tap weights.
"""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from ..network import Network
from ..params import resolve
from ._delay_plan import DelayPlan, build_plan

__all__ = ["delay_plan", "tap_weights"]


def delay_plan(net: Network, dt: float, block: int, heun: bool) -> DelayPlan:
    """The static read plan of ``net`` for step ``dt`` (ms), ``block`` steps per block:
    one tap per edge with ``delays="round"``, two (the interpolation) with ``"linear"``."""
    return build_plan(
        net.integer_lags(dt),
        n_taps=1 if net.delays == "round" else 2,
        block=block,
        heun=heun,
        edges=net.geometry.nonzero,
    )


def tap_weights(net: Network, plan: DelayPlan, dt: float) -> tuple[Float[Array, " N N"], ...]:
    """Weight of each edge at lag ``base_lag + t`` for the plan's taps (traced).

    ``"round"``: the weights. ``"linear"``: ``w (1 - f)`` and ``w f`` with ``f`` the
    fractional part of the lag ``lengths / (speed dt)``, smooth in speed and lengths.
    Raises (inside the trace) when a weight that was zero at construction became
    nonzero, or when a ``"round"`` network's speed or lengths moved.
    """
    resolved = resolve(net)
    geometry = net.geometry
    w = eqx.error_if(
        resolved.weights,
        jnp.any(jnp.where(jnp.asarray(geometry.nonzero), 0.0, resolved.weights) != 0),
        "weights has nonzero entries where the Network was built with zeros. A delayed "
        "Network's connections are the nonzero weights at construction (its delay read "
        "visits only them); rebuild the Network (outside jit) with the new weights.",
    )
    if net.delays == "round":
        same = jnp.all(resolved.lengths == jnp.asarray(geometry.lengths, w.dtype)) & (
            resolved.speed == jnp.asarray(geometry.speed, w.dtype)
        )
        w = eqx.error_if(
            w,
            ~same,
            "With delays='round' the integer lags are fixed when the Network is built; "
            "speed or lengths changed since. Rebuild the Network (outside jit), or use "
            "delays='linear' to vary them.",
        )
        return (w,)
    frac = resolved.lengths / (resolved.speed * dt) - jnp.asarray(plan.base_lag, w.dtype)
    return (w * (1.0 - frac), w * frac)
