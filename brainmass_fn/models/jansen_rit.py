"""Jansen-Rit cortical column: pyramidal cells with excitatory and inhibitory interneurons."""

from __future__ import annotations

from typing import Any, ClassVar

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ..params import canonical_field
from ._base import AbstractNeuralMass

__all__ = ["JansenRit", "jansen_rit_sigmoid"]


def jansen_rit_sigmoid(
    v: Float[Array, " *nodes"], nu_max: Array, r: Array, v0: Array
) -> Float[Array, " *nodes"]:
    r"""Potential-to-rate sigmoid ``S(v) = 2 nu_max / (1 + exp(r (v0 - v)))`` (1/ms)."""
    return 2.0 * nu_max * jax.nn.sigmoid(r * (v - v0))


class JansenRit(AbstractNeuralMass):
    r"""Jansen-Rit neural mass (six states), in TVB's variable order.

    $$
    \begin{gathered}
    \dot y_0 = y_3, \quad \dot y_1 = y_4, \quad \dot y_2 = y_5, \\
    \dot y_3 = A a\, S(y_1 - y_2) - 2 a y_3 - a^2 y_0, \\
    \dot y_4 = A a\,[\mu + a_2 J\, S(a_1 J y_0) + u] - 2 a y_4 - a^2 y_1, \\
    \dot y_5 = B b\, a_4 J\, S(a_3 J y_0) - 2 b y_5 - b^2 y_2, \\
    S(v) = \frac{2 \nu_{max}}{1 + e^{r (v_0 - v)}}.
    \end{gathered}
    $$

    ``y0``, ``y1``, ``y2`` are the mean post-synaptic potentials (mV) of the
    pyramidal cells, the excitatory and the inhibitory input to them; ``y3..y5``
    their time derivatives (mV/ms). The EEG-like output is ``y1 - y2``
    (`JansenRit.eeg`). The input ``u`` (pulse density, 1/ms) adds to the
    pyramidal cells' excitatory input, next to ``mu``. A `Network` reads ``y1`` and
    ``y2`` of the sources and adds ``K a sum_j C_ij S(y1_j - y2_j)`` to ``u`` (TVB's
    ``SigmoidalJansenRit`` coupling, `brainmass_fn.coupling.SigmoidalJansenRit`, the
    default for this model).

    Parameters (defaults are TVB 2.10's ``JansenRit``; times in ms):
        a_amp: ``A``, maximal excitatory PSP amplitude, mV (3.25).
        b_amp: ``B``, maximal inhibitory PSP amplitude, mV (22.0).
        a: excitatory rate constant, 1/ms (0.1, i.e. 100 /s).
        b: inhibitory rate constant, 1/ms (0.05).
        v0: sigmoid midpoint, mV (5.52; Jansen & Rit 1995 used 6.0).
        nu_max: half the maximal firing rate ``e0``, 1/ms (0.0025, i.e. 2 e0 = 5 /s).
        r: sigmoid steepness, 1/mV (0.56).
        j: average number of synapses ``J`` (135.0).
        a_1, a_2, a_3, a_4: connectivity fractions (1.0, 0.8, 0.25, 0.25).
        mu: mean input pulse density, 1/ms (0.22, i.e. 220 /s).

    Mapping to TVB ``JansenRit``: ``A -> a_amp``, ``B -> b_amp``, ``J -> j``,
    others by name; TVB's coupling term ``c_0`` is our ``u``; same state order.
    Jansen & Rit (1995) work in seconds: ``a = 100 /s``, ``e0 = 2.5 /s``,
    ``p`` in 120..320 /s. neurolib 0.6.2 has no Jansen-Rit model.

    References: Jansen & Rit (1995) Biol. Cybern. 73:357-366; Lopes da Silva et al.
    (1974) Kybernetik 15:27-37; Sanz Leon et al. (2013) Front. Neuroinform. 7:10.
    """

    a_amp: Float[Array, " *nodes"] = canonical_field(3.25, "mV", "a_amp")
    b_amp: Float[Array, " *nodes"] = canonical_field(22.0, "mV", "b_amp")
    a: Float[Array, " *nodes"] = canonical_field(0.1, "1/ms", "a")
    b: Float[Array, " *nodes"] = canonical_field(0.05, "1/ms", "b")
    v0: Float[Array, " *nodes"] = canonical_field(5.52, "mV", "v0")
    nu_max: Float[Array, " *nodes"] = canonical_field(0.0025, "1/ms", "nu_max")
    r: Float[Array, " *nodes"] = canonical_field(0.56, "1/mV", "r")
    j: Float[Array, " *nodes"] = canonical_field(135.0, name="j")
    a_1: Float[Array, " *nodes"] = canonical_field(1.0, name="a_1")
    a_2: Float[Array, " *nodes"] = canonical_field(0.8, name="a_2")
    a_3: Float[Array, " *nodes"] = canonical_field(0.25, name="a_3")
    a_4: Float[Array, " *nodes"] = canonical_field(0.25, name="a_4")
    mu: Float[Array, " *nodes"] = canonical_field(0.22, "1/ms", "mu")

    state_names: ClassVar[tuple[str, ...]] = ("y0", "y1", "y2", "y3", "y4", "y5")
    input_names: ClassVar[tuple[str, ...]] = ("y4",)
    coupled_names: ClassVar[tuple[str, ...]] = ("y1", "y2")
    #: TVB's network convention: ``S(y1 - y2)`` of the sources into ``y4``
    coupling_targets: ClassVar[tuple[str, ...]] = ("y4",)  # pyright: ignore[reportIncompatibleMethodOverride]
    default_coupling: ClassVar[str] = "sigmoidal_jansen_rit"  # pyright: ignore[reportIncompatibleMethodOverride]

    def sigmoid(self, v: Float[Array, " *nodes"]) -> Float[Array, " *nodes"]:
        """The model's potential-to-rate sigmoid ``S(v)``, 1/ms."""
        return jansen_rit_sigmoid(v, self.nu_max, self.r, self.v0)

    def vector_field(
        self,
        t: Float[Array, ""],
        state: Float[Array, " 6 *nodes"],
        input: Float[Array, " 1 *nodes"],
        args: Any = None,
    ) -> Float[Array, " 6 *nodes"]:
        y0, y1, y2, y3, y4, y5 = state
        (u,) = jnp.broadcast_to(input, (1, *state.shape[1:]))
        a, b = self.a, self.b
        s_pyr = self.sigmoid(y1 - y2)
        s_exc = self.sigmoid(self.a_1 * self.j * y0)
        s_inh = self.sigmoid(self.a_3 * self.j * y0)
        dy3 = self.a_amp * a * s_pyr - 2.0 * a * y3 - a**2 * y0
        dy4 = self.a_amp * a * (self.mu + self.a_2 * self.j * s_exc + u) - 2.0 * a * y4 - a**2 * y1
        dy5 = self.b_amp * b * self.a_4 * self.j * s_inh - 2.0 * b * y5 - b**2 * y2
        return jnp.stack([y3, y4, y5, dy3, dy4, dy5])

    @staticmethod
    def eeg(state: Float[Array, " 6 *nodes"]) -> Float[Array, " *nodes"]:
        """EEG-like output ``y1 - y2`` (mV) of a state ``(6, *nodes)``.

        For a `Trajectory` use ``traj["y1"] - traj["y2"]``.
        """
        return state[1] - state[2]

    def default_state(self) -> tuple[float, ...]:
        return (0.0, 15.0, 10.0, 0.0, 0.0, 0.0)
