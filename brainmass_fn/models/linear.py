"""Linear node: exponential relaxation with additive input."""

from __future__ import annotations

from typing import Any, ClassVar

import jax.numpy as jnp
from jaxtyping import Array, Float

from ..params import canonical_field
from ._base import AbstractNeuralMass

__all__ = ["Linear"]


class Linear(AbstractNeuralMass):
    r"""Linear node ``dx/dt = gamma x + u``.

    ``x`` is dimensionless; ``gamma`` (1/ms) must be negative for a stable node.
    With constant input ``u`` the solution is
    ``x(t) = -u/gamma + (x_0 + u/gamma) exp(gamma t)``. In a network (``u`` the
    coupling ``sum_j C_ij x_j``) the system stays stable while ``-gamma``
    exceeds the largest eigenvalue of the coupling matrix. A network couples
    through ``x``.

    Parameters:
        gamma: damping rate, 1/ms (-10.0, TVB's default).

    Mapping to TVB ``Linear``: ``gamma`` by name, its coupling ``c`` is our ``u``.
    neurolib 0.6.2 has no linear node.

    References: Sanz Leon et al. (2013) Front. Neuroinform. 7:10 (TVB);
    Galan (2008) PLoS ONE 3:e2148.
    """

    gamma: Float[Array, " *nodes"] = canonical_field(-10.0, "1/ms", "gamma")

    state_names: ClassVar[tuple[str, ...]] = ("x",)
    input_names: ClassVar[tuple[str, ...]] = ("x",)
    coupled_names: ClassVar[tuple[str, ...]] = ("x",)

    def vector_field(
        self,
        t: Float[Array, ""],
        state: Float[Array, " 1 *nodes"],
        input: Float[Array, " 1 *nodes"],
        args: Any = None,
    ) -> Float[Array, " 1 *nodes"]:
        return self.gamma * state + jnp.broadcast_to(input, state.shape)

    def default_state(self) -> tuple[float, ...]:
        return (0.1,)
