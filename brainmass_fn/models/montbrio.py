"""Montbrio-Pazo-Roxin: exact mean field of a population of QIF neurons."""

from __future__ import annotations

from typing import Any, ClassVar

import jax.numpy as jnp
from jaxtyping import Array, Float

from ..params import canonical_field
from ._base import AbstractNeuralMass

__all__ = ["MontbrioPazoRoxin"]


class MontbrioPazoRoxin(AbstractNeuralMass):
    r"""Firing-rate / mean-voltage equations of Montbrio, Pazo & Roxin (2015).

    $$
    \tau \dot r = \frac{\Delta}{\pi \tau} + 2 r v + u_r, \qquad
    \tau \dot v = v^2 + \eta + J \tau r - (\pi \tau r)^2 + I + u_v
    $$

    ``r`` is the population firing rate (1/ms = kHz) and ``v`` the mean membrane
    potential (dimensionless, in units of the QIF neuron's voltage scale). For the
    default parameters (``eta = -5``, ``J = 15``, ``Delta = 1``, ``tau = 1 ms``) the
    node rests at a stable low-activity focus; in a bistable range of ``eta`` a
    high-activity focus coexists. Input ``u`` is added to both equations (scaled by
    ``1/tau``, so it is a rate of change in ``tau`` units). A `Network` reads ``r``
    and adds the coupling to the ``v`` equation, as TVB's ``MontbrioPazoRoxin`` (its
    ``c_r`` term with ``cr = 1``, ``cv = 0``: ``tau dV/dt = ... + c_r``); pass
    ``targets=("r",)`` to drive the rate equation instead.

    Parameters:
        tau: membrane time constant, ms (1.0).
        delta: half-width of the Lorentzian distribution of excitabilities (1.0).
        eta: centre of that distribution (-5.0).
        j: recurrent synaptic weight (15.0).
        i_ext: constant external current (0.0).

    Reference: Montbrio, Pazo & Roxin (2015) Phys. Rev. X 5:021028.
    """

    tau: Float[Array, " *nodes"] = canonical_field(1.0, "ms", "tau")
    delta: Float[Array, " *nodes"] = canonical_field(1.0, name="delta")
    eta: Float[Array, " *nodes"] = canonical_field(-5.0, name="eta")
    j: Float[Array, " *nodes"] = canonical_field(15.0, name="j")
    i_ext: Float[Array, " *nodes"] = canonical_field(0.0, name="i_ext")

    state_names: ClassVar[tuple[str, ...]] = ("r", "v")
    input_names: ClassVar[tuple[str, ...]] = ("r", "v")
    coupled_names: ClassVar[tuple[str, ...]] = ("r",)
    coupling_targets: ClassVar[tuple[str, ...]] = ("v",)  # pyright: ignore[reportIncompatibleMethodOverride]

    def vector_field(
        self,
        t: Float[Array, ""],
        state: Float[Array, " 2 *nodes"],
        input: Float[Array, " 2 *nodes"],
        args: Any = None,
    ) -> Float[Array, " 2 *nodes"]:
        r, v = state
        u_r, u_v = jnp.broadcast_to(input, state.shape)
        tau = self.tau
        dr = self.delta / (jnp.pi * tau) + 2.0 * r * v + u_r
        dv = v**2 + self.eta + self.j * tau * r - (jnp.pi * tau * r) ** 2 + self.i_ext + u_v
        return jnp.stack([dr, dv]) / tau

    def default_state(self) -> tuple[float, ...]:
        return (0.1, -2.0)
