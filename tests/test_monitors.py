"""Monitors: temporal average and subsampling against numpy."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainmass_fn as bm
from brainmass_fn.forward import subsample, temporal_average


def test_temporal_average_equals_block_means():
    x = np.arange(50.0).reshape(25, 2)
    out = temporal_average(x, 0.1, 0.5)
    expected = x[:25].reshape(5, 5, 2).mean(axis=1)
    np.testing.assert_allclose(out, expected)
    # a trailing partial block is dropped
    assert temporal_average(x[:24], 0.1, 0.5).shape == (4, 2)


def test_subsample_keeps_samples_on_the_period_grid():
    traj = bm.simulate(bm.Hopf(), 20.0, 0.5)  # samples at 0, 0.5, ..., 20 ms
    out = subsample(traj.ts, 0.5, 2.0)
    np.testing.assert_allclose(out, np.arange(0.0, 20.1, 2.0), atol=1e-5)
    np.testing.assert_array_equal(subsample(traj["x"], 0.5, 2.0), traj["x"][::4])


def test_temporal_average_of_sine_has_sinc_gain():
    # averaging over T attenuates a sine of frequency f by |sinc(f T)|
    dt, period = 0.1, 10.0  # ms
    f_hz = 25.0
    t = np.arange(1, 200_001) * dt
    x = np.sin(2 * np.pi * f_hz * t / 1000.0)[:, None]
    y = np.asarray(temporal_average(x, dt, period))
    gain = np.sqrt(2) * y.std()
    np.testing.assert_allclose(gain, abs(np.sinc(f_hz * period / 1000.0)), rtol=2e-3)


def test_monitors_are_linear_and_differentiable():
    w = jnp.arange(10.0)
    g = jax.grad(lambda x: jnp.sum(w * temporal_average(x, 1.0, 2.0)[:, 0]))(jnp.ones((20, 1)))
    np.testing.assert_allclose(g[:, 0], np.repeat(np.arange(10.0), 2) / 2)


def test_bad_period():
    with pytest.raises(ValueError, match="whole multiple"):
        subsample(np.ones((10, 1)), 0.3, 1.0)
    with pytest.raises(bm.UnitError):
        temporal_average(np.ones((10, 1)), 1.0, 2.0 * bm.ureg.mm)
    np.testing.assert_allclose(
        temporal_average(np.ones((10, 1)), 1.0, 0.002 * bm.ureg.s), np.ones((5, 1))
    )
