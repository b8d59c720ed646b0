"""Wilson-Cowan excitatory-inhibitory rate model."""

from __future__ import annotations

from typing import Any, ClassVar

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ..params import canonical_field
from ._base import AbstractNeuralMass

__all__ = ["WilsonCowan"]


class WilsonCowan(AbstractNeuralMass):
    r"""Wilson-Cowan node with excitatory (E) and inhibitory (I) populations.

    $$
    \begin{gathered}
    \tau_E \dot E = -E + (1 - E)\, S_E(c_{EE} E - c_{IE} I + P + u_E), \\
    \tau_I \dot I = -I + (1 - I)\, S_I(c_{EI} E - c_{II} I + Q + u_I),
    \end{gathered}
    $$

    with the logistic ``S(x) = 1 / (1 + exp(-a (x - mu)))``. ``E`` and ``I`` are
    dimensionless fractions of active cells in [0, 1]. The input ``u`` (coupling and
    drive) enters inside the sigmoids, as in neurolib's ``WCModel``; a network couples
    through ``E``. Defaults are neurolib's (0.6.2); ``c_IE`` is the I->E weight and
    ``c_EI`` the E->I weight (neurolib's ``c_inhexc`` and ``c_excinh``).

    Parameters:
        tau_e, tau_i: time constants, ms (2.5, 3.75).
        c_ee, c_ie, c_ei, c_ii: local coupling weights (16, 12, 15, 3).
        a_e, a_i: sigmoid gains (1.5, 1.5).
        mu_e, mu_i: sigmoid thresholds (3.0, 3.0).
        p, q: constant external drives to E and I (0.0, 0.0).

    References: Wilson & Cowan (1972) Biophys. J. 12:1-24; Cakan et al. (2023)
    Cogn. Comput. 15:1132 (neurolib).
    """

    tau_e: Float[Array, " *nodes"] = canonical_field(2.5, "ms", "tau_e")
    tau_i: Float[Array, " *nodes"] = canonical_field(3.75, "ms", "tau_i")
    c_ee: Float[Array, " *nodes"] = canonical_field(16.0, name="c_ee")
    c_ie: Float[Array, " *nodes"] = canonical_field(12.0, name="c_ie")
    c_ei: Float[Array, " *nodes"] = canonical_field(15.0, name="c_ei")
    c_ii: Float[Array, " *nodes"] = canonical_field(3.0, name="c_ii")
    a_e: Float[Array, " *nodes"] = canonical_field(1.5, name="a_e")
    a_i: Float[Array, " *nodes"] = canonical_field(1.5, name="a_i")
    mu_e: Float[Array, " *nodes"] = canonical_field(3.0, name="mu_e")
    mu_i: Float[Array, " *nodes"] = canonical_field(3.0, name="mu_i")
    p: Float[Array, " *nodes"] = canonical_field(0.0, name="p")
    q: Float[Array, " *nodes"] = canonical_field(0.0, name="q")

    state_names: ClassVar[tuple[str, ...]] = ("E", "I")
    input_names: ClassVar[tuple[str, ...]] = ("E", "I")
    coupled_names: ClassVar[tuple[str, ...]] = ("E",)

    def vector_field(
        self,
        t: Float[Array, ""],
        state: Float[Array, " 2 *nodes"],
        input: Float[Array, " 2 *nodes"],
        args: Any = None,
    ) -> Float[Array, " 2 *nodes"]:
        e, i = state
        u_e, u_i = jnp.broadcast_to(input, state.shape)
        s_e = jax.nn.sigmoid(self.a_e * (self.c_ee * e - self.c_ie * i + self.p + u_e - self.mu_e))
        s_i = jax.nn.sigmoid(self.a_i * (self.c_ei * e - self.c_ii * i + self.q + u_i - self.mu_i))
        return jnp.stack([(-e + (1 - e) * s_e) / self.tau_e, (-i + (1 - i) * s_i) / self.tau_i])

    def default_state(self) -> tuple[float, ...]:
        return (0.05, 0.05)
