r"""Losses comparing simulated and empirical signal features.

Each takes the simulated feature first and the target second, returns a scalar, and
says in its docstring where it is smooth (so where gradient-based fitting works) and
where a gradient-free strategy or a smooth surrogate is needed.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from .metrics import upper_triangle

__all__ = [
    "fc_correlation_loss",
    "fc_mse_loss",
    "fcd_ks_distance",
    "fcd_ks_smooth",
    "fcd_wasserstein",
    "spectral_loss",
    "amplitude_loss",
    "plv_loss",
    "metastability_loss",
]


def _pearson(a: Array, b: Array) -> Array:
    a = a - jnp.mean(a)
    b = b - jnp.mean(b)
    return jnp.sum(a * b) / jnp.sqrt(jnp.sum(a**2) * jnp.sum(b**2))


def _same_shape(sim: Array, target: Array, what: str) -> None:
    if sim.shape != target.shape:
        raise ValueError(f"{what}: simulated shape {sim.shape} != target shape {target.shape}.")


def fc_correlation_loss(
    fc_sim: Float[ArrayLike, " nodes nodes"], fc_target: Float[ArrayLike, " nodes nodes"]
) -> Float[Array, ""]:
    r"""``1 - corr(triu(FC_sim), triu(FC_target))`` over the upper triangles (k = 1).

    In [0, 2]; 0 for FCs equal up to an affine map. Smooth wherever the simulated
    upper triangle is not constant (a constant one, e.g. all nodes perfectly
    synchronised, makes it 0/0).
    """
    fc_sim, fc_target = jnp.asarray(fc_sim), jnp.asarray(fc_target)
    _same_shape(fc_sim, fc_target, "fc_correlation_loss")
    return 1.0 - _pearson(upper_triangle(fc_sim), upper_triangle(fc_target))


def fc_mse_loss(
    fc_sim: Float[ArrayLike, " nodes nodes"], fc_target: Float[ArrayLike, " nodes nodes"]
) -> Float[Array, ""]:
    """Mean squared difference of the upper triangles (k = 1). Smooth everywhere."""
    fc_sim, fc_target = jnp.asarray(fc_sim), jnp.asarray(fc_target)
    _same_shape(fc_sim, fc_target, "fc_mse_loss")
    return jnp.mean((upper_triangle(fc_sim) - upper_triangle(fc_target)) ** 2)


def _fcd_values(fcd: ArrayLike) -> Array:
    return upper_triangle(jnp.asarray(fcd))


def fcd_ks_distance(
    fcd_sim: Float[ArrayLike, " windows windows"],
    fcd_target: Float[ArrayLike, " windows2 windows2"],
) -> Float[Array, ""]:
    r"""Two-sample Kolmogorov-Smirnov distance between the FCD matrices' upper
    triangles (k = 1): \(\sup_x |F_{sim}(x) - F_{target}(x)|\) of the empirical
    CDFs (Deco et al. 2017). The matrices may have different sizes.

    **Not smooth**: piecewise constant in the values, so its gradient is zero almost
    everywhere. Use it to report or for gradient-free fits; for gradients use
    `fcd_ks_smooth` or `fcd_wasserstein`.
    """
    a = jnp.sort(_fcd_values(fcd_sim))
    b = jnp.sort(_fcd_values(fcd_target))
    pooled = jnp.concatenate([a, b])
    cdf_a = jnp.searchsorted(a, pooled, side="right").astype(a.dtype) / a.shape[0]
    cdf_b = jnp.searchsorted(b, pooled, side="right").astype(b.dtype) / b.shape[0]
    return jnp.max(jnp.abs(cdf_a - cdf_b))


def fcd_ks_smooth(
    fcd_sim: Float[ArrayLike, " windows windows"],
    fcd_target: Float[ArrayLike, " windows2 windows2"],
    *,
    bandwidth: float = 0.02,
    n_grid: int = 201,
) -> Float[Array, ""]:
    r"""Smooth surrogate of `fcd_ks_distance`: each empirical CDF becomes a mean of
    logistic steps \(\tilde F(x) = \frac1n \sum_i \sigma((x - v_i) / h)\) with
    bandwidth ``h``, compared on ``n_grid`` points spanning [-1, 1] (FCD entries are
    correlations), and the largest gap taken.

    Smooth in the FCD values, up to the max over grid points (differentiable almost
    everywhere; the gradient flows through the grid point of the largest gap). Tends
    to the KS distance as ``h -> 0`` and the grid refines.
    """
    a = _fcd_values(fcd_sim)
    b = _fcd_values(fcd_target)
    grid = jnp.linspace(-1.0, 1.0, n_grid, dtype=a.dtype)

    def cdf(v: Array) -> Array:
        return jnp.mean(jax.nn.sigmoid((grid[:, None] - v[None, :]) / bandwidth), axis=1)

    return jnp.max(jnp.abs(cdf(a) - cdf(b)))


def fcd_wasserstein(
    fcd_sim: Float[ArrayLike, " windows windows"],
    fcd_target: Float[ArrayLike, " windows2 windows2"],
) -> Float[Array, ""]:
    r"""1-Wasserstein (earth mover's) distance between the FCD upper-triangle value
    distributions, \(W_1 = \int |F_{sim}(x) - F_{target}(x)|\,dx\), computed
    exactly from the sorted pooled values (equals ``scipy.stats.wasserstein_distance``).

    Differentiable almost everywhere (sorting is a permutation; the CDF gaps are
    constant between samples and the interval lengths carry the gradient): a
    well-behaved gradient alternative to the KS distance.
    """
    a = jnp.sort(_fcd_values(fcd_sim))
    b = jnp.sort(_fcd_values(fcd_target))
    pooled = jnp.sort(jnp.concatenate([a, b]))
    widths = jnp.diff(pooled)
    left = pooled[:-1]
    cdf_a = jnp.searchsorted(a, left, side="right").astype(a.dtype) / a.shape[0]
    cdf_b = jnp.searchsorted(b, left, side="right").astype(b.dtype) / b.shape[0]
    return jnp.sum(jnp.abs(cdf_a - cdf_b) * widths)


def spectral_loss(
    psd_sim: Float[ArrayLike, " freqs *nodes"],
    psd_target: Float[ArrayLike, " freqs *nodes"],
    *,
    log: bool = True,
    eps: float = 0.0,
) -> Float[Array, ""]:
    r"""Mean squared difference of area-normalised spectra (shape, not power).

    Each PSD is divided by its sum over frequencies (axis 0); with ``log`` the
    difference is of \(\log(P + \epsilon)\). Smooth wherever the simulated PSD is
    positive (``eps > 0`` guards empty bins). Compare amplitudes with
    `amplitude_loss`.
    """
    psd_sim, psd_target = jnp.asarray(psd_sim), jnp.asarray(psd_target)
    _same_shape(psd_sim, psd_target, "spectral_loss")
    p = psd_sim / jnp.sum(psd_sim, axis=0, keepdims=True)
    q = psd_target / jnp.sum(psd_target, axis=0, keepdims=True)
    if log:
        p, q = jnp.log(p + eps), jnp.log(q + eps)
    return jnp.mean((p - q) ** 2)


def amplitude_loss(
    amp_sim: Float[ArrayLike, " *nodes"], amp_target: Float[ArrayLike, " *nodes"]
) -> Float[Array, ""]:
    """Mean squared difference of amplitudes (`brainmass_fn.metrics.amplitude`).

    Smooth in its inputs; as smooth overall as the amplitude measure (``"rms"`` is
    smooth, ``"range"`` differentiable almost everywhere).
    """
    amp_sim, amp_target = jnp.asarray(amp_sim), jnp.asarray(amp_target)
    return jnp.mean((amp_sim - jnp.broadcast_to(amp_target, amp_sim.shape)) ** 2)


def plv_loss(
    plv_sim: Float[ArrayLike, " nodes nodes"], plv_target: Float[ArrayLike, " nodes nodes"]
) -> Float[Array, ""]:
    """Mean squared difference of the phase-locking matrices' upper triangles (k = 1)
    (`brainmass_fn.phase.phase_locking_value`).

    Smooth in its inputs; through the PLV, smooth in the phases except where a PLV
    entry is exactly 0, and through `instantaneous_phase` wherever the analytic
    signal is away from zero (see `brainmass_fn.phase`).
    """
    plv_sim, plv_target = jnp.asarray(plv_sim), jnp.asarray(plv_target)
    _same_shape(plv_sim, plv_target, "plv_loss")
    return jnp.mean((upper_triangle(plv_sim) - upper_triangle(plv_target)) ** 2)


def metastability_loss(
    meta_sim: Float[ArrayLike, ""], meta_target: Float[ArrayLike, ""]
) -> Float[Array, ""]:
    """Squared difference of metastabilities (`brainmass_fn.phase.metastability`),
    the SD over time of the Kuramoto order parameter (Deco et al. 2017).

    Smooth in its inputs; through `metastability`, smooth wherever the order
    parameter varies over time (pass ``eps > 0`` there otherwise).
    """
    return (jnp.asarray(meta_sim) - jnp.asarray(meta_target)) ** 2
