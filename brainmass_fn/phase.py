r"""Phase and synchrony: analytic signal, order parameter, metastability, PLV, envelope FC.

Traces are ``(time, nodes)`` (time first), phases in radians, ``dt`` in ms,
frequencies in Hz. All are pure jnp functions (jit / vmap / grad).

- `analytic_signal`: \(x + i\,\mathcal H[x]\) by FFT (equals ``scipy.signal.hilbert``).
- `envelope`, `instantaneous_phase`: its modulus and argument.
- `order_parameter`: Kuramoto's \(R(t) = |\frac1N \sum_j e^{i\theta_j(t)}|\)
  (Kuramoto 1984).
- `metastability`: the standard deviation of \(R(t)\) over time (Shanahan 2010;
  Deco et al. 2017).
- `phase_locking_value`: \(|\frac1T \sum_t e^{i(\theta_i - \theta_j)}|\) between
  every pair (Lachaux et al. 1999).
- `envelope_fc`: FC of band-limited amplitude envelopes (Brookes et al. 2011;
  Hipp et al. 2012).

Magnitude-squared coherence is `brainmass_fn.metrics.coherence`.

**Where the gradient is not meaningful.** A phase is the argument of a complex
number and is undefined where the analytic signal is zero: `instantaneous_phase`
returns 0 there with a zero gradient (the angle is evaluated at a safe point and
masked out), instead of the NaN that ``d angle(z)/dz`` at ``z = 0`` would spread
through a whole loss. Near zero amplitude the phase is defined but ill-conditioned:
its gradient grows like ``1 / |z|``; band-pass first (`brainmass_fn.signal.bandpass`)
so that the analytic signal stays away from zero, and trim the edges, where the FFT's
periodic wrap-around distorts phase and amplitude. The moduli used here
(`envelope`, `order_parameter`, `phase_locking_value`) are differentiable except at
0, where the gradient returned is 0 (a subgradient): a fully incoherent population
(``R = 0`` exactly) gives no gradient direction.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Complex, Float

from .metrics import fc
from .signal import bandpass

__all__ = [
    "analytic_signal",
    "envelope",
    "instantaneous_phase",
    "order_parameter",
    "metastability",
    "phase_locking_value",
    "envelope_fc",
]


def analytic_signal(
    x: Float[ArrayLike, " time *nodes"], axis: int = 0
) -> Complex[Array, " time *nodes"]:
    r"""The analytic signal \(x + i\,\mathcal H[x]\) along ``axis`` (time) by FFT.

    The spectrum is kept at 0 Hz (and at Nyquist for an even length), doubled at
    positive frequencies and zeroed at negative ones (Marple 1999); equals
    ``scipy.signal.hilbert(x, axis=axis)`` for odd and even lengths. The FFT treats
    the trace as periodic: the first and last few cycles are distorted unless the
    trace wraps smoothly. Linear in ``x``.
    """
    x = jnp.asarray(x)
    n = x.shape[axis]
    if n < 1:
        raise ValueError(f"x has no samples along axis {axis}.")
    weights = np.zeros(n)
    weights[0] = 1.0
    if n % 2 == 0:
        weights[1 : n // 2] = 2.0
        weights[n // 2] = 1.0
    else:
        weights[1 : (n + 1) // 2] = 2.0
    shape = [1] * x.ndim
    shape[axis] = n
    spec = jnp.fft.fft(x, axis=axis)
    return jnp.fft.ifft(spec * weights.reshape(shape), axis=axis)


def envelope(x: Float[ArrayLike, " time *nodes"], axis: int = 0) -> Float[Array, " time *nodes"]:
    """Instantaneous amplitude ``|analytic_signal(x)|``; differentiable where it is > 0
    (gradient 0 where it is exactly 0)."""
    return jnp.abs(analytic_signal(x, axis))


def instantaneous_phase(
    x: Float[ArrayLike, " time *nodes"], axis: int = 0
) -> Float[Array, " time *nodes"]:
    r"""Instantaneous phase ``angle(analytic_signal(x))`` in (-pi, pi], radians.

    Where the analytic signal is exactly 0 the phase is undefined: it is returned as
    0 with a zero gradient (not NaN). Near zero amplitude the gradient is large
    (\(\propto 1/|z|\)); see the module notes.
    """
    z = analytic_signal(x, axis)
    zero = z == 0
    safe = jnp.where(zero, jnp.ones_like(z), z)
    return jnp.where(zero, 0.0, jnp.angle(safe))


def _phasors(phase: ArrayLike) -> Array:
    phase = jnp.asarray(phase)
    if phase.ndim != 2:
        raise ValueError(f"phase must have shape (time, nodes), got {phase.shape}.")
    return jnp.exp(1j * phase)


def order_parameter(phase: Float[ArrayLike, " time nodes"]) -> Float[Array, " time"]:
    r"""Kuramoto order parameter \(R(t) = \left|\frac1N \sum_{j=1}^N e^{i\theta_j(t)}\right|\).

    ``phase`` in radians, e.g. a `Kuramoto` network's state or
    `instantaneous_phase` of band-passed traces. In [0, 1]: 1 when all phases agree.
    Smooth in the phases except where ``R = 0`` (gradient 0 there).
    """
    return jnp.abs(jnp.mean(_phasors(phase), axis=1))


def metastability(phase: Float[ArrayLike, " time nodes"], eps: float = 0.0) -> Float[Array, ""]:
    r"""Metastability: the standard deviation over time of `order_parameter`,
    \(\sqrt{\langle R^2 \rangle_t - \langle R \rangle_t^2 + \epsilon}\) (population SD,
    ddof 0; Shanahan 2010, Deco et al. 2017).

    As smooth as \(R\) wherever \(R(t)\) varies; the square root has an infinite
    slope at 0, so a perfectly steady \(R\) gives a NaN gradient unless ``eps > 0``
    (which adds ``eps`` to the variance).
    """
    r = order_parameter(phase)
    return jnp.sqrt(jnp.mean((r - jnp.mean(r)) ** 2) + eps)


def phase_locking_value(phase: Float[ArrayLike, " time nodes"]) -> Float[Array, " nodes nodes"]:
    r"""Phase-locking value between every pair of nodes (Lachaux et al. 1999):

    $$
    \mathrm{PLV}_{ij} = \left| \frac1T \sum_t e^{i(\theta_i(t) - \theta_j(t))} \right|,
    $$

    in [0, 1], symmetric, 1 on the diagonal. Smooth in the phases except at
    ``PLV = 0`` (gradient 0 there).
    """
    u = _phasors(phase)
    cross = jnp.matmul(u.T, jnp.conj(u), precision=jax.lax.Precision.HIGHEST)
    return jnp.abs(cross) / u.shape[0]


def envelope_fc(
    x: Float[ArrayLike, " time nodes"],
    dt: float | Any,
    low: float | None,
    high: float | None,
    *,
    order: int = 4,
    trim: int = 0,
    eps: float = 0.0,
) -> Float[Array, " nodes nodes"]:
    """Amplitude-envelope FC: `fc` of the `envelope` of each band-passed trace.

    ``x`` is band-passed to ``[low, high]`` Hz (`brainmass_fn.signal.bandpass`,
    zero-phase Butterworth of ``order``, detrended), its envelope taken and ``trim``
    samples dropped at each end (edge effects of the periodic FFT) before the
    Pearson correlation (``eps`` as in `fc`). Differentiable wherever the envelopes
    are positive and not constant.
    """
    x = jnp.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"x must have shape (time, nodes), got {x.shape}.")
    if not isinstance(trim, int) or trim < 0 or 2 * trim >= x.shape[0] - 1:
        raise ValueError(
            f"trim must be an int >= 0 leaving at least 2 samples of {x.shape[0]}, got {trim!r}."
        )
    env = envelope(bandpass(x, dt, low, high, order=order))
    return fc(env[trim : x.shape[0] - trim], eps=eps)
