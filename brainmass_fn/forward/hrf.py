r"""BOLD as a linear convolution of neural activity with a haemodynamic response kernel.

The linear alternative to the Balloon-Windkessel model (`brainmass_fn.forward.bold`):

$$
y(t) = \int_0^{L} h(s)\, z(t - s)\, ds ,
$$

with ``h`` one of the kernels below and ``L`` its length. Kernel shapes are quoted in
seconds in the literature and kept so (``scale``, ``tau_s`` in s); the sampling step
``dt``, the kernel length and the repetition time ``tr`` are in **ms** like every
other time in brainmass_fn (or pint quantities).

- `GammaHRF`: a gamma density (Boynton et al. 1996; TVB's ``Gamma``).
- `DoubleGammaHRF`: difference of two gamma densities, SPM's canonical HRF
  (``spm_hrf``; Friston et al. 1998, Glover 1999; TVB's ``MixtureOfGammas``).
- `DoubleExponentialHRF`: damped sinusoids (Polonsky et al. 2000; TVB's
  ``DoubleExponential``).
- `VolterraHRF`: the first-order Volterra kernel of the linearised balloon model
  (Friston et al. 2000; TVB's ``FirstOrderVolterra``, its default BOLD monitor).

`hrf_kernel` samples a kernel on the signal's grid, `causal_convolve` applies it
(direct for short kernels, FFT for long ones; the two agree to rounding) and
`hrf_bold` does both and samples every ``tr`` on the grid of
`brainmass_fn.forward.bold_times`. Every kernel parameter may be a `Param`: the
kernel, the convolution and the BOLD signal are differentiable in it and in the drive.
"""

import abc
import math
from typing import TYPE_CHECKING, ClassVar, Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln
from jaxtyping import Array, ArrayLike, Float

from .._timegrid import concrete_ms
from ..params import canonical_field, resolve
from ..units import TimeLike
from .bold import sampled_drive

if TYPE_CHECKING:
    # equinox's documented workaround: pyright does not see through its re-export
    from typing import ClassVar as AbstractClassVar
else:
    from equinox import AbstractClassVar

__all__ = [
    "AbstractHRF",
    "GammaHRF",
    "DoubleGammaHRF",
    "DoubleExponentialHRF",
    "VolterraHRF",
    "hrf_kernel",
    "causal_convolve",
    "hrf_bold",
    "CONVOLVE_METHODS",
]

#: convolution methods accepted by `causal_convolve` and `hrf_bold`
CONVOLVE_METHODS = ("auto", "direct", "fft")
#: ``"auto"`` convolves directly up to this many kernel taps, by FFT above
DIRECT_MAX_TAPS = 32


class AbstractHRF(eqx.Module):
    """A haemodynamic response kernel ``h(t)``, a function of time in **seconds**.

    A subclass fills in ``__call__`` (the kernel at times ``t >= 0``, in 1/s for the
    densities) and the class variable ``default_length`` (ms). Parameters are
    arrays of any shape broadcastable to the nodes (one kernel per region).
    """

    default_length: AbstractClassVar[float]

    @abc.abstractmethod
    def __call__(self, t: Float[Array, " taps *nodes"]) -> Float[Array, " taps *nodes"]:
        """``h(t)`` at times ``t`` (s); ``t`` has trailing unit axes for the nodes."""


def _gamma_pdf(t: Array, shape: Array, scale: Array) -> Array:
    # t^(a-1) exp(-t / b) / (Gamma(a) b^a), written in logs; 0 for t <= 0 (a > 1 assumed),
    # with the log evaluated at a safe point there so that no NaN reaches the gradient
    positive = t > 0
    safe = jnp.where(positive, t, 1.0)
    log_pdf = (shape - 1.0) * jnp.log(safe) - safe / scale - shape * jnp.log(scale) - gammaln(shape)
    return jnp.where(positive, jnp.exp(log_pdf), 0.0)


class GammaHRF(AbstractHRF):
    r"""A gamma density (Boynton et al. 1996):

    $$
    h(t) = \frac{(t - t_0)^{a - 1} e^{-(t - t_0)/b}}{\Gamma(a)\, b^{a}}, \quad t > t_0,
    $$

    unit area, peak at \(t_0 + (a - 1) b\). The defaults are TVB's ``Gamma`` kernel
    (``n = 3``, ``tau = 1.08 s``: a peak at 2.16 s), whose formula
    \((t/\tau)^{n-1} e^{-t/\tau} / (\tau (n-1)!)\) is this density; TVB then scales
    it to a peak of ``a = 0.1`` (`hrf_kernel` with ``normalise="peak"``, times 0.1).

    Parameters:
        shape: ``a`` (TVB's ``n``), > 1 so that ``h(t_0) = 0`` (default 3).
        scale: ``b`` (TVB's ``tau``), s (1.08).
        onset: ``t_0``, s (0).
    """

    shape: Float[Array, " *nodes"] = canonical_field(3.0, "dimensionless", "shape")
    scale: Float[Array, " *nodes"] = canonical_field(1.08, "s", "scale")
    onset: Float[Array, " *nodes"] = canonical_field(0.0, "s", "onset")
    default_length: ClassVar[float] = 20_000.0

    def __call__(self, t: Float[Array, " taps *nodes"]) -> Float[Array, " taps *nodes"]:
        return _gamma_pdf(t - self.onset, self.shape, self.scale)


class DoubleGammaHRF(AbstractHRF):
    r"""SPM's canonical HRF: a response gamma minus a smaller, later undershoot gamma.

    $$
    h(t) = g(t - t_0;\, a_1, b_1) - c\, g(t - t_0;\, a_2, b_2),
    $$

    with \(g(\cdot; a, b)\) the gamma density of shape ``a`` and scale ``b`` (s). The
    defaults are ``spm_hrf``'s (SPM12): response delay 6 s and undershoot delay 16 s
    with dispersion 1 (shape = delay / dispersion, scale = dispersion), ratio
    ``c = 1/6``, onset 0, length 32 s: the response peaks at 5 s (\((a_1 - 1) b_1\)),
    the undershoot at 15 s. ``spm_hrf(RT)`` is `hrf_kernel` of this at ``dt = RT``
    with ``normalise="sum"``. `DoubleGammaHRF.glover1999` gives TVB's
    ``MixtureOfGammas`` (Glover 1999).

    Parameters:
        shape_1, scale_1: the response gamma's shape and scale (s) (6, 1).
        shape_2, scale_2: the undershoot gamma's shape and scale (s) (16, 1).
        ratio: ``c``, undershoot-to-response ratio (1/6).
        onset: ``t_0``, s (0).
    """

    shape_1: Float[Array, " *nodes"] = canonical_field(6.0, "dimensionless", "shape_1")
    scale_1: Float[Array, " *nodes"] = canonical_field(1.0, "s", "scale_1")
    shape_2: Float[Array, " *nodes"] = canonical_field(16.0, "dimensionless", "shape_2")
    scale_2: Float[Array, " *nodes"] = canonical_field(1.0, "s", "scale_2")
    ratio: Float[Array, " *nodes"] = canonical_field(1.0 / 6.0, "dimensionless", "ratio")
    onset: Float[Array, " *nodes"] = canonical_field(0.0, "s", "onset")
    default_length: ClassVar[float] = 32_000.0

    @classmethod
    def glover1999(
        cls, shape_1: float = 6.0, shape_2: float = 13.0, rate: float = 1.0, ratio: float = 0.4
    ) -> "DoubleGammaHRF":
        r"""TVB's ``MixtureOfGammas`` defaults (Glover 1999): shapes 6 and 13, ratio 0.4.

        TVB writes \((\lambda t)^{a-1} e^{-\lambda t} / \Gamma(a)\), the gamma density of
        scale \(1/\lambda\) divided by \(\lambda\) (``rate``, 1/s): with the default
        \(\lambda = 1\) the two agree; otherwise TVB's kernel is this one over
        \(\lambda\).
        """
        return cls(
            shape_1=shape_1, scale_1=1.0 / rate, shape_2=shape_2, scale_2=1.0 / rate, ratio=ratio  # pyright: ignore[reportArgumentType]
        )

    def __call__(self, t: Float[Array, " taps *nodes"]) -> Float[Array, " taps *nodes"]:
        s = t - self.onset
        return _gamma_pdf(s, self.shape_1, self.scale_1) - self.ratio * _gamma_pdf(
            s, self.shape_2, self.scale_2
        )


class DoubleExponentialHRF(AbstractHRF):
    r"""Difference of two damped sinusoids (Polonsky et al. 2000; TVB's ``DoubleExponential``):

    $$
    h(t) = A_1 e^{-t/\tau_1} \sin(2\pi f_1 t) - A_2 e^{-t/\tau_2} \sin(2\pi f_2 t).
    $$

    Defaults are TVB's. TVB scales the kernel to a peak of ``a = 0.1``
    (`hrf_kernel` with ``normalise="peak"``, times 0.1).

    Parameters:
        tau_1, tau_2: decay times, s (7.22, 7.4).
        f_1, f_2: frequencies, Hz (0.03, 0.12).
        amp_1, amp_2: amplitudes (0.1, 0.1).
    """

    tau_1: Float[Array, " *nodes"] = canonical_field(7.22, "s", "tau_1")
    f_1: Float[Array, " *nodes"] = canonical_field(0.03, "Hz", "f_1")
    amp_1: Float[Array, " *nodes"] = canonical_field(0.1, "dimensionless", "amp_1")
    tau_2: Float[Array, " *nodes"] = canonical_field(7.4, "s", "tau_2")
    f_2: Float[Array, " *nodes"] = canonical_field(0.12, "Hz", "f_2")
    amp_2: Float[Array, " *nodes"] = canonical_field(0.1, "dimensionless", "amp_2")
    default_length: ClassVar[float] = 20_000.0

    def __call__(self, t: Float[Array, " taps *nodes"]) -> Float[Array, " taps *nodes"]:
        one = self.amp_1 * jnp.exp(-t / self.tau_1) * jnp.sin(2 * jnp.pi * self.f_1 * t)
        two = self.amp_2 * jnp.exp(-t / self.tau_2) * jnp.sin(2 * jnp.pi * self.f_2 * t)
        return jnp.where(t >= 0, one - two, 0.0)


def _sin_over_omega(omega_sq: Array, t: Array) -> Array:
    # sin(w t) / w for w^2 > 0, sinh(|w| t) / |w| for w^2 < 0, t at w = 0: one function,
    # analytic in w^2, evaluated branch by branch with safe arguments (no NaN gradients)
    under = omega_sq > 0
    over = omega_sq < 0
    w_under = jnp.sqrt(jnp.where(under, omega_sq, 1.0))
    w_over = jnp.sqrt(jnp.where(over, -omega_sq, 1.0))
    return jnp.where(
        under, jnp.sin(w_under * t) / w_under, jnp.where(over, jnp.sinh(w_over * t) / w_over, t)
    )


class VolterraHRF(AbstractHRF):
    r"""First-order Volterra kernel of the balloon model (Friston et al. 2000; TVB's
    ``FirstOrderVolterra``, the kernel of TVB's default ``Bold`` monitor):

    $$
    h(t) = \frac{k_1 V_0}{3}\, e^{-t / (2\tau_s)}\,
    \frac{\sin(\omega t)}{\omega}, \qquad
    \omega = \sqrt{\frac{1}{\tau_f} - \frac{1}{4\tau_s^2}} .
    $$

    The damped oscillator is the flow response of the linearised balloon model,
    ``f'' + f'/tau_s + (f - 1)/tau_f = z``: ``tau_s = 1/kappa`` (s) and
    ``tau_f = 1/gamma`` (s², as TVB's formula implies) in the notation of
    `BalloonWindkessel`. Where TVB's formula gives NaN (an overdamped kernel,
    ``omega² < 0``) this one continues it analytically (``sinh``).

    TVB's monitor averages the drive over 4 ms bins, sums kernel samples on that grid
    without the ``dt`` factor and subtracts 1 before scaling by ``k_1 V_0``;
    `hrf_bold` integrates (``dt`` in the sum) and adds no offset, so TVB's signal is
    ``250 y - k_1 V_0`` with ``y`` ours for the 4 ms-averaged drive at ``dt = 4`` ms.

    Parameters:
        tau_s: decay time, s (0.8).
        tau_f: oscillation constant, s² (0.4).
        k1: first Volterra coefficient (5.6).
        v0: resting blood volume fraction (0.02).
    """

    tau_s: Float[Array, " *nodes"] = canonical_field(0.8, "s", "tau_s")
    tau_f: Float[Array, " *nodes"] = canonical_field(0.4, "s**2", "tau_f")
    k1: Float[Array, " *nodes"] = canonical_field(5.6, "dimensionless", "k1")
    v0: Float[Array, " *nodes"] = canonical_field(0.02, "dimensionless", "v0")
    default_length: ClassVar[float] = 20_000.0

    def __call__(self, t: Float[Array, " taps *nodes"]) -> Float[Array, " taps *nodes"]:
        omega_sq = 1.0 / self.tau_f - 1.0 / (4.0 * self.tau_s**2)
        g = jnp.exp(-0.5 * t / self.tau_s) * _sin_over_omega(omega_sq, t) / 3.0
        return jnp.where(t >= 0, self.k1 * self.v0 * g, 0.0)


def _n_taps(length: float, dt: float) -> int:
    # samples at 0, dt, ..., floor(length / dt) dt (the endpoint included, as spm_hrf)
    return int(math.floor(length / dt * (1 + 1e-12))) + 1


def hrf_kernel(
    hrf: AbstractHRF,
    dt: TimeLike,
    length: TimeLike | None = None,
    *,
    normalise: Literal["sum", "peak"] | None = None,
) -> Float[Array, " taps *nodes"]:
    r"""The kernel sampled at ``t_k = k dt``, ``k = 0 .. floor(length / dt)``, as weights.

    ``normalise=None``: \(w_k = h(t_k)\,\Delta t\) (``dt`` in s), the Riemann sum of
    the convolution integral, so the response does not depend on ``dt`` (a density
    kernel then has unit DC gain). ``"sum"``: \(w_k = h(t_k) / \sum_j h(t_j)\)
    (``spm_hrf``'s normalisation). ``"peak"``: \(w_k = h(t_k) / \max_j h(t_j)\)
    (TVB's ``Gamma`` and ``DoubleExponential`` before their factor ``a``).

    Args:
        hrf: the kernel; its parameters may be `Param` s (resolved here).
        dt: sample spacing, ms.
        length: kernel length, ms; default ``hrf.default_length``.
        normalise: see above.
    Returns:
        ``(taps, *shape)``, with ``shape`` the broadcast shape of the parameters.
    """
    if not isinstance(hrf, AbstractHRF):
        raise TypeError(
            f"hrf must be an AbstractHRF (e.g. DoubleGammaHRF()), got {type(hrf).__name__}."
        )
    if normalise not in (None, "sum", "peak"):
        raise ValueError(f"normalise must be None, 'sum' or 'peak', got {normalise!r}.")
    dt = concrete_ms(dt, "dt")
    if not dt > 0:
        raise ValueError(f"dt must be > 0 ms, got {dt}.")
    length = hrf.default_length if length is None else concrete_ms(length, "length")
    if not length >= 0:
        raise ValueError(f"length must be >= 0 ms, got {length}.")
    hrf = resolve(hrf)
    ndim = max((jnp.ndim(leaf) for leaf in jax.tree_util.tree_leaves(hrf)), default=0)
    t = np.arange(_n_taps(length, dt)) * (dt / 1000.0)
    h = hrf(jnp.asarray(t.reshape((-1,) + (1,) * ndim), dtype=jnp.result_type(float)))
    if normalise == "sum":
        return h / jnp.sum(h, axis=0)
    if normalise == "peak":
        return h / jnp.max(h, axis=0)
    return h * (dt / 1000.0)


def _shifted_sum(x: Array, w: Array) -> Array:
    # y[n] = sum_k w[k] x[n - k] as a loop of shifted multiply-adds over the taps
    # (O(T K), no large temporaries; XLA's grouped convolution is far slower on CPU)
    n, taps = x.shape[0], w.shape[0]
    padded = jnp.concatenate([jnp.zeros((taps - 1,) + x.shape[1:], x.dtype), x])

    def add_tap(k: Array, y: Array) -> Array:
        return y + w[k] * jax.lax.dynamic_slice_in_dim(padded, taps - 1 - k, n, 0)

    return jax.lax.fori_loop(0, taps, add_tap, jnp.zeros_like(x))


@jax.custom_vjp
def _direct(x: Array, w: Array) -> Array:
    return _shifted_sum(x, w)


def _direct_fwd(x: Array, w: Array) -> tuple[Array, tuple[Array, Array]]:
    return _shifted_sum(x, w), (x, w)


def _direct_bwd(res: tuple[Array, Array], g: Array) -> tuple[Array, Array]:
    # the convolution is bilinear; its transposes are loops of the same kind, so the
    # reverse pass stores (x, w) instead of one shifted copy of x per tap:
    # dx[m] = sum_k w[k] g[m + k] (time-reversed convolution),
    # dw[k] = sum_n g[n] x[n - k] (lagged products, summed over nodes if w is shared)
    x, w = res
    n, taps = x.shape[0], w.shape[0]
    dx = _shifted_sum(g[::-1], w)[::-1]
    padded = jnp.concatenate([jnp.zeros((taps - 1,) + x.shape[1:], x.dtype), x])

    def lag(k: Array) -> Array:
        return jnp.sum(g * jax.lax.dynamic_slice_in_dim(padded, taps - 1 - k, n, 0), axis=0)

    dw = jax.lax.map(lag, jnp.arange(taps))
    return dx, jnp.sum(dw, axis=1, keepdims=True) if w.shape[1] == 1 else dw


_direct.defvjp(_direct_fwd, _direct_bwd)


def _fft(x: Array, w: Array) -> Array:
    n, taps = x.shape[0], w.shape[0]
    nfft = 1 << (n + taps - 2).bit_length()  # a power of two >= n + taps - 1: no wrap-around
    spec = jnp.fft.rfft(x, nfft, axis=0) * jnp.fft.rfft(w, nfft, axis=0)
    return jnp.fft.irfft(spec, nfft, axis=0)[:n]


def causal_convolve(
    x: Float[ArrayLike, " time *nodes"],
    kernel: Float[ArrayLike, " taps *nodes"],
    *,
    method: Literal["auto", "direct", "fft"] = "auto",
) -> Float[Array, " time *nodes"]:
    r"""Causal convolution along time with zero history:
    \(y_n = \sum_{k=0}^{\min(n, K-1)} w_k\, x_{n-k}\).

    Equals ``numpy.convolve(x[:, i], w[:, i])[:len(x)]`` per node. ``kernel`` is
    ``(taps,)`` (the same for every node) or ``(taps, *nodes)`` (one per node; any
    shape that broadcasts). ``method``: ``"direct"`` (a loop of shifted
    multiply-adds over the taps, \(O(T K)\)), ``"fft"`` (zero-padded real FFTs,
    \(O((T + K) \log(T + K))\)) or ``"auto"`` (direct up to 32 taps, where it is
    the faster on a CPU). Linear in ``x`` and in ``kernel``:
    differentiable in both.
    """
    if method not in CONVOLVE_METHODS:
        raise ValueError(f"method must be one of {CONVOLVE_METHODS}, got {method!r}.")
    x = jnp.asarray(x)
    w = jnp.asarray(kernel)
    if x.ndim < 1 or w.ndim < 1:
        raise ValueError(
            f"x and kernel need a leading time axis, got shapes {x.shape} and {w.shape}."
        )
    n, nodes = x.shape[0], x.shape[1:]
    dtype = jnp.result_type(x, w)
    w = w[:n]  # taps beyond the trace's length never reach the output
    padded = w.reshape(w.shape + (1,) * max(0, 1 + len(nodes) - w.ndim))
    try:
        np.broadcast_shapes(padded.shape, w.shape[:1] + nodes)
        if padded.ndim != 1 + len(nodes):
            raise ValueError
    except ValueError:
        raise ValueError(
            f"kernel of shape {jnp.shape(kernel)} does not broadcast to the nodes {nodes} of x; "
            "pass (taps,) or (taps, *nodes)."
        ) from None
    flat_x = x.reshape(n, -1).astype(dtype)
    use_direct = method == "direct" or (method == "auto" and w.shape[0] <= DIRECT_MAX_TAPS)
    if padded.size != w.shape[0]:  # one kernel per node
        flat_w = jnp.broadcast_to(padded, w.shape[:1] + nodes).reshape(w.shape[0], -1)
    else:  # one shared kernel: broadcast over the nodes (transformed once)
        flat_w = padded.reshape(w.shape[0], 1)
    flat_w = flat_w.astype(dtype)
    y = _direct(flat_x, flat_w) if use_direct else _fft(flat_x, flat_w)
    return y.reshape(x.shape)


def hrf_bold(
    drive: Float[ArrayLike, " time *nodes"],
    dt: TimeLike,
    tr: TimeLike | None = 2000.0,
    *,
    hrf: AbstractHRF | None = None,
    length: TimeLike | None = None,
    normalise: Literal["sum", "peak"] | None = None,
    method: Literal["auto", "direct", "fft"] = "auto",
) -> Float[Array, " samples *nodes"]:
    """BOLD as the drive convolved with an HRF kernel, sampled every ``tr``.

    Output sample ``n`` of the convolution (`causal_convolve` of the drive with
    `hrf_kernel`) is read as the signal at ``(n + 1) dt``, after drive samples
    ``0 .. n``, the convention of the Balloon-Windkessel `bold`; samples at ``tr, 2 tr,
    ...`` (`bold_times`) are returned. Zero history before the first drive sample:
    the first kernel length of output is a transient, as `bold` starts from rest.

    Args:
        drive: neural drive, ``(time, *nodes)``.
        dt: spacing of the drive's samples, ms.
        tr: repetition time, ms, a whole multiple of ``dt`` (default 2000 ms);
            ``None`` returns every step.
        hrf: the kernel; default `DoubleGammaHRF` (SPM's canonical HRF).
        length: kernel length, ms; default the kernel's own (32 s SPM, 20 s TVB's).
        normalise: as `hrf_kernel` (``"sum"`` for ``spm_hrf``'s unit-sum kernel).
        method: as `causal_convolve`.
    Returns:
        ``(samples, *nodes)``, in the drive's units times the kernel's gain.
    """
    drive, dt, stride, n_out = sampled_drive(drive, dt, tr)
    kernel = hrf_kernel(DoubleGammaHRF() if hrf is None else hrf, dt, length, normalise=normalise)
    y = causal_convolve(drive, kernel, method=method)
    return y[stride - 1 : n_out * stride : stride]
