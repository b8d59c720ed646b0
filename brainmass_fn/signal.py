r"""Differentiable signal helpers: z-scoring, detrending, zero-phase band-pass.

Traces are ``(time, *nodes)`` with the time axis first; sample spacing ``dt`` in ms
(or a pint time quantity), frequencies in Hz. Every function is linear or smooth in
the trace, so it jits, vmaps and differentiates.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from .units import to_canonical

__all__ = ["zscore", "detrend", "bandpass", "bandpass_gain", "sampling_rate"]


def sampling_rate(dt: float | Any) -> float:
    """Samples per second (Hz) for a sample spacing ``dt`` in ms."""
    dt = to_canonical(dt, "ms", "dt")
    try:
        dt = float(dt)
    except TypeError:
        raise TypeError("dt must be a concrete number of ms, not a traced array.") from None
    if not dt > 0:
        raise ValueError(f"dt must be > 0 ms, got {dt}.")
    return 1000.0 / dt


def zscore(
    x: Float[ArrayLike, " time *nodes"], axis: int = 0, eps: float = 0.0
) -> Float[Array, " time *nodes"]:
    r"""``(x - mean) / sqrt(var + eps)`` along ``axis`` (population variance, ddof = 0).

    A constant trace gives NaN unless ``eps > 0``; a small ``eps`` keeps gradients
    finite for flat traces.
    """
    x = jnp.asarray(x)
    mu = jnp.mean(x, axis=axis, keepdims=True)
    var = jnp.mean((x - mu) ** 2, axis=axis, keepdims=True)
    return (x - mu) / jnp.sqrt(var + eps)


def detrend(x: Float[ArrayLike, " time *nodes"], order: int = 1) -> Float[Array, " time *nodes"]:
    """Remove the least-squares polynomial of ``order`` (0: mean, 1: line) along time.

    A linear projection ``x - P x`` (orthogonal projector onto polynomials of degree <=
    ``order`` on the sample grid): exact, smooth, cheap.
    """
    x = jnp.asarray(x)
    n = x.shape[0]
    t = jnp.linspace(-1.0, 1.0, n, dtype=x.dtype)
    basis = jnp.stack([t**k for k in range(order + 1)], axis=1)  # time x (order+1)
    q, _ = jnp.linalg.qr(basis)
    flat = x.reshape(n, -1)
    return (flat - q @ (q.T @ flat)).reshape(x.shape)


def bandpass_gain(
    freqs: Float[ArrayLike, " freqs"],
    low: float | None,
    high: float | None,
    order: int = 4,
) -> Float[Array, " freqs"]:
    r"""Zero-phase Butterworth magnitude \(|H(f)|^2\) (the gain of a forward-backward
    Butterworth filter of ``order``, as ``scipy.signal.filtfilt`` applies):

    $$
    |H(f)|^2 = \frac{1}{1 + (f_\ell / f)^{2n}} \cdot \frac{1}{1 + (f / f_h)^{2n}}.
    $$

    ``low`` or ``high`` may be None for a high- or low-pass. Gain 1/4 at each cut-off.
    """
    f = jnp.abs(jnp.asarray(freqs))
    gain = jnp.ones_like(f)
    if high is not None:
        gain = gain / (1.0 + (f / high) ** (2 * order))
    if low is not None:
        safe = jnp.where(f > 0, f, 1.0)
        gain = jnp.where(f > 0, gain / (1.0 + (low / safe) ** (2 * order)), 0.0)
    return gain


def bandpass(
    x: Float[ArrayLike, " time *nodes"],
    dt: float | Any,
    low: float | None,
    high: float | None,
    *,
    order: int = 4,
    detrend_order: int | None = 1,
) -> Float[Array, " time *nodes"]:
    """Zero-phase band-pass filter in the frequency domain (differentiable).

    ``x`` is detrended (``detrend_order``; None to skip), transformed with a real FFT,
    multiplied by `bandpass_gain` and transformed back. The FFT treats the trace as
    periodic: detrending, or discarding a few samples at each end, limits wrap-around
    at the edges. Cut-offs ``low`` and ``high`` in Hz (either may be None), ``dt`` in ms.
    A linear map of ``x`` (cut-offs are static floats).
    """
    fs = sampling_rate(dt)
    nyquist = fs / 2
    for name, value in (("low", low), ("high", high)):
        if value is not None and not 0 < value < nyquist:
            raise ValueError(f"{name} must be in (0, {nyquist}) Hz (Nyquist), got {value}.")
    if low is not None and high is not None and not low < high:
        raise ValueError(f"need low < high, got low={low}, high={high} Hz.")
    x = jnp.asarray(x)
    if detrend_order is not None:
        x = detrend(x, detrend_order)
    n = x.shape[0]
    freqs = jnp.fft.rfftfreq(n, d=1.0 / fs)
    spec = jnp.fft.rfft(x, axis=0)
    gain = bandpass_gain(freqs, low, high, order).reshape((-1,) + (1,) * (x.ndim - 1))
    return jnp.fft.irfft(spec * gain, n=n, axis=0)
