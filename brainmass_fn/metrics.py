r"""Signal metrics: functional connectivity, its dynamics, spectra and amplitudes.

Phase and synchrony measures (analytic signal, order parameter, PLV, envelope FC)
are in `brainmass_fn.phase`.

Traces are ``(time, nodes)`` (time first); sample spacing ``dt`` in ms; frequencies
in Hz. All are pure jnp functions (jit / vmap / grad). Where a metric is only
piecewise smooth (an argmax, a max), a smooth variant is offered.

- `fc`: Pearson correlation matrix (Biswal et al. 1995).
- `fcd`: functional connectivity dynamics, correlations between sliding-window FCs
  (Hansen et al. 2015; Deco et al. 2017).
- `welch`: power spectral density by Welch's method (Welch 1967), scipy's defaults.
- `coherence`, `coherence_matrix`: magnitude-squared coherence by Welch's method.
- `peak_frequency`: spectral peak, hard (argmax) or smooth (softmax-weighted).
- `amplitude`: settled oscillation amplitude.
"""

from __future__ import annotations

from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from .signal import sampling_rate

__all__ = [
    "fc",
    "upper_triangle",
    "fcd",
    "welch",
    "coherence",
    "coherence_matrix",
    "peak_frequency",
    "amplitude",
]


def _traces(x: ArrayLike, name: str = "ts") -> Array:
    x = jnp.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"{name} must have shape (time, nodes), got {x.shape}.")
    return x


def fc(ts: Float[ArrayLike, " time nodes"], eps: float = 0.0) -> Float[Array, " nodes nodes"]:
    r"""Pearson correlation between the nodes' traces (equals ``numpy.corrcoef(ts.T)``).

    $$
    FC_{ij} = \frac{\sum_t \tilde x_{ti} \tilde x_{tj}}
    {\sqrt{\sum_t \tilde x_{ti}^2 \sum_t \tilde x_{tj}^2}},
    \quad \tilde x = x - \bar x.
    $$

    Smooth wherever no trace is constant; ``eps > 0`` (added to each variance)
    keeps it finite for flat traces.
    """
    ts = _traces(ts)
    centred = ts - jnp.mean(ts, axis=0)
    cov = centred.T @ centred
    sd = jnp.sqrt(jnp.diag(cov) + eps * ts.shape[0])
    return cov / (sd[:, None] * sd[None, :])


def upper_triangle(m: Float[ArrayLike, " n n"], k: int = 1) -> Float[Array, " pairs"]:
    """Entries above the diagonal (offset ``k``), row by row."""
    m = jnp.asarray(m)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"expected a square matrix, got shape {m.shape}.")
    i, j = np.triu_indices(m.shape[0], k=k)
    return m[i, j]


def _pearson_rows(a: Array) -> Array:
    centred = a - jnp.mean(a, axis=1, keepdims=True)
    norm = jnp.sqrt(jnp.sum(centred**2, axis=1))
    return (centred @ centred.T) / (norm[:, None] * norm[None, :])


def fcd(
    ts: Float[ArrayLike, " time nodes"], window: int, step: int = 1
) -> Float[Array, " windows windows"]:
    """Functional connectivity dynamics matrix.

    FC (`fc`) in windows of ``window`` samples starting every ``step`` samples; entry
    ``(a, b)`` is the Pearson correlation between the upper triangles of window
    ``a``'s and window ``b``'s FC (Hansen et al. 2015). Window and step are in
    samples (for a window of ``W`` ms at spacing ``dt``, pass ``round(W / dt)``).
    Smooth wherever no windowed trace is constant.
    """
    ts = _traces(ts)
    n = ts.shape[0]
    if not (isinstance(window, int) and isinstance(step, int)) or window < 2 or step < 1:
        raise ValueError(
            f"window (>= 2) and step (>= 1) must be ints of samples, got "
            f"window={window!r}, step={step!r}."
        )
    if window > n:
        raise ValueError(f"window ({window} samples) is longer than the trace ({n}).")
    starts = np.arange(0, n - window + 1, step)
    if len(starts) < 2:
        raise ValueError("fcd needs at least two windows; shorten window or step.")
    segments = ts[starts[:, None] + np.arange(window)[None, :]]  # windows x window x nodes
    triangles = jax.vmap(lambda seg: upper_triangle(fc(seg)))(segments)
    return _pearson_rows(triangles)


def _hann(n: int, dtype: Any) -> Array:
    # periodic Hann window (scipy.signal.get_window("hann", n), sym=False)
    return (0.5 - 0.5 * jnp.cos(2.0 * jnp.pi * jnp.arange(n) / n)).astype(dtype)


def welch(
    x: Float[ArrayLike, " time *nodes"],
    dt: float | Any,
    nperseg: int = 256,
    noverlap: int | None = None,
    *,
    detrend: Literal["constant", "linear"] | None = "constant",
) -> tuple[Float[Array, " freqs"], Float[Array, " freqs *nodes"]]:
    r"""One-sided power spectral density by Welch's method (Welch 1967).

    The trace is cut into segments of ``nperseg`` samples overlapping by ``noverlap``
    (default half), each detrended, multiplied by a periodic Hann window ``w`` and
    Fourier transformed; the periodograms
    \(P(f) = 2 |X(f)|^2 / (f_s \sum w^2)\) (not doubled at 0 and Nyquist) are
    averaged. Matches ``scipy.signal.welch(x, fs, nperseg=..., axis=0)``.

    Args:
        x: ``(time, *nodes)``.
        dt: sample spacing, ms; ``fs = 1000 / dt`` Hz.
    Returns:
        ``(freqs, psd)``: frequencies in Hz and the PSD in units of x² / Hz.

    Quadratic in ``x``: smooth.
    """
    fs = sampling_rate(dt)
    spec, win = _segment_spectra(jnp.asarray(x), nperseg, noverlap, detrend)
    power = jnp.real(spec * jnp.conj(spec)) / (fs * jnp.sum(win**2))
    double = np.full(nperseg // 2 + 1, 2.0)
    double[0] = 1.0
    if nperseg % 2 == 0:
        double[-1] = 1.0
    power = power * double.reshape((1, -1) + (1,) * (power.ndim - 2))
    freqs = jnp.asarray(np.fft.rfftfreq(nperseg, d=1.0 / fs), dtype=power.dtype)
    return freqs, jnp.mean(power, axis=0)


def coherence(
    x: Float[ArrayLike, " time *nodes"],
    y: Float[ArrayLike, " time *nodes"],
    dt: float | Any,
    nperseg: int = 256,
    noverlap: int | None = None,
    *,
    detrend: Literal["constant", "linear"] | None = "constant",
    eps: float = 0.0,
) -> tuple[Float[Array, " freqs"], Float[Array, " freqs *nodes"]]:
    r"""Magnitude-squared coherence of ``x`` and ``y``, trace by trace (Welch's method):

    $$
    C_{xy}(f) = \frac{|P_{xy}(f)|^2}{P_{xx}(f)\, P_{yy}(f) + \epsilon},
    $$

    with the cross and auto spectra averaged over the segments of `welch` (same
    ``nperseg``, ``noverlap``, ``detrend`` and periodic Hann window). In [0, 1].
    Matches ``scipy.signal.coherence(x, y, fs, nperseg=..., noverlap=..., axis=0)``.

    Smooth wherever both auto spectra are positive; a bin where one trace has no
    power is 0/0 (NaN) unless ``eps > 0`` (in x² y² units; it biases C down by
    about ``eps / (P_xx P_yy)``).

    Args:
        x, y: ``(time, *nodes)``, the same shape.
        dt: sample spacing, ms.
    Returns:
        ``(freqs, coherence)``: frequencies in Hz and ``(freqs, *nodes)``.
    """
    fs = sampling_rate(dt)
    x, y = jnp.asarray(x), jnp.asarray(y)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {x.shape} and {y.shape}.")
    sx, _ = _segment_spectra(x, nperseg, noverlap, detrend)
    sy, _ = _segment_spectra(y, nperseg, noverlap, detrend)
    pxy = jnp.mean(sx * jnp.conj(sy), axis=0)
    pxx = jnp.mean(jnp.real(sx * jnp.conj(sx)), axis=0)
    pyy = jnp.mean(jnp.real(sy * jnp.conj(sy)), axis=0)
    freqs = jnp.asarray(np.fft.rfftfreq(nperseg, d=1.0 / fs), dtype=pxx.dtype)
    return freqs, jnp.real(pxy * jnp.conj(pxy)) / (pxx * pyy + eps)


def coherence_matrix(
    x: Float[ArrayLike, " time nodes"],
    dt: float | Any,
    nperseg: int = 256,
    noverlap: int | None = None,
    *,
    detrend: Literal["constant", "linear"] | None = "constant",
    eps: float = 0.0,
) -> tuple[Float[Array, " freqs"], Float[Array, " freqs nodes nodes"]]:
    """Magnitude-squared coherence between every pair of nodes (`coherence` of node
    ``i`` with node ``j`` at entry ``[:, i, j]``; 1 on the diagonal). Same arguments
    and smoothness as `coherence`.
    """
    fs = sampling_rate(dt)
    x = _traces(x, "x")
    s, _ = _segment_spectra(x, nperseg, noverlap, detrend)  # seg x freqs x nodes
    cross = jnp.einsum("sfi,sfj->fij", s, jnp.conj(s), precision=jax.lax.Precision.HIGHEST)
    cross = cross / s.shape[0]
    auto = jnp.real(jnp.diagonal(cross, axis1=1, axis2=2))  # freqs x nodes
    freqs = jnp.asarray(np.fft.rfftfreq(nperseg, d=1.0 / fs), dtype=auto.dtype)
    coh = jnp.real(cross * jnp.conj(cross)) / (auto[:, :, None] * auto[:, None, :] + eps)
    return freqs, coh


def _segment_spectra(
    x: Array, nperseg: int, noverlap: int | None, detrend: str | None
) -> tuple[Array, Array]:
    """Welch's windowed segment spectra ``(segments, freqs, *nodes)`` and the window."""
    n = x.shape[0]
    if not isinstance(nperseg, int) or nperseg < 2:
        raise ValueError(f"nperseg must be an int >= 2, got {nperseg!r}.")
    if nperseg > n:
        raise ValueError(f"nperseg ({nperseg}) is longer than the trace ({n} samples).")
    noverlap = nperseg // 2 if noverlap is None else noverlap
    if not 0 <= noverlap < nperseg:
        raise ValueError(f"noverlap must be in [0, nperseg), got {noverlap}.")
    hop = nperseg - noverlap
    starts = np.arange(0, n - nperseg + 1, hop)
    segments = x[starts[:, None] + np.arange(nperseg)[None, :]]  # seg x nperseg x nodes
    if detrend == "constant":
        segments = segments - jnp.mean(segments, axis=1, keepdims=True)
    elif detrend == "linear":
        from .signal import detrend as _detrend

        segments = jax.vmap(_detrend)(segments)
    elif detrend is not None:
        raise ValueError(f"detrend must be 'constant', 'linear' or None, got {detrend!r}.")
    win = _hann(nperseg, x.dtype).reshape((1, nperseg) + (1,) * (x.ndim - 1))
    return jnp.fft.rfft(segments * win, axis=1), win


def peak_frequency(
    freqs: Float[ArrayLike, " freqs"],
    psd: Float[ArrayLike, " freqs *nodes"],
    *,
    fmin: float | None = None,
    fmax: float | None = None,
    temperature: float | None = None,
) -> Float[Array, " *nodes"]:
    r"""Frequency of the spectral peak (Hz) within ``[fmin, fmax]``.

    ``temperature=None``: the argmax (exact, but piecewise constant: zero gradient).
    ``temperature=T``: the smooth surrogate \(\sum_k f_k\,\mathrm{softmax}_k(
    \log P_k / T)\); smooth in the PSD, tends to the argmax as ``T -> 0`` (``T`` in
    natural-log power units: 0.1 weights a bin 10 % below the peak by e^-1).
    """
    freqs = jnp.asarray(freqs)
    psd = jnp.asarray(psd)
    if fmin is None and fmax is None:
        f, p = freqs, psd
    else:
        try:
            f_np = np.asarray(freqs)
        except jax.errors.TracerArrayConversionError:
            raise TypeError(
                "fmin/fmax select bins by value, so freqs must be concrete (not traced); "
                "compute freqs outside jit or slice the band yourself."
            ) from None
        mask = np.ones(f_np.shape[0], dtype=bool)
        if fmin is not None:
            mask &= f_np >= fmin
        if fmax is not None:
            mask &= f_np <= fmax
        if not mask.any():
            raise ValueError(f"no frequency bin in [fmin, fmax] = [{fmin}, {fmax}] Hz.")
        idx = np.flatnonzero(mask)
        f, p = freqs[idx], psd[idx]
    if temperature is None:
        return f[jnp.argmax(p, axis=0)]
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}.")
    # floor at the smallest normal number: an exactly-zero bin gets weight ~0 and a
    # zero (not NaN) gradient
    log_p = jnp.log(jnp.maximum(p, jnp.finfo(p.dtype).tiny))
    weights = jax.nn.softmax(log_p / temperature, axis=0)
    return jnp.tensordot(f, weights, axes=(0, 0))


def amplitude(
    x: Float[ArrayLike, " time *nodes"],
    *,
    method: Literal["range", "rms"] = "range",
) -> Float[Array, " *nodes"]:
    r"""Settled amplitude of each trace (pass the trace after its transient).

    ``"range"``: half the peak-to-peak range \((\max x - \min x) / 2\);
    differentiable almost everywhere (through the extreme samples).
    ``"rms"``: \(\sqrt 2\,\mathrm{std}(x)\), smooth, and equal to the amplitude
    for a sinusoid.
    """
    x = jnp.asarray(x)
    if method == "range":
        return 0.5 * (jnp.max(x, axis=0) - jnp.min(x, axis=0))
    if method == "rms":
        return jnp.sqrt(2.0) * jnp.std(x, axis=0)
    raise ValueError(f"method must be 'range' or 'rms', got {method!r}.")
