"""Signal helpers: z-score, detrend, zero-phase band-pass gain and its action."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import signal as sps

import brainmass_fn as bm
from brainmass_fn.signal import bandpass, bandpass_gain, detrend, sampling_rate, zscore


def test_zscore_moments():
    rng = np.random.default_rng(0)
    x = 3.0 + 2.0 * rng.normal(size=(1000, 4))
    z = np.asarray(zscore(x))
    np.testing.assert_allclose(z.mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(z.std(0), 1.0, rtol=1e-5)
    assert np.all(np.isfinite(np.asarray(zscore(np.ones((5, 2)), eps=1e-8))))


def test_detrend_equals_scipy():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 3)) + np.linspace(0, 5, 300)[:, None]
    with jax.enable_x64(True):
        np.testing.assert_allclose(detrend(x), sps.detrend(x, axis=0), atol=1e-12)
        np.testing.assert_allclose(detrend(x, 0), x - x.mean(0), atol=1e-12)


def test_bandpass_gain_matches_filtfilt_butterworth_magnitude():
    # filtfilt applies |H|^2 of a Butterworth filter; compare with scipy's freqz
    fs, low, high, order = 1000.0, 8.0, 30.0, 4
    b_lo, a_lo = sps.butter(order, high, btype="low", analog=True)
    b_hi, a_hi = sps.butter(order, low, btype="high", analog=True)
    f = np.linspace(0.5, 200.0, 400)
    _, h_lo = sps.freqs(b_lo, a_lo, worN=f)
    _, h_hi = sps.freqs(b_hi, a_hi, worN=f)
    expected = np.abs(h_lo) ** 2 * np.abs(h_hi) ** 2
    with jax.enable_x64(True):
        np.testing.assert_allclose(bandpass_gain(f, low, high, order), expected, rtol=1e-9)
    assert fs > 0


def test_bandpass_passes_and_stops_sines():
    dt = 1.0  # ms: 1 kHz
    n = 4000  # 4 s: whole cycles of each sine, so the FFT sees no edge
    t = np.arange(n) * dt / 1000.0
    pass_sine = np.sin(2 * np.pi * 15.0 * t)
    stop_sine = np.sin(2 * np.pi * 60.0 * t)
    low_sine = np.sin(2 * np.pi * 2.0 * t)
    x = (pass_sine + stop_sine + low_sine)[:, None]
    with jax.enable_x64(True):
        y = np.asarray(bandpass(x, dt, 8.0, 30.0, detrend_order=None))[:, 0]
    g = np.asarray(bandpass_gain(np.array([2.0, 15.0, 60.0]), 8.0, 30.0))
    expected = g[0] * low_sine + g[1] * pass_sine + g[2] * stop_sine
    np.testing.assert_allclose(y, expected, atol=1e-10)
    assert g[1] > 0.98 and g[2] < 5e-3 and g[0] < 1e-3  # pass / stop, order 4


def test_bandpass_is_differentiable_and_linear():
    rng = np.random.default_rng(2)
    x = jnp.asarray(rng.normal(size=(256, 2)))
    w = jnp.asarray(rng.normal(size=(256, 2)))

    def f(x):
        return jnp.sum(w * bandpass(x, 2.0, 5.0, 50.0))

    with jax.enable_x64(True):
        x64, w64 = jnp.asarray(np.asarray(x), jnp.float64), jnp.asarray(np.asarray(w))
        g = jax.grad(lambda x: jnp.sum(w64 * bandpass(x, 2.0, 5.0, 50.0)))(x64)
        # a linear map: f(x) = <g, x>
        np.testing.assert_allclose(
            jnp.sum(g * x64), jnp.sum(w64 * bandpass(x64, 2.0, 5.0, 50.0)), rtol=1e-10
        )
    assert np.isfinite(float(f(x)))


def test_bad_cutoffs_and_units():
    x = jnp.ones((100, 1))
    with pytest.raises(ValueError, match="Nyquist"):
        bandpass(x, 1.0, 5.0, 600.0)
    with pytest.raises(ValueError, match="low < high"):
        bandpass(x, 1.0, 30.0, 10.0)
    assert sampling_rate(0.5 * bm.ureg.ms) == 2000.0
    assert sampling_rate(2.0) == 500.0
