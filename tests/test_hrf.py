"""HRF-kernel BOLD: each kernel against the SPM / TVB formula written out here, the
convolution against numpy.convolve, timing and gain, gradients against finite
differences."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats
from scipy.special import gamma as gamma_fn

import brainmass_fn as bm
from brainmass_fn.forward import (
    DoubleExponentialHRF,
    DoubleGammaHRF,
    GammaHRF,
    VolterraHRF,
    bold_times,
    causal_convolve,
    hrf_bold,
    hrf_kernel,
)


def spm_hrf(rt):
    """SPM12's spm_hrf(RT) with its default parameters, step by step (microtime 16)."""
    p = [6.0, 16.0, 1.0, 1.0, 6.0, 0.0, 32.0]
    fmri_t = 16
    dt = rt / fmri_t
    u = np.arange(0, math.ceil(p[6] / dt) + 1) - p[5] / dt

    def gpdf(x, h, lam):  # spm_Gpdf: shape h, rate lam
        return stats.gamma.pdf(x, h, scale=1.0 / lam)

    hrf = gpdf(u, p[0] / p[2], dt / p[2]) - gpdf(u, p[1] / p[3], dt / p[3]) / p[4]
    hrf = hrf[np.arange(0, math.floor(p[6] / rt) + 1) * fmri_t]
    return hrf / hrf.sum()


@pytest.mark.parametrize("rt", [0.1, 0.72, 2.0])
def test_double_gamma_is_spm_canonical_hrf(rt):
    with jax.enable_x64(True):
        got = hrf_kernel(DoubleGammaHRF(), rt * 1000.0, normalise="sum")
    want = spm_hrf(rt)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_double_gamma_peak_undershoot_and_ratio():
    with jax.enable_x64(True):
        h = np.asarray(DoubleGammaHRF()(jnp.arange(0.0, 32.0, 0.01)))
    t = np.arange(0.0, 32.0, 0.01)
    assert t[np.argmax(h)] == pytest.approx(5.0, abs=1e-9)  # (6 - 1) x 1 s
    # the undershoot gamma peaks at 15 s; the response's tail moves the minimum to 15.75 s
    assert t[np.argmin(h)] == pytest.approx(15.75, abs=1e-9)
    want = stats.gamma.pdf(t, 6) - stats.gamma.pdf(t, 16) / 6
    np.testing.assert_allclose(h, want, rtol=1e-12, atol=1e-15)


def test_gamma_is_scipy_gamma_pdf_and_tvb_gamma():
    t = np.linspace(0.0, 20.0, 401)
    with jax.enable_x64(True):
        got = GammaHRF(shape=3.7, scale=0.9, onset=1.5)(jnp.asarray(t))
        # TVB's Gamma: (t/tau)^(n-1) exp(-t/tau) / (tau (n-1)!), peak-normalised, times a
        tvb_kernel = 0.1 * hrf_kernel(GammaHRF(), 4.0, 20_000.0 - 4.0, normalise="peak")
    np.testing.assert_allclose(got, stats.gamma.pdf(t, 3.7, loc=1.5, scale=0.9), rtol=1e-12)
    ts = np.arange(0.0, 20.0, 0.004)  # TVB's stock grid: 4 ms for 20 s
    tau, n = 1.08, 3
    tvb = (ts / tau) ** (n - 1) * np.exp(-ts / tau) / (tau * math.factorial(n - 1))
    tvb = 0.1 * tvb / tvb.max()
    np.testing.assert_allclose(tvb_kernel, tvb, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("rate", [1.0, 2.0])
def test_glover_is_tvb_mixture_of_gammas(rate):
    t = np.linspace(0.0, 30.0, 301)
    a1, a2, c = 6.0, 13.0, 0.4
    tvb = (rate * t) ** (a1 - 1) * np.exp(-rate * t) / gamma_fn(a1) - c * (rate * t) ** (
        a2 - 1
    ) * np.exp(-rate * t) / gamma_fn(a2)
    with jax.enable_x64(True):
        got = DoubleGammaHRF.glover1999(rate=rate)(jnp.asarray(t))
    np.testing.assert_allclose(np.asarray(got) / rate, tvb, rtol=1e-12, atol=1e-15)


def test_double_exponential_is_tvb_double_exponential():
    t = np.linspace(0.0, 20.0, 201)
    tvb = 0.1 * np.exp(-t / 7.22) * np.sin(2 * np.pi * 0.03 * t) - 0.1 * np.exp(
        -t / 7.4
    ) * np.sin(2 * np.pi * 0.12 * t)
    with jax.enable_x64(True):
        got = DoubleExponentialHRF()(jnp.asarray(t))
    np.testing.assert_allclose(got, tvb, rtol=1e-12, atol=1e-15)


def test_volterra_is_tvb_first_order_volterra():
    t = np.linspace(0.0, 20.0, 201)
    tau_s, tau_f = 0.8, 0.4
    w = np.sqrt(1.0 / tau_f - 1.0 / (4.0 * tau_s**2))
    tvb = 1 / 3.0 * np.exp(-0.5 * (t / tau_s)) * np.sin(w * t) / w
    with jax.enable_x64(True):
        got = VolterraHRF()(jnp.asarray(t))
    np.testing.assert_allclose(got, 5.6 * 0.02 * tvb, rtol=1e-12, atol=1e-15)


def test_volterra_continues_through_critical_damping():
    # omega^2 = 1/tau_f - 1/(4 tau_s^2): > 0 sin, < 0 sinh, = 0 t; continuous across
    with jax.enable_x64(True):
        t = jnp.linspace(0.0, 10.0, 101)
        crit = VolterraHRF(tau_s=1.0, tau_f=4.0)(t)
        near = [VolterraHRF(tau_s=1.0, tau_f=4.0 * (1 + s))(t) for s in (1e-7, -1e-7)]
        over = VolterraHRF(tau_s=1.0, tau_f=8.0)(t)
    tn = np.asarray(t)
    np.testing.assert_allclose(crit, 0.112 / 3 * np.exp(-tn / 2) * tn, rtol=1e-12)
    for h in near:
        np.testing.assert_allclose(h, crit, rtol=1e-6, atol=1e-12)
    w = np.sqrt(1 / 4 - 1 / 8)  # overdamped: omega = i w
    np.testing.assert_allclose(over, 0.112 / 3 * np.exp(-tn / 2) * np.sinh(w * tn) / w, rtol=1e-12)


@pytest.mark.parametrize("method", ["direct", "fft", "auto"])
@pytest.mark.parametrize("taps", [7, 200, 900])
def test_causal_convolve_equals_numpy_convolve(method, taps):
    rng = np.random.default_rng(taps)
    x = rng.normal(size=(500, 3))
    shared = rng.normal(size=taps)
    per_node = rng.normal(size=(taps, 3))
    with jax.enable_x64(True):
        got_shared = causal_convolve(x, shared, method=method)
        got_nodes = causal_convolve(x, per_node, method=method)
    want_shared = np.stack([np.convolve(x[:, i], shared)[:500] for i in range(3)], axis=1)
    want_nodes = np.stack([np.convolve(x[:, i], per_node[:, i])[:500] for i in range(3)], axis=1)
    np.testing.assert_allclose(got_shared, want_shared, rtol=0, atol=1e-10)
    np.testing.assert_allclose(got_nodes, want_nodes, rtol=0, atol=1e-10)


def test_causal_convolve_rejects_bad_arguments():
    x = jnp.ones((10, 3))
    with pytest.raises(ValueError, match="does not broadcast to the nodes"):
        causal_convolve(x, jnp.ones((4, 2)))
    with pytest.raises(ValueError, match="method must be one of"):
        causal_convolve(x, jnp.ones(4), method="overlap-add")


def test_hrf_bold_grid_gain_and_per_region_kernels():
    dt, tr = 100.0, 2000.0
    drive = np.ones((1200, 2))  # 120 s of a unit drive
    with jax.enable_x64(True):
        y = hrf_bold(drive, dt, tr, normalise="sum")
        full = hrf_bold(drive, dt, None, normalise="sum")
        scales = hrf_bold(drive, dt, tr, hrf=GammaHRF(scale=jnp.array([1.0, 2.0])))
        one = hrf_bold(drive[:, :1], dt, tr, hrf=GammaHRF(scale=2.0))
    assert y.shape == (60, 2)
    np.testing.assert_allclose(bold_times(1200, dt, tr), 2000.0 * np.arange(1, 61))
    np.testing.assert_array_equal(y, full[19::20])  # sample n is the signal at (n + 1) dt
    # a unit-sum kernel passes a constant drive unchanged once a kernel length (32 s) has passed
    np.testing.assert_allclose(y[16:], 1.0, rtol=1e-12)
    assert float(y[0, 0]) < 0.1
    np.testing.assert_allclose(scales[:, 1], one[:, 0], rtol=1e-12)
    assert not np.allclose(scales[:, 0], scales[:, 1])


def test_hrf_kernel_riemann_weights_do_not_depend_on_dt():
    # unnormalised weights are h(t_k) dt: a gamma density's weights sum to ~1 at any dt
    with jax.enable_x64(True):
        sums = [float(jnp.sum(hrf_kernel(GammaHRF(), dt, 40_000.0))) for dt in (1.0, 10.0, 100.0)]
    np.testing.assert_allclose(sums, 1.0, rtol=1e-6)


def test_hrf_bold_rejects_bad_arguments():
    with pytest.raises(ValueError, match="whole multiple of dt"):
        hrf_bold(jnp.ones((100, 2)), 1.0, 2.5 * 1.0001)
    with pytest.raises(ValueError, match="shorter than one tr"):
        hrf_bold(jnp.ones((10, 2)), 1.0, 2000.0)
    with pytest.raises(TypeError, match="hrf must be an AbstractHRF"):
        hrf_bold(jnp.ones((10, 2)), 1.0, None, hrf=bm.BalloonWindkessel())
    with pytest.raises(ValueError, match="normalise must be None, 'sum' or 'peak'"):
        hrf_kernel(GammaHRF(), 1.0, normalise="area")


@pytest.mark.parametrize(
    "make_hrf",
    [
        lambda: DoubleGammaHRF(shape_1=bm.Param(6.0, lower=1.0), ratio=bm.Param(1 / 6)),
        lambda: VolterraHRF(tau_s=bm.Param(0.8, lower=0.0), tau_f=bm.Param(0.4, lower=0.0)),
    ],
    ids=["double-gamma", "volterra"],
)
def test_hrf_bold_gradient_matches_finite_differences(make_hrf):
    rng = np.random.default_rng(0)
    with jax.enable_x64(True):
        hrf = make_hrf()
        drive = jnp.asarray(rng.normal(size=(400, 2)))  # 40 s at dt = 100 ms

        def loss(h):
            return jnp.sum(hrf_bold(drive, 100.0, 1000.0, hrf=h, method="fft") ** 2)

        check = bm.check_gradient(loss, hrf)
    assert len(check.names) == 2
    assert np.all(np.abs(check.autodiff) > 0)
    assert check.rel_error < 1e-6, (check.rel_error, check.names)


def test_hrf_bold_jit_and_vmap_over_kernels():
    drive = jnp.ones((300, 2))
    f = jax.jit(lambda h: hrf_bold(drive, 100.0, 1000.0, hrf=h))
    scales = jnp.array([0.8, 1.0, 1.2])
    batched = jax.vmap(lambda s: f(GammaHRF(scale=s)))(scales)
    assert batched.shape == (3, 30, 2)
    np.testing.assert_allclose(batched[1], f(GammaHRF(scale=1.0)), rtol=1e-6)


@pytest.mark.parametrize("shared", [True, False])
def test_direct_and_fft_gradients_agree(shared):
    # the direct path has a hand-written reverse pass (bilinear transposes); the FFT
    # path is differentiated by JAX: both must give the same gradients
    rng = np.random.default_rng(7)
    with jax.enable_x64(True):
        x = jnp.asarray(rng.normal(size=(200, 3)))
        w = jnp.asarray(rng.normal(size=(20,) if shared else (20, 3)))
        target = jnp.asarray(rng.normal(size=(200, 3)))

        def loss(x, w, method):
            return jnp.sum((causal_convolve(x, w, method=method) - target) ** 2)

        direct = jax.grad(loss, argnums=(0, 1))(x, w, "direct")
        fft = jax.grad(loss, argnums=(0, 1))(x, w, "fft")
    for a, b in zip(direct, fft, strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)
