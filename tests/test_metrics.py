"""Metrics: FC vs numpy, FC of constructed correlations, FCD, Welch vs scipy, peaks,
amplitudes."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import signal as sps

from brainmass_fn.metrics import (
    amplitude,
    coherence,
    coherence_matrix,
    fc,
    fcd,
    peak_frequency,
    upper_triangle,
    welch,
)


def test_fc_equals_numpy_corrcoef():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(500, 6)) @ rng.normal(size=(6, 6))
    with jax.enable_x64(True):
        np.testing.assert_allclose(fc(x), np.corrcoef(x.T), rtol=1e-12, atol=1e-14)


def test_fc_of_constructed_correlations():
    # x2 = r x1 + sqrt(1 - r^2) n with independent unit-variance x1, n: corr = r
    rng = np.random.default_rng(2)
    t = 200_000
    x1, n1, n2 = rng.normal(size=(3, t))
    r = 0.6
    x2 = r * x1 + np.sqrt(1 - r**2) * n1
    x3 = -x1
    m = np.asarray(fc(np.stack([x1, x2, x3, n2], axis=1)))
    np.testing.assert_allclose(np.diag(m), 1.0, rtol=1e-5)
    assert abs(m[0, 1] - r) < 5 / np.sqrt(t)  # sampling error ~ (1 - r^2) / sqrt(t)
    np.testing.assert_allclose(m[0, 2], -1.0, rtol=1e-5)
    assert abs(m[0, 3]) < 5 / np.sqrt(t)
    np.testing.assert_allclose(m, m.T, atol=1e-6)


def test_fc_eps_keeps_flat_trace_finite():
    x = np.stack([np.zeros(10), np.arange(10.0)], axis=1)
    assert np.isnan(np.asarray(fc(x))[0, 1])
    assert np.all(np.isfinite(np.asarray(fc(x, eps=1e-6))))


def test_fcd_matches_numpy_reference():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(120, 5)).cumsum(axis=0)
    window, step = 30, 10
    iu = np.triu_indices(5, 1)
    tri = [np.corrcoef(x[s : s + window].T)[iu] for s in range(0, 120 - window + 1, step)]
    expected = np.corrcoef(np.array(tri))
    with jax.enable_x64(True):
        got = fcd(x, window, step)
    assert got.shape == (10, 10)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_fcd_of_switching_states():
    # two alternating FC states from latent signals u, v: A pairs (0,1),(2,3); B pairs
    # (0,2),(1,3). Triangles (01,02,03,12,13,23): A = (1,0,0,0,0,1), B = (0,1,0,0,1,0),
    # whose Pearson correlation is exactly -1/2; same-state windows correlate ~1.
    rng = np.random.default_rng(4)
    u, v = rng.normal(size=(2, 400))
    a = np.stack([u, u, v, v], axis=1)
    b = np.stack([u, v, u, v], axis=1)
    state_a = np.repeat([True, False, True, False], 100)[:, None]
    x = np.where(state_a, a, b) + 0.05 * rng.normal(size=(400, 4))
    m = np.asarray(fcd(x, 100, 100))
    assert m.shape == (4, 4)
    assert m[0, 2] > 0.95 and m[1, 3] > 0.95
    np.testing.assert_allclose([m[0, 1], m[1, 2], m[0, 3]], -0.5, atol=0.05)
    np.testing.assert_allclose(np.diag(m), 1.0, rtol=1e-5)


def test_welch_equals_scipy():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2048, 3))
    dt = 2.0  # ms -> fs = 500 Hz
    for kwargs in ({}, {"noverlap": 0}, {"detrend": "linear"}):
        f_ref, p_ref = sps.welch(x, fs=500.0, nperseg=256, axis=0, **kwargs)
        with jax.enable_x64(True):
            f, p = welch(x, dt, 256, **kwargs)
        np.testing.assert_allclose(f, f_ref, rtol=1e-12)
        np.testing.assert_allclose(p, p_ref, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("freq_hz", [10.0, 23.4375, 40.0])
def test_welch_peak_of_pure_sine(freq_hz):
    dt = 1.0  # 1 kHz
    t = np.arange(8192) * dt / 1000.0
    x = np.sin(2 * np.pi * freq_hz * t)[:, None]
    f, p = welch(x, dt, nperseg=1024)
    df = float(f[1] - f[0])  # 0.977 Hz
    hard = float(peak_frequency(f, p)[0])
    assert abs(hard - freq_hz) <= df / 2 + 1e-9
    smooth = float(peak_frequency(f, p, temperature=0.5)[0])
    assert abs(smooth - freq_hz) <= df / 2
    # power: integral of the PSD is the variance, 1/2
    np.testing.assert_allclose(float(jnp.sum(p) * df), 0.5, rtol=2e-3)


def test_smooth_peak_is_differentiable_and_tends_to_argmax():
    f = jnp.linspace(0.0, 50.0, 51)
    psd = jnp.exp(-0.5 * ((f - 20.0) / 3.0) ** 2) + 1e-3
    hard = peak_frequency(f, psd)
    np.testing.assert_allclose(hard, 20.0)
    np.testing.assert_allclose(peak_frequency(f, psd, temperature=1e-3), 20.0, atol=1e-3)

    def shifted_peak(mu):
        freqs = jnp.linspace(0.0, 50.0, 51)
        p = jnp.exp(-0.5 * ((freqs - mu) / 3.0) ** 2) + 1e-3
        return peak_frequency(freqs, p, temperature=0.05)

    with jax.enable_x64(True):
        g = float(jax.grad(shifted_peak)(20.3))
        fd = float((shifted_peak(20.3 + 1e-5) - shifted_peak(20.3 - 1e-5)) / 2e-5)
    assert g > 0
    np.testing.assert_allclose(g, fd, rtol=1e-6)


def test_peak_frequency_band_limits():
    f = jnp.linspace(0, 10, 11)
    p = jnp.array([0, 1, 9, 1, 0, 0, 2, 5, 2, 0, 0.0])[:, None] + 0.1
    assert float(peak_frequency(f, p)[0]) == 2.0
    assert float(peak_frequency(f, p, fmin=5.0)[0]) == 7.0
    with pytest.raises(ValueError, match="fmin"):
        peak_frequency(f, p, fmin=20.0)


def test_amplitude_of_settled_sine():
    t = np.linspace(0, 1, 10001)
    x = np.stack([3.0 * np.sin(2 * np.pi * 5 * t) + 1.0, 0.5 * np.cos(2 * np.pi * 8 * t)], 1)
    np.testing.assert_allclose(amplitude(x), [3.0, 0.5], rtol=1e-5)
    np.testing.assert_allclose(amplitude(x[:-1], method="rms"), [3.0, 0.5], rtol=1e-3)


def test_upper_triangle_and_errors():
    m = jnp.arange(9.0).reshape(3, 3)
    np.testing.assert_array_equal(upper_triangle(m), [1.0, 2.0, 5.0])
    with pytest.raises(ValueError, match="time, nodes"):
        fc(jnp.ones(5))
    with pytest.raises(ValueError, match="window"):
        fcd(jnp.ones((10, 2)), 20, 1)
    with pytest.raises(ValueError, match="nperseg"):
        welch(jnp.ones((10, 2)), 1.0, 64)


def test_smooth_peak_gradient_is_finite_with_exactly_zero_bins():
    # softmax(log P / T) at P = 0 used to give log(0) and a NaN gradient
    f = jnp.array([0.0, 10.0, 20.0, 30.0])

    def peak(scale):
        psd = scale * jnp.array([0.0, 1.0, 4.0, 0.0])
        return peak_frequency(f, psd, temperature=1.0)

    value, grad = jax.value_and_grad(peak)(2.0)
    # weights 1:4 on 10 and 20 Hz -> 18 Hz; the peak does not depend on an overall scale
    np.testing.assert_allclose(value, 18.0, rtol=1e-5)
    assert np.isfinite(grad) and abs(grad) < 1e-5


@pytest.mark.parametrize(
    ("nperseg", "noverlap", "detrend"),
    [(64, None, "constant"), (63, 20, "linear"), (100, 0, None)],
)
def test_coherence_equals_scipy(nperseg, noverlap, detrend):
    rng = np.random.default_rng(nperseg)
    common = rng.normal(size=(600, 1))
    x = common + 0.5 * rng.normal(size=(600, 3))
    y = np.roll(common, 3, axis=0) + rng.normal(size=(600, 3))
    kwargs = dict(nperseg=nperseg, noverlap=noverlap, detrend=detrend if detrend else False)
    f_ref, c_ref = sps.coherence(x, y, fs=500.0, axis=0, **kwargs)
    with jax.enable_x64(True):
        f, c = coherence(x, y, 2.0, nperseg, noverlap, detrend=detrend)
        xy = np.concatenate([x, y], axis=1)
        _, m = coherence_matrix(xy, 2.0, nperseg, noverlap, detrend=detrend)
    np.testing.assert_allclose(f, f_ref, rtol=1e-12)
    np.testing.assert_allclose(c, c_ref, rtol=0, atol=1e-10)
    for i in range(3):
        np.testing.assert_allclose(m[:, i, 3 + i], c_ref[:, i], rtol=0, atol=1e-10)
    np.testing.assert_allclose(np.asarray(m)[:, np.arange(6), np.arange(6)], 1.0, rtol=1e-12)


def test_coherence_eps_guards_a_silent_trace():
    x = np.random.default_rng(0).normal(size=(256, 1))
    y = np.zeros((256, 1))
    assert np.all(np.isnan(np.asarray(coherence(x, y, 1.0, 64)[1])))
    np.testing.assert_array_equal(coherence(x, y, 1.0, 64, eps=1e-12)[1], 0.0)
    with pytest.raises(ValueError, match="x and y must have the same shape"):
        coherence(x, np.zeros((256, 2)), 1.0, 64)
